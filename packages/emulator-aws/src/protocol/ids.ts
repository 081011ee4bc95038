import { randomBytes, randomUUID } from 'node:crypto';

const alphanumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Identifiers in the shapes AWS uses. */
export const ids = {
  /** 32 lowercase hex characters (App Runner ServiceId, OperationId). */
  hex32: () => randomBytes(16).toString('hex'),
  uuid: () => randomUUID(),
  /** Secrets Manager's ARN suffix: six random letters and digits. */
  secretSuffix: () => Array.from(randomBytes(6), (byte) => alphanumeric[byte % alphanumeric.length]).join(''),
  /** ECS deployment and revision ids: 19 to 20 alphanumerics. */
  ecsId: () => Array.from(randomBytes(20), (byte) => alphanumeric[byte % alphanumeric.length]).join(''),
};

/** Opaque page tokens over an offset. */
export const pageTokens = {
  encode: (offset: number) => Buffer.from(`offset:${offset}`).toString('base64'),
  decode(token: unknown): number | undefined {
    if (typeof token !== 'string' || token === '') return 0;
    const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64').toString());
    return match ? Number(match[1]) : undefined;
  },
};

/** One page of `items` from `token`; `undefined` page means the token was not ours. */
export function paginate<T>(
  items: T[],
  token: unknown,
  maxResults: number,
): { page: T[]; nextToken: string | undefined } | undefined {
  const start = pageTokens.decode(token);
  if (start === undefined) return undefined;
  const page = items.slice(start, start + maxResults);
  return {
    page,
    nextToken: start + maxResults < items.length ? pageTokens.encode(start + maxResults) : undefined,
  };
}
