/**
 * What Berth keeps with an AWS target besides the service, in Secrets Manager (tagged as Berth's,
 * never listed as a service secret): the convergence ledger (`<prefix>/<service>/.ledger`, JSON
 * without secret values, one version per write) and the run lock (`<prefix>/<service>/.lock`, taken
 * by `CreateSecret`, which fails when it exists; released by deleting it without recovery; an
 * expired lock is taken over with a warning).
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  LockError,
  type ProviderContext,
  type ProviderLedgerStore,
  type ProviderLock,
  type ProviderLockRequest,
  type ServiceTarget,
  type TargetLedger,
} from '@berth/core';
import { kindTagKey, ownedTags, recordSecretName } from './aws-names.js';
import { type AwsStoreInput, describeSecret, restoreIfScheduled } from './aws-secret-store.js';
import { withRetry } from './with-retry.js';

const codeOf = (error: unknown) => (error as { code?: unknown }).code;

/** Who holds an AWS service's lock. */
export interface AwsLockHolder {
  owner: string;
  runId: string;
  operation: string;
  acquiredAt: string;
  expiresAt: string;
  token: string;
}

function operatorName(): string {
  try {
    return `${userInfo().username}@${hostname()} (pid ${process.pid})`;
  } catch {
    return `pid ${process.pid}@${hostname()}`;
  }
}

async function readValue(
  input: AwsStoreInput,
  context: ProviderContext,
  name: string,
): Promise<string | undefined> {
  try {
    const value = await withRetry(`read ${name} (secretsmanager:GetSecretValue)`, input.retry(context), () =>
      input.clients().secrets.send(new GetSecretValueCommand({ SecretId: name })),
    );
    return value.SecretString;
  } catch (error) {
    if (codeOf(error) === 'PROVIDER_NOT_FOUND') return undefined;
    throw error;
  }
}

/** The ledger in Secrets Manager. */
export function awsLedgerStore(input: AwsStoreInput): ProviderLedgerStore {
  const run =
    (context: ProviderContext) =>
    <T>(action: string, operation: () => Promise<T>) =>
      withRetry(action, input.retry(context), operation);
  return {
    async read(context, target) {
      const name = recordSecretName(input.options.secretPrefix, target.service, 'ledger');
      const secret = await describeSecret(input, run(context), name);
      if (!secret || secret.DeletedDate) return undefined;
      const text = await readValue(input, context, name);
      return text ? (JSON.parse(text) as TargetLedger) : undefined;
    },
    async write(context, target, ledger) {
      const name = recordSecretName(input.options.secretPrefix, target.service, 'ledger');
      const text = JSON.stringify(ledger);
      const secret = await describeSecret(input, run(context), name);
      if (secret) {
        await restoreIfScheduled(input, context, run(context), secret);
        await run(context)(`write ${name} (secretsmanager:PutSecretValue)`, () =>
          input.clients().secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: text })),
        );
        return;
      }
      await run(context)(`create ${name} (secretsmanager:CreateSecret)`, () =>
        input.clients().secrets.send(
          new CreateSecretCommand({
            Name: name,
            Description: `Berth's ledger of ${target.service}: what each revision ran, no secret values`,
            SecretString: text,
            Tags: ownedTags(target.service, input.options.tags, { [kindTagKey]: 'ledger' }),
          }),
        ),
      );
    },
    async clear(context, target) {
      const name = recordSecretName(input.options.secretPrefix, target.service, 'ledger');
      await run(context)(`delete ${name} (secretsmanager:DeleteSecret)`, () =>
        input
          .clients()
          .secrets.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })),
      ).catch((error: unknown) => {
        if (codeOf(error) !== 'PROVIDER_NOT_FOUND') throw error;
      });
    },
  };
}

/** Take the lock of an AWS service for one run. */
export async function awsTargetLock(
  input: AwsStoreInput,
  context: ProviderContext,
  target: ServiceTarget,
  request: ProviderLockRequest,
  ttlMs = 10 * 60_000,
): Promise<ProviderLock> {
  const name = recordSecretName(input.options.secretPrefix, target.service, 'lock');
  const token = randomBytes(16).toString('hex');
  const now = () => context.clock.now();
  const holder = (): AwsLockHolder => ({
    owner: operatorName(),
    runId: request.runId,
    operation: request.operation,
    acquiredAt: new Date(now()).toISOString(),
    expiresAt: new Date(now() + ttlMs).toISOString(),
    token,
  });
  const call = <T>(action: string, operation: () => Promise<T>) =>
    withRetry(action, input.retry(context), operation);
  const sm = () => input.clients().secrets;
  const current = async (): Promise<AwsLockHolder | undefined> => {
    const text = await readValue(input, context, name);
    try {
      return text ? (JSON.parse(text) as AwsLockHolder) : undefined;
    } catch {
      return undefined;
    }
  };
  const put = (value: AwsLockHolder) =>
    call(`lock ${name} (secretsmanager:PutSecretValue)`, () =>
      sm().send(new PutSecretValueCommand({ SecretId: name, SecretString: JSON.stringify(value) })),
    );
  let started = holder();
  try {
    await call(`lock ${name} (secretsmanager:CreateSecret)`, () =>
      sm().send(
        new CreateSecretCommand({
          Name: name,
          Description: `Berth's run lock of ${target.service}`,
          SecretString: JSON.stringify(started),
          Tags: ownedTags(target.service, input.options.tags, { [kindTagKey]: 'lock' }),
        }),
      ),
    );
  } catch (error) {
    if (codeOf(error) !== 'PROVIDER_CONFLICT') throw error;
    const held = await current();
    if (held && Date.parse(held.expiresAt) > now())
      throw new LockError(
        'LOCK_HELD',
        `${target.service} is being changed by ${held.owner} (${held.operation}, run ${held.runId}) since ${held.acquiredAt}`,
        {
          hint: `Wait for that run to finish; its lock expires at ${held.expiresAt} unless renewed.`,
          details: { holder: { ...held, token: undefined } },
        },
      );
    if (held) context.log('warn', `Taking over the expired lock of ${target.service} held by ${held.owner}`);
    started = holder();
    await put(started);
  }
  const ours = async () => (await current())?.token === token;
  return {
    ttlMs,
    async renew() {
      if (!(await ours()))
        throw new LockError('LOCK_HELD', `The lock of ${target.service} is no longer held by this run`);
      await put({ ...holder(), acquiredAt: started.acquiredAt });
    },
    async release() {
      if (await ours())
        await call(`unlock ${name} (secretsmanager:DeleteSecret)`, () =>
          sm().send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })),
        ).catch((error: unknown) => {
          if (codeOf(error) !== 'PROVIDER_NOT_FOUND') throw error;
        });
    },
  };
}
