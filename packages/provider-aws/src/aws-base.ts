import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { type PreflightCheck, type ProviderContext, ValidationError } from '@berth/core';
import type { z } from 'zod';
import { type AwsClients, createAwsClients } from './aws-clients.js';
import type { AwsInjected, AwsSharedOptions } from './aws-options.js';
import { type AwsStoreInput, awsSecretStore } from './aws-secret-store.js';
import { awsLedgerStore, awsTargetLock } from './aws-target-store.js';
import { ecrRegistry } from './ecr-registry.js';
import { mapAwsError } from './map-aws-error.js';
import { type RetryPolicy, withRetry } from './with-retry.js';

/** Validate a provider's options with its schema; a bad option is a `ValidationError` before any I/O. */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: z.input<S> & AwsInjected,
  label: string,
): z.output<S> & AwsInjected {
  const { credentials, clients, ...rest } = input as AwsInjected & Record<string, unknown>;
  const parsed = schema.safeParse(rest);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((issue) => ({
        path: `${label}.${issue.path.join('.')}`,
        message: issue.message,
        hint: `Fix this option of ${label}(); see docs/providers/aws.md.`,
      })),
    );
  return {
    ...(parsed.data as object),
    ...(credentials ? { credentials } : {}),
    ...(clients ? { clients } : {}),
  } as z.output<S> & AwsInjected;
}

/** What both AWS providers share: clients, retries, ECR, Secrets Manager, the ledger and the lock. */
export function awsBase(options: AwsSharedOptions) {
  let clients: (AwsClients & { destroy(): void }) | undefined;
  const sdk = () => {
    clients ??= createAwsClients(options);
    return clients;
  };
  const retry = (context: Pick<ProviderContext, 'clock' | 'signal'>): RetryPolicy => ({
    attempts: options.retry.attempts,
    baseDelayMs: options.retry.baseDelayMs,
    clock: context.clock,
    signal: context.signal,
  });
  const call = <T>(context: ProviderContext, action: string, operation: () => Promise<T>) =>
    withRetry(action, retry(context), operation);
  const store: AwsStoreInput = { clients: sdk, options, retry };
  const ecr = ecrRegistry({ clients: sdk, options, retry });

  /** `sts:GetCallerIdentity`, then ECR answers; each failure with the IAM action or setup step. */
  async function preflightShared(context: ProviderContext): Promise<PreflightCheck[]> {
    let identity: PreflightCheck;
    try {
      const caller = await call(context, 'resolve AWS credentials (sts:GetCallerIdentity)', () =>
        sdk().sts.send(new GetCallerIdentityCommand({})),
      );
      identity = { name: 'credentials', ok: true, message: `${caller.Arn ?? 'caller'} in ${options.region}` };
    } catch (error) {
      const mapped = mapAwsError(error, 'resolve AWS credentials');
      identity = {
        name: 'credentials',
        ok: false,
        message: mapped.message,
        ...(mapped.hint ? { hint: mapped.hint } : {}),
      };
    }
    if (!identity.ok) return [identity];
    return [identity, await ecr.check(context)];
  }

  return {
    sdk,
    retry,
    call,
    ecr,
    preflightShared,
    secrets: awsSecretStore(store),
    ledger: awsLedgerStore(store),
    lock: (
      context: ProviderContext,
      target: Parameters<typeof awsTargetLock>[2],
      run: Parameters<typeof awsTargetLock>[3],
    ) => awsTargetLock(store, context, target, run),
    close: async () => {
      clients?.destroy();
      clients = undefined;
    },
  };
}

/** A check from a probe: ok, or the mapped error's message and hint. */
export async function probeCheck(name: string, probe: () => Promise<unknown>): Promise<PreflightCheck> {
  try {
    await probe();
    return { name, ok: true };
  } catch (error) {
    const mapped = mapAwsError(error, name);
    return { name, ok: false, message: mapped.message, ...(mapped.hint ? { hint: mapped.hint } : {}) };
  }
}
