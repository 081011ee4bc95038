import { type ObservedService, type ProviderOptionValues, UNKNOWN } from '../provider/provider.js';
import { maskFingerprint } from '../secrets/fingerprint.js';
import type { Resources } from '../spec/service-spec.js';
import type { CurrentState } from '../state/state-store.js';
import type { Plan, PlanChange, PlanDrift, PlanValue } from './plan.js';

/** What the engine wants, in the comparable form the planner needs. */
export interface DesiredForPlan {
  service: string;
  image: { ref: string; digest?: string };
  port: number;
  env: Record<string, string>;
  /** Secret fingerprints by name; `undefined` when a value will be generated. */
  secrets: Record<string, string | undefined>;
  resources: Resources;
  public: boolean;
  /** The provider's desired-state options (`Provider.desiredOptions`), planned as `provider.<name>`. */
  provider?: ProviderOptionValues;
}

type Flat = Map<string, PlanValue>;

function imageIdentity(image: { ref?: string; digest?: string } | undefined): PlanValue {
  if (!image) return null;
  return image.digest ?? image.ref ?? null;
}

function flattenDesired(desired: DesiredForPlan): Flat {
  const flat: Flat = new Map();
  flat.set('image', imageIdentity(desired.image));
  flat.set('port', desired.port);
  flat.set('public', desired.public);
  for (const [key, value] of Object.entries(desired.env)) flat.set(`env.${key}`, value);
  for (const [key, fingerprint] of Object.entries(desired.secrets))
    flat.set(`secrets.${key}`, fingerprint === undefined ? '******(new)' : maskFingerprint(fingerprint));
  for (const [key, value] of Object.entries(desired.resources))
    if (value !== undefined) flat.set(`resources.${key}`, value);
  for (const [key, value] of Object.entries(desired.provider ?? {})) flat.set(`provider.${key}`, value);
  return flat;
}

/** Paths whose live value the provider could not read: never a change, never drift. */
function unknownPaths(observed: ObservedService, desired: DesiredForPlan | undefined): Set<string> {
  const paths = new Set<string>();
  if (observed.port === undefined || observed.port === UNKNOWN) paths.add('port');
  if (observed.public === undefined || observed.public === UNKNOWN) paths.add('public');
  for (const key of Object.keys(desired?.resources ?? {}))
    if (observed.resources?.[key as keyof typeof observed.resources] === undefined)
      paths.add(`resources.${key}`);
  for (const key of Object.keys(desired?.provider ?? {}))
    if (observed.provider?.[key] === undefined || observed.provider[key] === UNKNOWN)
      paths.add(`provider.${key}`);
  return paths;
}

function flattenObserved(observed: ObservedService, desired: DesiredForPlan): Flat {
  const flat: Flat = new Map();
  // Compare by digest when both sides know one; else by reference.
  const observedImage = desired.image.digest
    ? (observed.image?.digest ?? observed.image?.ref ?? null)
    : (observed.image?.ref ?? observed.image?.digest ?? null);
  flat.set('image', observedImage);
  if (observed.port !== undefined && observed.port !== UNKNOWN) flat.set('port', observed.port);
  if (observed.public !== undefined && observed.public !== UNKNOWN) flat.set('public', observed.public);
  for (const [key, value] of Object.entries(observed.env)) flat.set(`env.${key}`, value);
  for (const [key, secret] of Object.entries(observed.secrets))
    flat.set(`secrets.${key}`, maskFingerprint(secret.fingerprint) ?? '******(unknown)');
  for (const [key, value] of Object.entries(observed.resources ?? {}))
    if (value !== undefined && key in desired.resources) flat.set(`resources.${key}`, value);
  for (const [key, value] of Object.entries(observed.provider ?? {}))
    if (value !== UNKNOWN && key in (desired.provider ?? {})) flat.set(`provider.${key}`, value);
  return flat;
}

function flattenRecorded(current: CurrentState): Flat {
  const desired = current.record.desired;
  const flat: Flat = new Map();
  flat.set('image', imageIdentity(desired.image));
  flat.set('port', desired.port);
  for (const [key, value] of Object.entries(desired.env)) flat.set(`env.${key}`, value);
  for (const [key, fingerprint] of Object.entries(current.secretFingerprints))
    flat.set(`secrets.${key}`, maskFingerprint(fingerprint));
  for (const [key, value] of Object.entries(desired.provider ?? {})) flat.set(`provider.${key}`, value);
  return flat;
}

