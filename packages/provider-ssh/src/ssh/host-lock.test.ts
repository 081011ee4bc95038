import { describe, expect, it } from 'vitest';
import { isLockExpired, parseLockConflict } from './host-lock.js';

const owner = {
  owner: 'alice@laptop',
  operation: 'deploy',
  acquiredAt: '2025-01-01T00:00:00Z',
  ttlSeconds: 60,
  token: 't1',
};

describe('lock conflicts', () => {
  it('reads the host time, the lock time and the owner', () => {
    expect(parseLockConflict(`1000 950\n${JSON.stringify(owner)}\n`)).toEqual({
      hostNowSeconds: 1000,
      lockedAtSeconds: 950,
      owner,
    });
  });

  it('copes with a lock whose owner file is missing or foreign', () => {
    expect(parseLockConflict('1000 950\n')).toEqual({
      hostNowSeconds: 1000,
      lockedAtSeconds: 950,
      owner: undefined,
    });
    expect(parseLockConflict('1000 950\n{"who":"else"}').owner).toBeUndefined();
    expect(parseLockConflict('')).toEqual({ hostNowSeconds: 0, lockedAtSeconds: 0, owner: undefined });
  });

  it.each([
    [1000, 950, owner, 900, false],
    [1000, 940, owner, 900, false],
    [1000, 939, owner, 900, true],
    [1000, 950, undefined, 30, true],
    [1000, 950, undefined, 900, false],
  ])('at %d, a lock taken at %d (owner %#) with default TTL %d is expired: %s', (now, lockedAt, lockOwner, ttl, expired) => {
    expect(isLockExpired({ hostNowSeconds: now, lockedAtSeconds: lockedAt, owner: lockOwner }, ttl)).toBe(
      expired,
    );
  });
});
