import { StateError } from '../errors/index.js';
import { nodeCrypto } from '../ports/node-builtins.js';
import { type ServiceState, STATE_SCHEMA_VERSION } from './state-store.js';

type Migration = (state: Record<string, unknown>) => Record<string, unknown>;

/** JSON with object keys sorted: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * Migrations from each older schema version to the next. They are deterministic: the same old state
 * always migrates to byte-identical new state, wherever and however often it is read (two readers
 * of one shared store agree). Version 1 (Berth 0.0.x) had no fingerprint key and no revision
 * counter: the key is derived from the old state (it is stored beside the fingerprints, so it was
 * never a secret), secrets are re-fingerprinted on the next deploy, and the counter restarts after
 * the revisions already in history.
 */
const migrations: Record<number, Migration> = {
  1: (state) => ({
    ...state,
    schemaVersion: 2,
    fingerprintKey: nodeCrypto()
      .createHash('sha256')
      .update(`berth state v1 fingerprint key\n${canonicalJson(state)}`)
      .digest('base64url'),
    revisionCounter: Array.isArray(state.history) ? state.history.length : 0,
  }),
};

/** Bring a parsed state to the current schema version, or throw when it is from a newer Berth. */
export function migrateState(raw: unknown, source: string): ServiceState {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new StateError('STATE_CORRUPT', `State at ${source} is not an object`);
  let state = raw as Record<string, unknown>;
  let version = typeof state.schemaVersion === 'number' ? state.schemaVersion : 1;
  if (version > STATE_SCHEMA_VERSION)
    throw new StateError(
      'STATE_VERSION_UNSUPPORTED',
      `State at ${source} has schema version ${version}; this Berth reads up to ${STATE_SCHEMA_VERSION}`,
    );
  while (version < STATE_SCHEMA_VERSION) {
    const migrate = migrations[version];
    if (!migrate) throw new StateError('STATE_CORRUPT', `No migration from state schema version ${version}`);
    state = migrate(state);
    version += 1;
  }
  if (typeof state.service !== 'string' || !Array.isArray(state.history))
    throw new StateError('STATE_CORRUPT', `State at ${source} lacks service or history`);
  return state as unknown as ServiceState;
}
