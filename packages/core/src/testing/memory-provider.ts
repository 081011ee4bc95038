import { BerthError, LockError } from '../errors/index.js';
import { defineProvider } from '../provider/define-provider.js';
import type {
  ApplyOutcome,
  DesiredService,
  ObservedService,
  Provider,
  ProviderLockRequest,
  ProviderOptionValues,
  RevisionInfo,
  SecretBinding,
  ServiceTarget,
  TargetLedger,
  TrafficTarget,
} from '../provider/provider.js';
import type { ServiceSpec } from '../spec/service-spec.js';
import {
  isCrashed,
  type RevisionBehaviour,
  type RevisionProgram,
  serveRevision,
  startLoopbackServer,
} from './revision-server.js';

/** Provider methods that change something (the ones `plan` must never call). */
export const WRITE_METHODS = [
  'apply',
  'destroy',
  'shiftTraffic',
  'restoreRevision',
  'secrets.upsert',
  'secrets.delete',
  'ledger.write',
  'ledger.clear',
] as const;

/** Fail a provider method on its nth call (1-based), `times` times in a row. */
export interface MemoryFault {
  method: string;
  nth?: number;
  times?: number;
  error?: Error;
}

/** Options of `memoryProvider`. */
export interface MemoryProviderOptions {
  /** Create new revisions with no traffic and verify them first (like Cloud Run). Default false. */
  verifyBeforeTraffic?: boolean;
  /** Offer a secret store. Default true; false passes secret values to `apply`. */
  secretStore?: boolean;
  /** How each revision behaves. Default: unhealthy when env `BERTH_TEST_FAIL_HEALTH=1`. */
  behaviour?: (desired: DesiredService) => Partial<RevisionBehaviour>;
  /** Injected failures. */
  faults?: MemoryFault[];
  /**
   * Offer `lock`: a lock per service kept in the memory cloud, so that deployers with different
   * state stores sharing this provider exclude each other, as operators on different machines do
   * with a lock that lives with the target. Default false.
   */
  locks?: boolean;
  /** Keep the convergence ledger with the target (`Provider.ledger`). Default true. */
  ledger?: boolean;
  /**
   * Provider options that are desired state (`Provider.desiredOptions`), e.g.
   * `() => ({ serviceAccount: 'a@x' })`; `observe` reports the applied values. Default none.
   */
  desiredOptions?: (target: ServiceTarget, spec: ServiceSpec) => ProviderOptionValues;
}

interface MemoryRevision {
  desired: DesiredService;
  program: RevisionProgram;
  createdAt: string;
  candidate?: { url: string; close: () => Promise<void> };
}

interface MemoryService {
  target: ServiceTarget;
  url: string;
  close: () => Promise<void>;
  revisions: Map<string, MemoryRevision>;
  traffic: TrafficTarget[];
}

interface MemorySecret {
  versions: string[];
  fingerprint: string;
}

/** The in-memory cloud behind a `memoryProvider`, for tests to inspect and steer. */
export interface MemoryCloud {
  services: Map<string, MemoryService>;
  secrets: Map<string, Map<string, MemorySecret>>;
  /** Every provider call, in order, e.g. `apply`, `secrets.upsert`. */
  calls: { method: string; service?: string }[];
  faults: MemoryFault[];
  /** The provider locks held now, by service (only with `locks: true`). */
  locks: Map<string, ProviderLockRequest>;
  /** The convergence ledgers kept with the target, by service. */
  ledgers: Map<string, TargetLedger>;
}

function defaultBehaviour(desired: DesiredService, values: Record<string, string>): RevisionBehaviour {
  const crash = values.BERTH_TEST_CRASH_AFTER_SECONDS;
  return {
    healthy: values.BERTH_TEST_FAIL_HEALTH !== '1',
    ...(crash ? { crashAfterMs: Number(crash) * 1000 } : {}),
    ...(desired.env.BERTH_TEST_READY_AFTER_MS
      ? { readyAfterMs: Number(desired.env.BERTH_TEST_READY_AFTER_MS) }
      : {}),
  };
}

/**
 * An in-memory cloud with revisions and traffic, where every service URL is a real HTTP server on
 * 127.0.0.1 routing to its serving revision, so health verification does real HTTP. Supports fault
 * injection, unhealthy and crashing revisions, slow readiness, and verify-before-traffic.
 */