function byPath<T extends { path: string }>(left: T, right: T): number {
  return left.path < right.path ? -1 : left.path > right.path ? 1 : 0;
}

function diff(before: Flat, after: Flat, unknown: Set<string> = new Set()): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const [path, value] of after) {
    if (unknown.has(path)) continue;
    if (!before.has(path)) changes.push({ path, kind: 'add', before: null, after: value });
    else if (before.get(path) !== value)
      changes.push({ path, kind: 'change', before: before.get(path) ?? null, after: value });
  }
  for (const [path, value] of before)
    if (!after.has(path) && !path.startsWith('resources.'))
      changes.push({ path, kind: 'remove', before: value, after: null });
  return changes.sort(byPath);
}

function driftOf(recorded: Flat, observed: Flat, unknown: Set<string>): PlanDrift[] {
  const drift: PlanDrift[] = [];
  const paths = new Set([...recorded.keys(), ...observed.keys()]);
  for (const path of paths) {
    if (path === 'public' || path.startsWith('resources.') || unknown.has(path)) continue;
    const was = recorded.get(path) ?? null;
    const is = observed.get(path) ?? null;
    if (was !== is) drift.push({ path, recorded: was, observed: is });
  }
  return drift.sort(byPath);
}

/** A live service that does not serve: planned as a repair (`update`) with a drift entry saying why. */
function healthDrift(observed: ObservedService): PlanDrift[] {
  const drift: PlanDrift[] = [];
  if (observed.running === false) drift.push({ path: 'running', recorded: true, observed: false });
  if (!observed.ready) drift.push({ path: 'ready', recorded: true, observed: false });
  return drift;
}

/**
 * Plan a deploy: a pure function of the desired service, the observed live service and the last
 * recorded state. The live service is the truth for changes; the recorded state only reveals drift.
 * Fields the provider cannot read (`'unknown'`, absent) are never changes. A live service observed
 * not ready or not running is an `update` (a repair) with `ready`/`running` drift, never a `noop`.
 */
export function planService(input: {
  desired: DesiredForPlan;
  observed: ObservedService | undefined;
  current: CurrentState | undefined;
}): Plan {
  const { desired, observed, current } = input;
  const wanted = flattenDesired(desired);
  if (!observed) {
    const changes = diff(new Map(), wanted);
    return { service: desired.service, action: 'create', changes, drift: detectDrift(undefined, current) };
  }
  const live = flattenObserved(observed, desired);
  const changes = diff(live, wanted, unknownPaths(observed, desired));
  const down = healthDrift(observed);
  return {
    service: desired.service,
    action: changes.length === 0 && down.length === 0 ? 'noop' : 'update',
    changes,
    drift: [...detectDrift(observed, current), ...down].sort(byPath),
  };
}

/** Changes made outside Berth: where the live service differs from what Berth last recorded. Pure. */
export function detectDrift(
  observed: ObservedService | undefined,
  current: CurrentState | undefined,
): PlanDrift[] {
  if (!current) return [];
  if (!observed) return [{ path: 'service', recorded: current.revision, observed: null }];
  const recorded = flattenRecorded(current);
  const unknown = unknownPaths(observed, {
    resources: {},
    ...(current.record.desired.provider ? { provider: current.record.desired.provider } : {}),
  } as DesiredForPlan);
  return driftOf(recorded, flattenForDrift(observed), unknown);
}

function flattenForDrift(observed: ObservedService): Flat {
  const flat: Flat = new Map();
  flat.set('image', imageIdentity(observed.image));
  if (observed.port !== undefined && observed.port !== UNKNOWN) flat.set('port', observed.port);
  for (const [key, value] of Object.entries(observed.provider ?? {}))
    if (value !== UNKNOWN) flat.set(`provider.${key}`, value);
  for (const [key, value] of Object.entries(observed.env)) flat.set(`env.${key}`, value);
  for (const [key, secret] of Object.entries(observed.secrets))
    flat.set(`secrets.${key}`, maskFingerprint(secret.fingerprint) ?? '******(unknown)');
  return flat;
}

/** Plan JSON with sorted keys, for byte-identical output. */
export function planToJson(plan: Plan): string {
  return JSON.stringify(plan, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : value,
  );
}
