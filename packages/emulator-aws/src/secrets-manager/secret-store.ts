import { AwsError } from '../protocol/aws-error.js';
import { ids } from '../protocol/ids.js';

/** One version of a secret. */
export interface SecretVersion {
  versionId: string;
  secretString?: string;
  /** Base64, as on the wire. */
  secretBinary?: string;
  stages: string[];
  createdAt: Date;
}

/** A secret as Secrets Manager keeps it. */
export interface SecretRecord {
  arn: string;
  name: string;
  region: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  versions: SecretVersion[];
  createdAt: Date;
  lastChangedAt: Date;
  lastAccessedAt?: Date;
  /** Set while the secret is scheduled for deletion. */
  deletedAt?: Date;
  deletionDate?: Date;
}

/** Where a reference to a secret (an ARN in `valueFrom` / `RuntimeEnvironmentSecrets`) points. */
export type SecretResolution = { value: string } | { problem: string };

export const notFound = () =>
  new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
export const markedForDeletion = () =>
  new AwsError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

/** Every secret of the emulator, by ARN; purges secrets whose recovery window ended. */
export class SecretStore {
  private readonly secrets = new Map<string, SecretRecord>();

  constructor(private readonly now: () => number) {}

  /** Secrets in `region` (deleted ones whose window ended are gone). */
  all(region: string): SecretRecord[] {
    this.purge();
    return [...this.secrets.values()].filter((secret) => secret.region === region);
  }

  add(secret: SecretRecord): void {
    this.secrets.set(secret.arn, secret);
  }

  remove(secret: SecretRecord): void {
    this.secrets.delete(secret.arn);
  }

  /** Find by name, full ARN or partial ARN (without the random suffix). */
  find(region: string, secretId: string): SecretRecord | undefined {
    const candidates = this.all(region);
    return (
      candidates.find((secret) => secret.arn === secretId) ??
      candidates.find((secret) => secret.name === secretId) ??
      candidates.find((secret) => secret.arn.slice(0, -7) === secretId)
    );
  }

  /** Like `find`, or `ResourceNotFoundException`. */
  require(region: string, secretId: string): SecretRecord {
    const secret = this.find(region, secretId);
    if (!secret) throw notFound();
    return secret;
  }

  /** A new ARN for `name`: `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random>`. */
  arnFor(region: string, accountId: string, name: string): string {
    return `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${ids.secretSuffix()}`;
  }

  /**
   * Resolve what a container is given for a secret reference, as App Runner and ECS do:
   * `<secret ARN>[:<json-key>:<version-stage>:<version-id>]`.
   */
  resolve(reference: string): SecretResolution {
    const match =
      /^(arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[^:]+)(?::([^:]*):([^:]*):([^:]*))?$/.exec(
        reference,
      );
    if (!match?.[1] || !match[2]) return { problem: `${reference} is not a Secrets Manager secret ARN` };
    const secret = this.find(match[2], match[1]);
    if (!secret) return { problem: `Secrets Manager can't find the specified secret: ${match[1]}` };
    if (secret.deletedAt) return { problem: `The secret ${secret.name} is marked for deletion` };
    const [jsonKey, stage, versionId] = [match[3] || '', match[4] || '', match[5] || ''];
    const version = versionId
      ? secret.versions.find((candidate) => candidate.versionId === versionId)
      : secret.versions.find((candidate) => candidate.stages.includes(stage || 'AWSCURRENT'));
    if (!version)
      return { problem: `Secrets Manager can't find the specified secret value for ${reference}` };
    secret.lastAccessedAt = new Date(this.now());
    const text = version.secretString ?? Buffer.from(version.secretBinary ?? '', 'base64').toString();
    if (!jsonKey) return { value: text };
    try {
      const value = (JSON.parse(text) as Record<string, unknown>)[jsonKey];
      if (value === undefined)
        return { problem: `The JSON key ${jsonKey} is not in the secret ${secret.name}` };
      return { value: typeof value === 'string' ? value : JSON.stringify(value) };
    } catch {
      return { problem: `The secret ${secret.name} is not JSON, so it has no key ${jsonKey}` };
    }
  }

  private purge(): void {
    const now = this.now();
    for (const [arn, secret] of this.secrets)
      if (secret.deletionDate && secret.deletionDate.getTime() <= now) this.secrets.delete(arn);
  }
}
