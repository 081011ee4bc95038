import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ContainerRuntime, createVersionLauncher, dockerRuntime } from '@berth/emulator-runtime';
import { accountApi, type EmulatedAccount } from './account/account-api.js';
import { appsApi } from './apps/apps-api.js';
import { createDeploymentRunner } from './apps/deployment-runner.js';
import { createSecretBox } from './apps/secret-envs.js';
import { FaultController } from './faults.js';
import { createRateLimiter, type RateLimitSettings } from './protocol/rate-limit.js';
import { type CallRecord, createRouter } from './protocol/router.js';
import { type LocalRegistry, registryApi } from './registry/registry-api.js';

/** Options of `startDoEmulator`. */
export interface DoEmulatorOptions {
  /** Port of the API on 127.0.0.1. Default 0: a free port. */
  port?: number;
  /** Bearer tokens accepted; any other gets 401. Default: `['emulator-token']`. */
  tokens?: string[];
  /** What `GET /v2/account` answers. */
  account?: Partial<EmulatedAccount>;
  /**
   * The local registry DOCR lives in: docker-credentials return its login, and a DOCR image source
   * `{ repository, digest }` is pulled from `<host>/<registry name>/<repository>@<digest>`.
   * Default `127.0.0.1:5000` without credentials.
   */
  registry?: LocalRegistry;
  /** A container registry that exists from the start (else create it with `POST /v2/registry`). */
  containerRegistry?: { name: string; region?: string };
  /** Region of apps whose spec sets none. Default `nyc`. */
  defaultRegion?: string;
  /** How components run. Default: containers on the local Docker engine. */
  runtime?: ContainerRuntime;
  /** Minimum time each of PENDING_BUILD, BUILDING and PENDING_DEPLOY lasts. Default 0. */
  phaseLatencyMs?: number;
  /** Delay before every API answer. Default 0. */
  requestLatencyMs?: number;
  /** The API's rate limits per token. Default DigitalOcean's: 5,000 an hour, 250 a minute. */
  rateLimit?: RateLimitSettings;
  /** Scales health-check periods and initial delays (App Platform's are seconds). Default 1; tests use e.g. 0.05. */
  healthCheckIntervalScale?: number;
  /** How long a component may take to pass its health check at all. Default 120 s. */
  startupTimeoutMs?: number;
  /** Env variable that, set to `crash` or `health-check` on a component, makes its deployments fail. Default `DO_EMULATOR_DEPLOYMENT_FAULT`. */
  deploymentFaultEnv?: string;
  /** The emulator's clock (epoch ms) for timestamps and rate limits. Default `Date.now`. */
  now?: () => number;
  /** Receives diagnostic lines. */
  log?: (line: string) => void;
}

/** A running emulator. */
export interface DoEmulator {
  /** `http://127.0.0.1:<port>/v2`: the `endpoint` for `createApiClient`. */
  endpoint: string;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** A token the API accepts. */
  token: string;
  /** Fault injection: failing calls, 429s, deployments that crash or fail their health check. */
  faults: FaultController;
  /** Every API call answered, in order. */
  calls: CallRecord[];
  /** Change latencies and limits while running. */
  setLatency(latency: { phaseMs?: number; requestMs?: number }): void;
  setRateLimit(limit: RateLimitSettings): void;
  /** Stop the server, every container and every app URL. */
  close(): Promise<void>;
}

/**
 * Start one local server for DigitalOcean App Platform, the Container Registry and `GET /v2/account`,
 * reached by `dots-wrapper` through `createApiClient({ token, endpoint: emulator.endpoint })`.
 */
export async function startDoEmulator(options: DoEmulatorOptions = {}): Promise<DoEmulator> {
  const tokens = options.tokens ?? ['emulator-token'];
  const local = options.registry ?? { host: '127.0.0.1:5000' };
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const faults = new FaultController();
  const calls: CallRecord[] = [];
  let phaseLatency = options.phaseLatencyMs ?? 0;
  let requestLatency = options.requestLatencyMs ?? 0;
  let rateLimit = options.rateLimit ?? { perHour: 5000, perMinute: 250 };
  const account: EmulatedAccount = {
    uuid: options.account?.uuid ?? randomBytes(20).toString('hex'),
    email: options.account?.email ?? 'sammy@example.com',
    ...(options.account?.name ? { name: options.account.name } : {}),
  };
  const runtime =
    options.runtime ??
    dockerRuntime({
      label: 'berth.do-emulator',
      registryAuth: local.username
        ? { [local.host]: { username: local.username, password: local.password ?? '' } }
        : {},
    });
  const launcher = createVersionLauncher({
    runtime,
    faults,
    faultEnv: options.deploymentFaultEnv ?? 'DO_EMULATOR_DEPLOYMENT_FAULT',
    containerPrefix: `do-emulator-${randomBytes(3).toString('hex')}`,
    startupTimeoutMs: options.startupTimeoutMs ?? 120_000,
    log,
  });
  const secrets = createSecretBox();
  const registry = registryApi({
    local,
    now,
    ...(options.containerRegistry ? { initial: options.containerRegistry } : {}),
  });
  const runner = createDeploymentRunner({
    launcher,
    secrets,
    registry: () => ({ host: local.host, name: registry.name() }),
    phaseLatencyMs: () => phaseLatency,
    healthCheckIntervalScale: options.healthCheckIntervalScale ?? 1,
    now,
    log,
  });
  let url = '';
  const apps = appsApi({
    runner,
    secrets,
    ownerUuid: account.uuid,
    defaultRegion: options.defaultRegion ?? 'nyc',
    baseUrl: () => url,
    now,
    log,
  });
  const router = createRouter({
    routes: [...apps.routes, ...registry.routes, ...accountApi(account)],
    authorize: (token) => tokens.includes(token),
    rateLimit: createRateLimiter(() => rateLimit, now),
    takeFault: (operation) => faults.takeCallFault(operation),
    requestLatencyMs: () => requestLatency,
    onCall: (record) => {
      calls.push(record);
      log(`${record.operation} -> ${record.status}${record.error ? ` ${record.error}` : ''}`);
    },
  });
  const server = createServer((request, response) => {
    // A deployment's log URL, as `live_url` of the logs call: plain text, no token (DO signs these URLs).
    const logs = /^\/logs\/([^/]+)\/([^/?]+)$/.exec(request.url ?? '');
    if (request.method === 'GET' && logs) {
      const lines = apps.logsOf(logs[1] ?? '', logs[2] ?? '');
      response.writeHead(lines ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(lines ? `${lines.join('\n')}\n` : 'Not Found');
      return;
    }
    void router(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  return {
    endpoint: `${url}/v2`,
    url,
    port,
    token: tokens[0] ?? randomUUID(),
    faults,
    calls,
    setLatency(latency) {
      if (latency.phaseMs !== undefined) phaseLatency = latency.phaseMs;
      if (latency.requestMs !== undefined) requestLatency = latency.requestMs;
    },
    setRateLimit(limit) {
      rateLimit = limit;
    },
    async close() {
      phaseLatency = 0;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apps.close();
      await runtime.close();
    },
  };
}
