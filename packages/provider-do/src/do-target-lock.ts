import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import {
  type JsonValue,
  LockError,
  type ProviderContext,
  type ProviderLock,
  type ProviderLockRequest,
  type ServiceTarget,
} from '@berth/core';
import { lockTag } from './app-names.js';
import type { RegistryDocuments } from './registry-documents.js';

/** Who holds the lock of a service, as kept at tag `berth-lock` of its DOCR repository. */
interface LockHolder {
  owner: string;
  runId: string;
  operation: string;
  acquiredAt: string;
  expiresAt: string;
  token: string;
}

const operatorName = () => {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return hostname();
  }
};

const isHolder = (value: JsonValue | undefined): value is JsonValue & LockHolder =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.token === 'string';

/**
 * The run lock of a service, with the target: a document at tag `berth-lock` of its DOCR
 * repository, naming the holder, expiring after `ttlMs` unless renewed. The registry has no
 * compare-and-set: after writing, the lock is read back and refused when another run's write won;
 * two runs writing at the same instant are not excluded.
 */
export async function doTargetLock(
  input: { documents: RegistryDocuments; repository(target: ServiceTarget): string },
  context: ProviderContext,
  target: ServiceTarget,
  request: ProviderLockRequest,
  ttlMs = 10 * 60_000,
): Promise<ProviderLock> {
  const repository = input.repository(target);
  // The lock is released however the run ends, an abort included: its requests ignore the run's signal.
  context = { ...context, signal: new AbortController().signal };
  const token = randomBytes(16).toString('hex');
  const now = () => context.clock.now();
  const acquiredAt = new Date(now()).toISOString();
  const holder = (): LockHolder => ({
    owner: operatorName(),
    runId: request.runId,
    operation: request.operation,
    acquiredAt,
    expiresAt: new Date(now() + ttlMs).toISOString(),
    token,
  });
  const current = async (): Promise<LockHolder | undefined> => {
    const value = await input.documents.read(context, repository, lockTag);
    return isHolder(value) ? value : undefined;
  };
  const held = (other: LockHolder) =>
    new LockError(
      'LOCK_HELD',
      `${target.service} is being changed by ${other.owner} (${other.operation}, run ${other.runId}) since ${other.acquiredAt}`,
      {
        hint: `Wait for that run to finish; its lock expires at ${other.expiresAt} unless renewed.`,
        details: {
          holder: {
            owner: other.owner,
            runId: other.runId,
            operation: other.operation,
            expiresAt: other.expiresAt,
          },
        },
      },
    );
  const before = await current();
  if (before && Date.parse(before.expiresAt) > now()) throw held(before);
  if (before)
    context.log('warn', `taking over the expired lock of ${target.service} held by ${before.owner}`);
  await input.documents.write(context, repository, lockTag, holder() as unknown as JsonValue);
  const after = await current();
  if (after && after.token !== token) throw held(after);
  const ours = async () => (await current())?.token === token;
  return {
    ttlMs,
    async renew() {
      if (!(await ours()))
        throw new LockError('LOCK_HELD', `The lock of ${target.service} is no longer held by this run`);
      await input.documents.write(context, repository, lockTag, holder() as unknown as JsonValue);
    },
    async release() {
      if (!(await ours())) return;
      if (!(await input.documents.remove(context, repository, lockTag)))
        await input.documents.write(context, repository, lockTag, {});
    },
  };
}
