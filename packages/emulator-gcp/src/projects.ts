import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { invalidArgument } from './rpc/rpc-error.js';

const projectIdPattern = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/**
 * Projects by id and number. Cloud Run and Artifact Registry answer with the project as the caller
 * named it; Secret Manager answers with the project number, as the real API does.
 */
export class ProjectDirectory {
  private readonly numbers = new Map<string, string>();
  private readonly ids = new Map<string, string>();

  constructor(projectNumbers: Record<string, string> = {}) {
    for (const [id, number] of Object.entries(projectNumbers)) this.remember(id, number);
  }

  private remember(id: string, number: string): void {
    this.numbers.set(id, number);
    this.ids.set(number, id);
  }

  /** Check the project segment of a name: a project id or a project number. */
  validate(project: string, field: string): void {
    if (!projectIdPattern.test(project) && !/^\d{6,19}$/.test(project))
      throw invalidArgument(field, `Invalid project: '${project}'. A project ID or number was expected.`);
  }

  /** The project number of an id or number (a stable number is made up for unknown ids). */
  numberOf(project: string): string {
    if (/^\d+$/.test(project)) return project;
    const known = this.numbers.get(project);
    if (known) return known;
    const digits =
      BigInt(`0x${createHash('sha256').update(project).digest('hex').slice(0, 12)}`) % 900_000_000_000n;
    const number = String(100_000_000_000n + digits);
    this.remember(project, number);
    return number;
  }

  /** The project id of an id or number, when known. */
  idOf(project: string): string {
    return /^\d+$/.test(project) ? (this.ids.get(project) ?? project) : project;
  }
}

/** Fresh identifiers in the formats the APIs use. */
export const ids = {
  uuid: (): string => randomUUID(),
  /** A Cloud Run style etag: a quoted opaque token. */
  etag: (): string => `"${randomBytes(12).toString('base64url')}"`,
  /** The three-letter suffix of generated revision names. */
  suffix: (): string =>
    Array.from(randomBytes(3), (byte) => 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36]).join(''),
};

/** An RFC 3339 timestamp, as proto3 JSON writes `google.protobuf.Timestamp`. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
