import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkHistoryAppend, decideTakeover, type LockRecord } from './lock-rules.js';
import { canonicalJson, migrateState } from './migrate-state.js';

const owner = { host: 'elsewhere', user: 'ci', pid: 7, runId: 'r1', startedAt: '2026-01-01T00:00:00.000Z' };
const record = (expiresAt: number, extra: Partial<LockRecord['owner']> = {}): LockRecord => ({
  owner: { ...owner, ...extra },
  token: 't',
  expiresAt,
});

describe('decideTakeover', () => {
  it.each([
    ['a live lock of another host', record(2_000), {}, 'LOCK_HELD'],
    ['a live lock, forced', record(2_000), { takeover: true }, 'forced'],
    ['an expired lock', record(1_000), {}, 'expired'],
    [
      'a lock of a gone local process',
      record(2_000, { host: hostname(), pid: 2 ** 22 + 3 }),
      {},
      'owner-gone',
    ],
    ['a lock of this live process', record(2_000, { host: hostname(), pid: process.pid }), {}, 'LOCK_HELD'],
  ] as const)('%s', (_name, existing, options, expected) => {
    let outcome: string;
    try {
      outcome = decideTakeover('app-dev', existing, { now: 1_000, ...options }).reason;
    } catch (error) {
      outcome = (error as { code: string }).code;
      expect((error as { retryable: boolean }).retryable).toBe(true);
      expect((error as { details: { expiresAt: string } }).details.expiresAt).toBe(
        new Date(2_000).toISOString(),
      );
    }
    expect(outcome).toBe(expected);
  });
});

describe('checkHistoryAppend', () => {
  const ids = (...values: string[]) => values.map((id) => ({ id }));
  it.each([
    [ids(), ids('a'), true],
    [ids('a'), ids('a'), true],
    [ids('a'), ids('a', 'b'), true],
    [ids('a', 'b'), ids('a'), false],
    [ids('a', 'b'), ids('b', 'a'), false],
    [ids('a', 'b'), ids('a', 'x', 'c'), false],
  ])('%j then %j: allowed %s', (stored, next, allowed) => {
    const attempt = () => checkHistoryAppend('app-dev', stored, next);
    if (allowed) expect(attempt).not.toThrow();
    else expect(attempt).toThrow(expect.objectContaining({ code: 'STATE_CONFLICT' }));
  });
});

describe('migrateState', () => {
  it('migrates the same old state to byte-identical new state, whatever its key order', () => {
    const v1 = {
      service: 'app-dev',
      name: 'app',
      environment: 'dev',
      provider: 'memory',
      history: [{ id: 'a' }],
    };
    const reordered = {
      history: [{ id: 'a' }],
      provider: 'memory',
      environment: 'dev',
      name: 'app',
      service: 'app-dev',
    };
    const first = migrateState(structuredClone(v1), 'a');
    expect(JSON.stringify(migrateState(structuredClone(v1), 'b'))).toBe(JSON.stringify(first));
    expect(migrateState(structuredClone(reordered), 'c').fingerprintKey).toBe(first.fingerprintKey);
    const other = migrateState({ ...structuredClone(v1), name: 'other' }, 'd');
    expect(other.fingerprintKey).not.toBe(first.fingerprintKey);
  });

  it('writes canonical JSON with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });
});
