import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerRuntime } from '@berth/emulator-runtime';
import { createVersionLauncher, dockerRuntime } from '@berth/emulator-runtime';
import { appRunnerApi } from './app-runner/app-runner-api.js';
import { ecrApi, toLocalImage } from './ecr/ecr-api.js';
import type { LocalRegistry } from './ecr/local-registry.js';
import { ecsExpressApi } from './ecs/ecs-express-api.js';
import type { EmulatorContext } from './emulator-context.js';
import { FaultController } from './faults.js';
import { type CallRecord, createDispatcher } from './protocol/dispatch.js';
import { SecretStore } from './secrets-manager/secret-store.js';
import { secretsManagerApi } from './secrets-manager/secrets-manager-api.js';
import { stsQuery } from './sts/sts-api.js';

/** Options of `startAwsEmulator`. */
export interface AwsEmulatorOptions {
  /** Port of the API endpoint on 127.0.0.1. Default 0: a free port. */
  port?: number;
  /** The account every resource belongs to. Default `123456789012`. */
  accountId?: string;
  /** Region of `clientConfig` (requests are served in the region they are signed for). Default `us-east-1`. */
  region?: string;
  /** Credentials of `clientConfig`; only this key is accepted. Default: a test key pair. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Check every request's SigV4 signature against the secret key, as AWS does. Default true. */
  verifySignatures?: boolean;
  /**
   * The local registry ECR's repositories live in: `GetAuthorizationToken` returns its login and
   * `proxyEndpoint`, and services pull `<account>.dkr.ecr.<region>.amazonaws.com/<repo>` from
   * `<host>/<repo>`. Default `127.0.0.1:5000` without credentials.
   */
  registry?: LocalRegistry;
  /** How versions run. Default: containers on the local Docker engine (`dockerRuntime`). */
  runtime?: ContainerRuntime;
  /** Minimum time an App Runner operation or an ECS deployment stays in progress. Default 0. */
  operationLatencyMs?: number;
  /** Delay before every API answer. Default 0. */
  requestLatencyMs?: number;
  /** Scales health-check intervals (App Runner's are seconds). Default 1; tests use e.g. 0.1. */
  healthCheckIntervalScale?: number;
  /** How long a version may take to pass its health check at all. Default 120 s. */
  startupTimeoutMs?: number;
  /** Env variable that, set to `crash` or `health-check` in a version, makes it fail. Default `AWS_EMULATOR_VERSION_FAULT`. */
  versionFaultEnv?: string;
  /** The emulator's clock (epoch ms): recovery windows and token expiry follow it. Default `Date.now`. */
  now?: () => number;
  /** Receives diagnostic lines. */
  log?: (line: string) => void;
}

/** Spread into any official v3 client's configuration: `new AppRunnerClient(emulator.clientConfig)`. */
export interface AwsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** A running emulator. */
export interface AwsEmulator {
  /** `http://127.0.0.1:<port>`: the `endpoint` of every client. */
  url: string;
  port: number;
  accountId: string;
  region: string;
  clientConfig: AwsClientConfig;
  /** Fault injection: failing calls, throttling, versions that crash or fail their health check. */
  faults: FaultController;
  /** Every API call answered, in order. */
  calls: CallRecord[];
  /** Change latencies while running. */
  setLatency(latency: { operationMs?: number; requestMs?: number }): void;
  /** Stop the server, every container and every service URL. */
  close(): Promise<void>;
}

/**
 * Start one local server for App Runner, ECS (Express Mode), ECR, Secrets Manager and STS
 * `GetCallerIdentity`, reached by the official AWS SDK v3 clients through `endpoint`.
 */
export async function startAwsEmulator(options: AwsEmulatorOptions = {}): Promise<AwsEmulator> {
  const accountId = options.accountId ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? {
    accessKeyId: 'AKIAEMULATOR0000TEST',
    secretAccessKey: 'emulator-secret',
  };
  const registry = options.registry ?? { host: '127.0.0.1:5000' };
  let operationLatency = options.operationLatencyMs ?? 0;
  let requestLatency = options.requestLatencyMs ?? 0;
  const faults = new FaultController();
  const calls: CallRecord[] = [];
  const log = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  const context: EmulatorContext = {
    accountId,
    now,
    operationLatencyMs: () => operationLatency,
    faults,
    log,
  };
  const runtime =
    options.runtime ??
    dockerRuntime({
      label: 'berth.aws-emulator',
      resolveImage: (image) => toLocalImage(image, registry),
      registryAuth: registry.username
        ? { [registry.host]: { username: registry.username, password: registry.password ?? '' } }
        : {},
    });
  const launcher = createVersionLauncher({
    runtime,
    faults,
    faultEnv: options.versionFaultEnv ?? 'AWS_EMULATOR_VERSION_FAULT',
    containerPrefix: `aws-emulator-${randomBytes(3).toString('hex')}`,
    startupTimeoutMs: options.startupTimeoutMs ?? 120_000,
    log,
  });
  const secrets = new SecretStore(now);
  const healthCheckIntervalScale = options.healthCheckIntervalScale ?? 1;
  const appRunner = appRunnerApi(context, { launcher, secrets, healthCheckIntervalScale });
  const ecs = ecsExpressApi(context, { launcher, secrets, healthCheckIntervalScale });
  const server = createServer(
    createDispatcher({
      apis: [appRunner.api, ecrApi(context, { registry }), secretsManagerApi(context, secrets), ecs.api],
      accountId,
      defaultRegion: region,
      credentials: new Map([[credentials.accessKeyId, credentials.secretAccessKey]]),
      verifySignatures: options.verifySignatures ?? true,
      takeFault: (target, operation) => faults.takeCallFault(target, operation),
      requestLatencyMs: () => requestLatency,
      onCall: (record) => {
        calls.push(record);
        log(`${record.target} -> ${record.statusCode}${record.error ? ` ${record.error}` : ''}`);
      },
      query: stsQuery({}),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    accountId,
    region,
    clientConfig: { endpoint: url, region, credentials },
    faults,
    calls,
    setLatency(latency) {
      if (latency.operationMs !== undefined) operationLatency = latency.operationMs;
      if (latency.requestMs !== undefined) requestLatency = latency.requestMs;
    },
    async close() {
      // Operations held open by a latency finish at once, so closing never waits for them.
      operationLatency = 0;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await appRunner.close();
      await ecs.close();
      await runtime.close();
    },
  };
}
