import { AppRunnerClient } from '@aws-sdk/client-apprunner';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsSharedOptions } from './aws-options.js';

/** The official SDK v3 clients Berth uses. */
export interface AwsClients {
  appRunner: AppRunnerClient;
  ecs: ECSClient;
  ecr: ECRClient;
  secrets: SecretsManagerClient;
  sts: STSClient;
}

/** Create the clients (lazily per client), with the region, endpoint and credentials of `options`; one attempt per call (Berth retries). */
export function createAwsClients(
  options: Pick<AwsSharedOptions, 'region' | 'endpoint' | 'credentials' | 'clients'>,
): AwsClients & { destroy(): void } {
  const config = {
    region: options.region,
    // Berth retries throttling and transient faults itself, with backoff on the run's clock
    // (`withRetry`), so that waits are abortable and testable: the SDK makes one attempt.
    maxAttempts: 1,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const made: Partial<AwsClients> = { ...options.clients };
  return {
    /** Close the connection pools of the clients made here (not of injected ones). */
    destroy() {
      for (const [key, client] of Object.entries(made))
        if (!options.clients?.[key as keyof AwsClients]) client.destroy();
    },
    get appRunner() {
      made.appRunner ??= new AppRunnerClient(config);
      return made.appRunner;
    },
    get ecs() {
      made.ecs ??= new ECSClient(config);
      return made.ecs;
    },
    get ecr() {
      made.ecr ??= new ECRClient(config);
      return made.ecr;
    },
    get secrets() {
      made.secrets ??= new SecretsManagerClient(config);
      return made.secrets;
    },
    get sts() {
      made.sts ??= new STSClient(config);
      return made.sts;
    },
  };
}
