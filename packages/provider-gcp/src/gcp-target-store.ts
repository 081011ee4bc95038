/**
 * What Berth keeps with a Cloud Run target besides the service, in Secret Manager (labelled as
 * Berth's, never listed as a service secret): the service's convergence ledger (secret
 * `<service>--berth-ledger`, one version per write, JSON without secret values) and its lock (secret
 * `<service>--berth-lock`, the holder in an annotation, taken and renewed by compare-and-set on the
 * secret's etag; an expired lock is taken over with a warning).
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import {
  LockError,
  type ProviderContext,
  type ProviderLedgerStore,
  type ProviderLock,
  type ProviderLockRequest,
  type ServiceTarget,
  type TargetLedger,
} from '@berth/core';
import type { GcpClients } from './gcp-clients.js';
import { ownerLabel, serviceLabel } from './gcp-names.js';
import type { RetryPolicy } from './with-retry.js';
import { withRetry } from './with-retry.js';

/** Label telling Berth's own records (`ledger`, `lock`) from service secrets. */
export const kindLabel = 'berth-kind';
/** Annotation of the lock secret holding its holder. */
const lockAnnotation = 'berth.dev/lock';

interface StoreInput {
  clients: () => GcpClients;
  project: string;
  labels: Record<string, string>;
  retry: (context: ProviderContext) => RetryPolicy;
}

/** Who holds a Cloud Run service's lock. */
export interface CloudLockHolder {
  owner: string;
  runId: string;
  operation: string;
  acquiredAt: string;
  expiresAt: string;
  token: string;
}

const codeOf = (error: unknown) => (error as { code?: unknown }).code;

function operatorName(): string {
  try {
    return `${userInfo().username}@${hostname()} (pid ${process.pid})`;
  } catch {
    return `pid ${process.pid}@${hostname()}`;
  }
}

function recordName(project: string, service: string, kind: 'ledger' | 'lock'): string {
  return `projects/${project}/secrets/${service}--berth-${kind}`;
}

function labelsOf(input: StoreInput, service: string, kind: string): Record<string, string> {
  return { ...input.labels, [ownerLabel.key]: ownerLabel.value, [serviceLabel]: service, [kindLabel]: kind };
}

async function findSecret(input: StoreInput, context: ProviderContext, name: string) {
  try {
    const [secret] = await withRetry(`get ${name}`, input.retry(context), () =>
      input.clients().secrets.getSecret({ name }),
    );
    return secret;
  } catch (error) {
    if (codeOf(error) === 'PROVIDER_NOT_FOUND') return undefined;
    throw error;
  }
}

/** The ledger in Secret Manager. */
export function gcpLedgerStore(input: StoreInput): ProviderLedgerStore {
  return {
    async read(context, target) {
      const name = recordName(input.project, target.service, 'ledger');
      try {
        const [response] = await withRetry(`read ${name}`, input.retry(context), () =>
          input.clients().secrets.accessSecretVersion({ name: `${name}/versions/latest` }),
        );
        const data = response.payload?.data;
        if (data === undefined || data === null) return undefined;
        return JSON.parse(Buffer.from(data as Uint8Array).toString('utf8')) as TargetLedger;
      } catch (error) {
        if (codeOf(error) === 'PROVIDER_NOT_FOUND') return undefined;
        throw error;
      }
    },
    async write(context, target, ledger) {
      const name = recordName(input.project, target.service, 'ledger');
      if (!(await findSecret(input, context, name)))
        await withRetry(`create ${name}`, input.retry(context), () =>
          input.clients().secrets.createSecret({
            parent: `projects/${input.project}`,
            secretId: `${target.service}--berth-ledger`,
            secret: { replication: { automatic: {} }, labels: labelsOf(input, target.service, 'ledger') },
          }),
        ).catch((error: unknown) => {
          if (codeOf(error) !== 'PROVIDER_CONFLICT') throw error;
        });
      const data = Buffer.from(JSON.stringify(ledger), 'utf8');
      await withRetry(`write ${name}`, input.retry(context), () =>
        input.clients().secrets.addSecretVersion({ parent: name, payload: { data } }),
      );
    },
    async clear(context, target) {
      const name = recordName(input.project, target.service, 'ledger');
      await withRetry(`delete ${name}`, input.retry(context), () =>
        input.clients().secrets.deleteSecret({ name }),
      ).catch((error: unknown) => {
        if (codeOf(error) !== 'PROVIDER_NOT_FOUND') throw error;
      });
    },
  };
}