export function memoryProvider(
  options: MemoryProviderOptions = {},
): Provider & { cloud: MemoryCloud; close(): Promise<void> } {
  const cloud: MemoryCloud = {
    services: new Map(),
    secrets: new Map(),
    calls: [],
    faults: [...(options.faults ?? [])],
    locks: new Map(),
    ledgers: new Map(),
  };
  const counts = new Map<string, number>();

  const call = (method: string, service?: string) => {
    cloud.calls.push({ method, ...(service ? { service } : {}) });
    const count = (counts.get(method) ?? 0) + 1;
    counts.set(method, count);
    for (const fault of cloud.faults) {
      if (fault.method !== method) continue;
      const first = fault.nth ?? 1;
      if (count >= first && count < first + (fault.times ?? 1))
        throw (
          fault.error ??
          new BerthError('PROVIDER_UNAVAILABLE', `Injected failure of ${method} (call ${count})`, {
            retryable: true,
          })
        );
    }
  };

  const servingRevision = (service: MemoryService): MemoryRevision | undefined => {
    const top = [...service.traffic].sort((left, right) => right.percent - left.percent)[0];
    return top ? service.revisions.get(top.revision) : undefined;
  };

  const secretValues = (
    target: ServiceTarget,
    secrets: Record<string, SecretBinding>,
  ): Record<string, string> => {
    const values: Record<string, string> = {};
    for (const [key, binding] of Object.entries(secrets)) {
      if (binding.value !== undefined) values[key] = binding.value;
      else {
        const version = Number(binding.ref?.split('/').at(-1));
        const stored = cloud.secrets.get(target.service)?.get(key)?.versions[version - 1];
        if (stored === undefined)
          throw new BerthError('PROVIDER_NOT_FOUND', `Secret ${key} (${binding.ref}) does not exist`);
        values[key] = stored;
      }
    }
    return values;
  };

  async function ensureService(target: ServiceTarget): Promise<MemoryService> {
    const existing = cloud.services.get(target.service);
    if (existing) return existing;
    const service: MemoryService = {
      target,
      url: '',
      close: async () => {},
      revisions: new Map(),
      traffic: [],
    };
    const server = await startLoopbackServer((request, response) => {
      const revision = servingRevision(service);
      if (!revision) {
        response.writeHead(503).end('no revision serves traffic');
        return;
      }
      serveRevision(revision.program, request, response);
    });
    service.url = server.url;
    service.close = server.close;
    cloud.services.set(target.service, service);
    return service;
  }

  function createRevision(service: MemoryService, desired: DesiredService): MemoryRevision {
    const values = { ...desired.env, ...secretValues(service.target, desired.secrets) };
    const behaviour = { ...defaultBehaviour(desired, values), ...options.behaviour?.(desired) };
    const stripped = {
      ...desired,
      secrets: Object.fromEntries(
        Object.entries(desired.secrets).map(([key, binding]) => [
          key,
          { fingerprint: binding.fingerprint, ...(binding.ref ? { ref: binding.ref } : {}) },
        ]),
      ),
    };
    const revision: MemoryRevision = {
      desired: stripped,
      program: {
        revision: desired.revision,
        healthPath: desired.healthPath,
        env: values,
        behaviour,
        startedAt: Date.now(),
      },
      createdAt: new Date().toISOString(),
    };
    service.revisions.set(desired.revision, revision);
    return revision;
  }

  const provider = defineProvider({
    specificationVersion: 'v1',
    name: 'memory',
    async observe(_context, target): Promise<ObservedService | undefined> {
      call('observe', target.service);
      const service = cloud.services.get(target.service);
      const serving = service && servingRevision(service);
      if (!service || !serving) return undefined;
      const desired = serving.desired;
      return {
        service: target.service,
        url: service.url,
        revision: desired.revision,
        image: desired.image,
        port: desired.port,
        env: { ...desired.env },
        secrets: Object.fromEntries(
          Object.entries(desired.secrets).map(([key, binding]) => [
            key,
            { fingerprint: binding.fingerprint, ...(binding.ref ? { ref: binding.ref } : {}) },
          ]),
        ),
        resources: desired.resources,
        public: desired.public,
        traffic: service.traffic.map((entry) => ({ ...entry })),
        ...(desired.provider ? { provider: { ...desired.provider } } : {}),
        ready: !isCrashed(serving.program),
        running: !isCrashed(serving.program),
      };
    },
    async apply(_context, desired): Promise<ApplyOutcome> {
      call('apply', desired.service);
      const service = await ensureService(desired);
      const revision = createRevision(service, desired);
      const hasTraffic = service.traffic.length > 0;
      if (options.verifyBeforeTraffic && hasTraffic) {
        revision.candidate = await startLoopbackServer((request, response) =>
          serveRevision(revision.program, request, response),
        );
        return { revision: desired.revision, url: service.url, candidateUrl: revision.candidate.url };
      }
      service.traffic = [{ revision: desired.revision, percent: 100 }];
      return { revision: desired.revision, url: service.url };
    },
    async destroy(_context, target) {
      call('destroy', target.service);
      const service = cloud.services.get(target.service);
      if (!service) return { removed: [] };
      await service.close();
      for (const revision of service.revisions.values()) await revision.candidate?.close();
      cloud.services.delete(target.service);
      return {
        removed: [
          target.service,
          ...[...service.revisions.keys()].map((revision) => `${target.service}/${revision}`),
        ],
      };
    },
    ...(options.verifyBeforeTraffic
      ? {
          async shiftTraffic(_context, target, revisionId) {
            call('shiftTraffic', target.service);
            const service = cloud.services.get(target.service);
            const revision = service?.revisions.get(revisionId);
            if (!service || !revision)
              throw new BerthError('REVISION_NOT_FOUND', `No revision ${revisionId}`);
            service.traffic = [{ revision: revisionId, percent: 100 }];
            await revision.candidate?.close();
            delete revision.candidate;
            return { revision: revisionId, url: service.url };
          },
        }
      : {}),
    async restoreRevision(_context, target, record) {
      call('restoreRevision', target.service);
      const service = await ensureService(target);
      if (!service.revisions.has(record.revision)) createRevision(service, record.desired);
      const revision = service.revisions.get(record.revision)!;
      revision.program.startedAt = Date.now();
      service.traffic = [{ revision: record.revision, percent: 100 }];
      return { revision: record.revision, url: service.url };
    },
    async listRevisions(_context, target): Promise<RevisionInfo[]> {
      call('listRevisions', target.service);
      const service = cloud.services.get(target.service);
      if (!service) return [];
      return [...service.revisions.values()].map((revision) => ({
        revision: revision.desired.revision,
        image: revision.desired.image,
        createdAt: revision.createdAt,
        traffic: service.traffic.find((entry) => entry.revision === revision.desired.revision)?.percent ?? 0,
        status: isCrashed(revision.program) ? 'failed' : 'ready',
      }));
    },
    async probeRevision(_context, target, revisionId) {
      call('probeRevision', target.service);
      const revision = cloud.services.get(target.service)?.revisions.get(revisionId);
      if (!revision) return { alive: false, reason: 'revision not found' };
      return isCrashed(revision.program) ? { alive: false, reason: 'the revision crashed' } : { alive: true };
    },
    ...(options.desiredOptions ? { desiredOptions: options.desiredOptions } : {}),
    ...(options.ledger === false
      ? {}
      : {
          ledger: {
            async read(_context, target) {
              call('ledger.read', target.service);
              const ledger = cloud.ledgers.get(target.service);
              return ledger ? (JSON.parse(JSON.stringify(ledger)) as TargetLedger) : undefined;
            },
            async write(_context, target, ledger) {
              call('ledger.write', target.service);
              cloud.ledgers.set(target.service, JSON.parse(JSON.stringify(ledger)) as TargetLedger);
            },
            async clear(_context, target) {
              call('ledger.clear', target.service);
              cloud.ledgers.delete(target.service);
            },
          },
        }),
    ...(options.locks
      ? {
          async lock(_context, target, run) {
            call('lock', target.service);
            const holder = cloud.locks.get(target.service);
            if (holder)
              throw new LockError(
                'LOCK_HELD',
                `Service ${target.service} is locked in the memory cloud by run ${holder.runId} (${holder.operation})`,
                { hint: 'Wait for that run to finish.', details: { ...holder } },
              );
            const mine = { ...run };
            cloud.locks.set(target.service, mine);
            return {
              async renew() {
                call('lock.renew', target.service);
              },
              async release() {
                call('lock.release', target.service);
                if (cloud.locks.get(target.service) === mine) cloud.locks.delete(target.service);
              },
            };
          },
        }
      : {}),
    ...(options.secretStore === false
      ? {}
      : {
          secrets: {
            async upsert(_context, target, materials) {
              call('secrets.upsert', target.service);
              const store = cloud.secrets.get(target.service) ?? new Map<string, MemorySecret>();
              cloud.secrets.set(target.service, store);
              const bindings: Record<string, SecretBinding> = {};
              for (const material of materials) {
                const secret = store.get(material.key) ?? { versions: [], fingerprint: '' };
                if (secret.fingerprint !== material.fingerprint) secret.versions.push(material.value);
                secret.fingerprint = material.fingerprint;
                store.set(material.key, secret);
                bindings[material.key] = {
                  ref: `memory://secrets/${target.service}/${material.key}/versions/${secret.versions.length}`,
                  fingerprint: material.fingerprint,
                };
              }
              return bindings;
            },
            async read(_context, target, key) {
              call('secrets.read', target.service);
              return cloud.secrets.get(target.service)?.get(key)?.versions.at(-1);
            },
            async list(_context, target) {
              call('secrets.list', target.service);
              return [
                ...(cloud.secrets.get(target.service) ?? new Map<string, MemorySecret>()).entries(),
              ].map(([key, secret]) => ({
                key,
                fingerprint: secret.fingerprint,
              }));
            },
            async delete(_context, target, keys) {
              call('secrets.delete', target.service);
              for (const key of keys) cloud.secrets.get(target.service)?.delete(key);
            },
          },
        }),
  });
  return Object.assign(provider, {
    cloud,
    async close() {
      for (const service of cloud.services.values()) {
        await service.close();
        for (const revision of service.revisions.values()) await revision.candidate?.close();
      }
      cloud.services.clear();
    },
  });
}
