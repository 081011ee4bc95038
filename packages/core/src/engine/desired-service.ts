import type { ResolvedHealthCheck } from '../health/health-report.js';
import { resolveHealthSchedule } from '../health/health-schedule.js';
import type { DesiredForPlan } from '../plan/plan-service.js';
import { nodeCrypto } from '../ports/node-builtins.js';
import type {
  DesiredHealth,
  DesiredService,
  ProviderOptionValues,
  SecretBinding,
  ServiceTarget,
} from '../provider/provider.js';
import type { HeaderValue, ServiceSpec } from '../spec/service-spec.js';
import type { ResolvedSecret } from './resolve-secrets.js';

/** The comparable desired state the planner needs. Pure. */
export function desiredForPlan(input: {
  target: ServiceTarget;
  spec: ServiceSpec;
  image: { ref: string; digest?: string };
  secrets: ResolvedSecret[];
  publicUrl?: string;
  /** The provider's desired-state options (`Provider.desiredOptions`). */
  providerOptions?: ProviderOptionValues;
}): DesiredForPlan {
  const env = { ...input.spec.env };
  if (input.spec.publicUrlEnv && input.publicUrl) env[input.spec.publicUrlEnv] = input.publicUrl;
  return {
    service: input.target.service,
    image: input.image,
    port: input.spec.port,
    env,
    secrets: Object.fromEntries(input.secrets.map((secret) => [secret.key, secret.fingerprint])),
    resources: input.spec.resources ?? {},
    public: input.spec.public,
    ...(input.providerOptions && Object.keys(input.providerOptions).length > 0
      ? { provider: sortedOptions(input.providerOptions) }
      : {}),
  };
}

function sortedOptions(options: ProviderOptionValues): ProviderOptionValues {
  return Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The spec's health settings, for providers with native probes (no secret header values). Pure. */
export function desiredHealthOf(spec: ServiceSpec): DesiredHealth {
  const schedule = resolveHealthSchedule(spec.health);
  return {
    path: spec.health.path,
    port: spec.port,
    intervalMs: schedule.intervalMs,
    maxIntervalMs: schedule.maxIntervalMs,
    timeoutMs: spec.health.timeoutMs,
    attemptTimeoutMs: spec.health.attemptTimeoutMs,
    successThreshold: spec.health.successThreshold,
  };
}

/** A short content hash of what a revision runs: the second half of its id. */
export function contentHash(value: unknown): string {
  return nodeCrypto().createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 5);
}

/** Highest revision sequence number in a revision id such as `svc-0007-a1b2c` or `0007-a1b2c`. */
export function revisionSequence(revision: string | undefined): number {
  const match = revision?.match(/(\d{4,})-[a-z0-9]{5}$/);
  return match ? Number(match[1]) : 0;
}

/** Revision id `${sequence}-${hash}`: ordered, unique per service, deterministic for its inputs. */
export function revisionId(sequence: number, plan: DesiredForPlan): string {
  return `${String(sequence).padStart(4, '0')}-${contentHash(plan)}`;
}

/** The service the provider is asked to run. Pure. */
export function buildDesiredService(input: {
  target: ServiceTarget;
  spec: ServiceSpec;
  plan: DesiredForPlan;
  revision: string;
  secrets: Record<string, SecretBinding>;
}): DesiredService {
  return {
    ...input.target,
    revision: input.revision,
    image: input.plan.image,
    port: input.spec.port,
    env: input.plan.env,
    secrets: input.secrets,
    healthPath: input.spec.health.path,
    health: desiredHealthOf(input.spec),
    resources: input.spec.resources ?? {},
    public: input.spec.public,
    ...(input.plan.provider ? { provider: input.plan.provider } : {}),
  };
}

/** A copy without secret values, safe to record. */
export function stripSecretValues(desired: DesiredService): DesiredService {
  return {
    ...desired,
    secrets: Object.fromEntries(
      Object.entries(desired.secrets).map(([key, binding]) => [
        key,
        { fingerprint: binding.fingerprint, ...(binding.ref ? { ref: binding.ref } : {}) },
      ]),
    ),
  };
}

/** The checks to run: the primary health path first, then the spec's checks with secret headers resolved. */
export function healthChecksOf(
  spec: ServiceSpec,
  secretValues: Map<string, string | undefined>,
): ResolvedHealthCheck[] {
  const resolveHeaders = (headers: Record<string, HeaderValue>): Record<string, string> =>
    Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : (secretValues.get(value.secret) ?? ''),
      ]),
    );
  const primary: ResolvedHealthCheck = {
    name: spec.health.path,
    path: spec.health.path,
    method: 'GET',
    expectStatus: 200,
    ...(spec.health.headers ? { headers: resolveHeaders(spec.health.headers) } : {}),
  };
  const extra = spec.health.checks.map((check): ResolvedHealthCheck => {
    const headers = resolveHeaders(check.headers ?? {});
    return {
      name: check.name ?? check.path,
      path: check.path,
      method: check.method,
      expectStatus: check.expectStatus,
      ...(check.bodyContains !== undefined ? { bodyContains: check.bodyContains } : {}),
      ...(check.json !== undefined ? { json: check.json } : {}),
      ...(check.headers ? { headers } : {}),
    };
  });
  return [primary, ...extra];
}
