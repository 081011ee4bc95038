/**
 * The target kinds a config can name, and how each becomes a provider. Adding a provider package
 * is one entry here. Providers are imported when a command needs them, so `berth --help` never
 * loads a cloud SDK.
 */
import { type Provider, ValidationError } from '@berth/core';
import { awsCredentialsSchema } from './aws-credentials.js';

/** One kind of deploy target. */
export interface TargetKind {
  /** The package that provides it. */
  package: string;
  /** The factory, as users would call it in code. */
  factory: string;
  /** What it deploys to. */
  description: string;
  /** How the target gets its credentials, for the docs table. */
  credentials: string;
  /** The provider's documentation. */
  docs: string;
  /** Build the provider from validated, reference-resolved options. */
  create(options: Record<string, unknown>): Promise<Provider>;
}

type Factory<Options> = (options: Options) => Provider;
/** Call a provider factory with options the factory validates itself (its schema is the truth). */
const call = <Options>(factory: Factory<Options>, options: Record<string, unknown>) =>
  factory(options as unknown as Options);

/** AWS options with `credentials` checked: static keys (each read by reference), or the default chain. */
function awsOptions(options: Record<string, unknown>): Record<string, unknown> {
  if (options.credentials === undefined) return options;
  return { ...options, credentials: awsCredentialsSchema.parse(options.credentials) };
}

/**
 * Cloud Run options with `accessToken` (an OAuth 2 access token, by reference) turned into the
 * provider's `authClient`; without it, Application Default Credentials apply.
 */
async function cloudRunOptions(options: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { accessToken, ...rest } = options;
  if (accessToken === undefined) return rest;
  if (typeof accessToken !== 'string' || accessToken.length === 0)
    throw new ValidationError([
      {
        path: 'accessToken',
        message: 'must be an OAuth 2 access token',
        hint: 'Give { fromEnv: "NAME" } or { fromFile: "path" }, or leave it out to use Application Default Credentials.',
      },
    ]);
  const { OAuth2Client } = await import('google-auth-library');
  const authClient = new OAuth2Client();
  // No expiry and no refresh token: the token is used as given (a CI job's short-lived token).
  authClient.setCredentials({ access_token: accessToken, token_type: 'Bearer' });
  return { ...rest, authClient };
}

const awsCredentials =
  '`credentials: { accessKeyId, secretAccessKey, sessionToken? }`, each `{ fromEnv }` / `{ fromFile }`; default: the AWS default chain (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`…, SSO, instance role)';

/** Every target kind, by the name a config uses in `targets.<name>.kind`. */
export const targetKinds = {
  'local-docker': {
    package: '@berth/provider-ssh',
    factory: 'localDocker(options)',
    description: 'the Docker engine of this machine',
    credentials: '`registry.password` by reference, when a registry is given',
    docs: 'docs/providers/local-docker.md',
    create: async (options) => (await import('@berth/provider-ssh')).localDocker(options),
  },
  'ssh-host': {
    package: '@berth/provider-ssh',
    factory: 'sshHost(options)',
    description: 'a server you run, over SSH (method docker or systemd)',
    credentials:
      '`privateKeyPath`, or `privateKey` / `passphrase` by reference, or an SSH agent (`SSH_AUTH_SOCK`); keys only',
    docs: 'docs/providers/ssh.md',
    create: async (options) => call((await import('@berth/provider-ssh')).sshHost, options),
  },
  'cloud-run': {
    package: '@berth/provider-gcp',
    factory: 'cloudRun(options)',
    description: 'Google Cloud Run, with Secret Manager and Artifact Registry',
    credentials:
      '`accessToken` (an OAuth 2 access token) by reference; default: Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, workload identity)',
    docs: 'docs/providers/gcp.md',
    create: async (options) =>
      call((await import('@berth/provider-gcp')).cloudRun, await cloudRunOptions(options)),
  },
  'app-runner': {
    package: '@berth/provider-aws',
    factory: 'appRunner(options)',
    description: 'AWS App Runner, with ECR and Secrets Manager (existing App Runner accounts)',
    credentials: awsCredentials,
    docs: 'docs/providers/aws.md',
    create: async (options) => call((await import('@berth/provider-aws')).appRunner, awsOptions(options)),
  },
  'ecs-express': {
    package: '@berth/provider-aws',
    factory: 'ecsExpress(options)',
    description: 'Amazon ECS Express Mode, with ECR and Secrets Manager',
    credentials: awsCredentials,
    docs: 'docs/providers/aws.md',
    create: async (options) => call((await import('@berth/provider-aws')).ecsExpress, awsOptions(options)),
  },
  'app-platform': {
    package: '@berth/provider-do',
    factory: 'appPlatform(options)',
    description: 'DigitalOcean App Platform, with DigitalOcean Container Registry',
    credentials:
      '`token` (read/write on `app` and `registry`, read on `account`) by reference; `secretsKey` by reference when a spec generates secrets',
    docs: 'docs/providers/do.md',
    create: async (options) => call((await import('@berth/provider-do')).appPlatform, options),
  },
} satisfies Record<string, TargetKind>;

export type TargetKindName = keyof typeof targetKinds;
export const targetKindNames = Object.keys(targetKinds) as [TargetKindName, ...TargetKindName[]];