function holderOf(annotations: Record<string, string> | null | undefined): CloudLockHolder | undefined {
  const text = annotations?.[lockAnnotation];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as CloudLockHolder;
  } catch {
    return undefined;
  }
}

/** Take the lock of a Cloud Run service for one run (compare-and-set on the lock secret's etag). */
export async function gcpTargetLock(
  input: StoreInput,
  context: ProviderContext,
  target: ServiceTarget,
  run: ProviderLockRequest,
  ttlMs = 10 * 60_000,
): Promise<ProviderLock> {
  const name = recordName(input.project, target.service, 'lock');
  const token = randomBytes(16).toString('hex');
  const now = () => context.clock.now();
  const holder = (): CloudLockHolder => ({
    owner: operatorName(),
    runId: run.runId,
    operation: run.operation,
    acquiredAt: new Date(now()).toISOString(),
    expiresAt: new Date(now() + ttlMs).toISOString(),
    token,
  });
  const secrets = () => input.clients().secrets;
  // Conflicts (the answer of the compare-and-set) are not transient: `withRetry` never repeats them.
  const call = <T>(action: string, operation: () => Promise<T>) =>
    withRetry(action, input.retry(context), operation);
  const setHolder = (etag: string | null | undefined, value: CloudLockHolder) =>
    call(`lock ${name}`, () =>
      secrets().updateSecret({
        secret: { name, ...(etag ? { etag } : {}), annotations: { [lockAnnotation]: JSON.stringify(value) } },
        updateMask: { paths: ['annotations'] },
      }),
    );
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const secret = await findSecret(input, context, name);
    if (!secret) {
      try {
        await call(`create ${name}`, () =>
          secrets().createSecret({
            parent: `projects/${input.project}`,
            secretId: `${target.service}--berth-lock`,
            secret: {
              replication: { automatic: {} },
              labels: labelsOf(input, target.service, 'lock'),
              annotations: { [lockAnnotation]: JSON.stringify(holder()) },
            },
          }),
        );
        break;
      } catch (error) {
        if (codeOf(error) === 'PROVIDER_CONFLICT') continue;
        throw error;
      }
    }
    const current = holderOf(secret.annotations);
    if (current && Date.parse(current.expiresAt) > now())
      throw new LockError(
        'LOCK_HELD',
        `${target.service} is being changed by ${current.owner} (${current.operation}, run ${current.runId}) since ${current.acquiredAt}`,
        {
          hint: `Wait for that run to finish; its lock expires at ${current.expiresAt} unless renewed.`,
          details: { holder: { ...current, token: undefined } },
        },
      );
    if (current)
      context.log('warn', `Taking over the expired lock of ${target.service} held by ${current.owner}`);
    try {
      await setHolder(secret.etag, holder());
      break;
    } catch (error) {
      if (codeOf(error) === 'PROVIDER_CONFLICT' && attempt < 2) continue;
      if (codeOf(error) === 'PROVIDER_CONFLICT')
        throw new LockError('LOCK_HELD', `${target.service} is being locked by another run at this moment`, {
          hint: 'Retry in a moment.',
        });
      throw error;
    }
  }
  const ours = async () => {
    const secret = await findSecret(input, context, name);
    return secret && holderOf(secret.annotations)?.token === token ? secret : undefined;
  };
  return {
    ttlMs,
    async renew() {
      const secret = await ours();
      if (!secret)
        throw new LockError('LOCK_HELD', `The lock of ${target.service} is no longer held by this run`);
      await setHolder(secret.etag, { ...holder() });
    },
    async release() {
      if (await ours())
        await call(`unlock ${name}`, () => secrets().deleteSecret({ name })).catch((error: unknown) => {
          if (codeOf(error) !== 'PROVIDER_NOT_FOUND') throw error;
        });
    },
  };
}
