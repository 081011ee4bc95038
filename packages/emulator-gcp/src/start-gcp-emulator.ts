import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ContainerRuntime, dockerRuntime, type RegistryLogin } from '@berth/emulator-runtime';
import { artifactRegistryHandlers } from './artifact-registry/artifact-registry-api.js';
import { CloudRunState } from './cloud-run/cloud-run-state.js';
import { createRevisionLauncher } from './cloud-run/revision-launcher.js';
import { revisionsHandlers } from './cloud-run/revisions-api.js';
import { servicesHandlers } from './cloud-run/services-api.js';
import type { EmulatorContext, RpcHandler } from './emulator-context.js';
import { FaultController } from './faults.js';
import { IamPolicies } from './iam-policies.js';
import { OperationStore } from './operations.js';
import { ProjectDirectory } from './projects.js';
import { type CallRecord, createDispatcher } from './rpc/dispatch.js';
import { type ApiName, loadProtoRegistry } from './rpc/proto-registry.js';
import { permissionDenied } from './rpc/rpc-error.js';
import { secretManagerHandlers } from './secret-manager/secret-manager-api.js';
import { SecretStore } from './secret-manager/secret-store.js';

/** Options of `startGcpEmulator`. */
export interface GcpEmulatorOptions {
  /** Port of the API endpoint on 127.0.0.1. Default 0: a free port. */
  port?: number;
  /** How revisions run. Default: containers on the local Docker engine (`dockerRuntime`). */
  runtime?: ContainerRuntime;
  /** Registry credentials the default Docker runtime pulls revision images with, by registry host. */
  registryAuth?: Record<string, RegistryLogin>;
  /** Project numbers by project id. Secret Manager answers with numbers; unknown ids get a stable made-up one. */
  projectNumbers?: Record<string, string>;
  /** Answer every call of these APIs with 403 `SERVICE_DISABLED`, as a project without them enabled does. */
  disabledApis?: ApiName[];
  /** Deny these IAM permissions (e.g. `run.services.setIamPolicy`) with 403 `IAM_PERMISSION_DENIED`. */
  deniedPermissions?: string[];
  /** Minimum time every long-running operation stays `done: false`. Default 0. */
  operationLatencyMs?: number;
  /** Delay before every API answer. Default 0. */
  requestLatencyMs?: number;
  /** How long a revision may take to pass its startup probe. Default 60 s. */
  startupTimeoutMs?: number;
  /** Env variable that, set to `crash` or `startup-probe` in a revision, makes it fail. Default `GCP_EMULATOR_REVISION_FAULT`. */
  revisionFaultEnv?: string;
  /** Artifact Registry's Docker host in `registryUri`; default `${location}-docker.pkg.dev`. */
  artifactRegistryHost?: string;
  /** Identity reported as `creator` and `lastModifier`. Default `emulator@example.com`. */
  principal?: string;
  /** Receives diagnostic lines. */
  log?: (line: string) => void;
}

/** A running emulator. */
export interface GcpEmulator {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Spread into any official client's options: `new ServicesClient({ ...emulator.clientOptions, authClient })`. */
  clientOptions: { apiEndpoint: string; port: number; protocol: 'http'; fallback: true };
  /** Fault injection. */
  faults: FaultController;
  /** Every API call answered, in order. */
  calls: CallRecord[];
  /** Change latencies while running. */
  setLatency(latency: { operationMs?: number; requestMs?: number }): void;
  /** Stop the server, every revision container and every service URL. */
  close(): Promise<void>;
}

/**
 * Start a local server speaking the REST surface of Cloud Run Admin API v2, Secret Manager v1 and
 * Artifact Registry v1. The official clients reach it with `fallback: true`, `apiEndpoint`,
 * `port`, `protocol: 'http'` and any auth client that sends a bearer token.
 */
export async function startGcpEmulator(options: GcpEmulatorOptions = {}): Promise<GcpEmulator> {
  const registry = loadProtoRegistry();
  let operationLatency = options.operationLatencyMs ?? 0;
  let requestLatency = options.requestLatencyMs ?? 0;
  const denied = new Set(options.deniedPermissions ?? []);
  const faults = new FaultController();
  const calls: CallRecord[] = [];
  const log = options.log ?? (() => undefined);
  const context: EmulatorContext = {
    projects: new ProjectDirectory(options.projectNumbers),
    operations: new OperationStore(() => operationLatency),
    iam: new IamPolicies(),
    faults,
    principal: options.principal ?? 'emulator@example.com',
    checkPermission(permission, resource) {
      if (denied.has(permission)) throw permissionDenied(permission, resource);
    },
    log,
  };
  const runtime =
    options.runtime ??
    dockerRuntime({ label: 'berth.gcp-emulator', registryAuth: options.registryAuth ?? {} });
  const secrets = new SecretStore();
  const launcher = createRevisionLauncher({
    runtime,
    faults,
    secrets,
    projectNumber: (project) => context.projects.numberOf(project),
    startupTimeoutMs: options.startupTimeoutMs ?? 60_000,
    faultEnv: options.revisionFaultEnv ?? 'GCP_EMULATOR_REVISION_FAULT',
    containerPrefix: `gcp-emulator-${randomBytes(3).toString('hex')}`,
  });
  const cloudRun = new CloudRunState(context, launcher);
  const host = options.artifactRegistryHost;
  const handlers = new Map<string, RpcHandler>([
    ...servicesHandlers(context, cloudRun),
    ...revisionsHandlers(context, cloudRun),
    ...secretManagerHandlers(context, secrets),
    ...artifactRegistryHandlers(context, host ? { dockerHost: () => host } : {}),
  ]);
  const disabled = new Set(options.disabledApis ?? []);
  const server = createServer(
    createDispatcher({
      registry,
      handlers,
      faults,
      disabledApis: () => disabled,
      requestLatencyMs: () => requestLatency,
      onCall: (record) => {
        calls.push(record);
        log(`${record.method} -> ${record.httpStatus} ${record.status}`);
      },
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    clientOptions: { apiEndpoint: '127.0.0.1', port, protocol: 'http', fallback: true },
    faults,
    calls,
    setLatency(latency) {
      if (latency.operationMs !== undefined) operationLatency = latency.operationMs;
      if (latency.requestMs !== undefined) requestLatency = latency.requestMs;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await context.operations.settle(5_000);
      await cloudRun.close();
      await runtime.close();
    },
  };
}
