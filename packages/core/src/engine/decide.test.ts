import { describe, expect, it } from 'vitest';
import { decide, type FailureFacts, type ObservedAfterFailure } from './decide.js';

const facts = (extra: Partial<FailureFacts> = {}): FailureFacts => ({
  code: 'HEALTH_CHECK_FAILED',
  changed: true,
  adopted: false,
  failedRevision: '0003-ccccc',
  lastVerified: '0002-bbbbb',
  servingVerified: false,
  neverTookTraffic: false,
  rollbackAllowed: true,
  repaired: false,
  ...extra,
});
const up = (revision: string): ObservedAfterFailure => ({ revision, ready: true });
const down = (revision: string): ObservedAfterFailure => ({ revision, ready: false, running: false });

describe('decide', () => {
  const rows: Array<[string, ObservedAfterFailure | undefined, FailureFacts, 'auto' | 'never', unknown]> = [
    [
      'nothing changed: record failed',
      up('0002-bbbbb'),
      facts({ changed: false }),
      'auto',
      { action: 'record', outcome: 'failed' },
    ],
    [
      'new revision serves, auto: roll back to the last verified',
      up('0003-ccccc'),
      facts(),
      'auto',
      { action: 'rollback', to: '0002-bbbbb' },
    ],
    [
      'the run lost its lock to another run: no rollback, whatever serves',
      up('0003-ccccc'),
      facts({ code: 'LOCK_LOST' }),
      'auto',
      { action: 'record', outcome: 'failed', reason: 'this run lost its lock to another run: no rollback' },
    ],
    [
      'new revision serves, never: record failed',
      up('0003-ccccc'),
      facts(),
      'never',
      { action: 'record', outcome: 'failed', reason: "rollback policy is 'never'" },
    ],
    [
      'nothing verified before: record failed',
      up('0003-ccccc'),
      facts({ lastVerified: undefined }),
      'auto',
      { action: 'record', outcome: 'failed', reason: 'no earlier revision passed verification' },
    ],
    [
      'aborted during verification: still rolls back',
      up('0003-ccccc'),
      facts({ code: 'DEPLOY_ABORTED' }),
      'auto',
      { action: 'rollback', to: '0002-bbbbb' },
    ],
    [
      'timed out during verification: still rolls back',
      up('0003-ccccc'),
      facts({ code: 'DEPLOY_TIMEOUT' }),
      'auto',
      { action: 'rollback', to: '0002-bbbbb' },
    ],
    [
      'aborted a second time: rollback skipped',
      up('0003-ccccc'),
      facts({ code: 'DEPLOY_ABORTED', rollbackAllowed: false }),
      'auto',
      { action: 'record', outcome: 'failed', reason: 'the run was aborted again: rollback skipped' },
    ],
    [
      'verify before traffic: the old verified revision still serves',
      up('0002-bbbbb'),
      facts({ servingVerified: true, neverTookTraffic: true }),
      'auto',
      { action: 'record', outcome: 'rolled-back' },
    ],
    [
      'the platform says the new revision never took traffic',
      up('0002-bbbbb'),
      facts({ servingVerified: true, platform: { kind: 'never-took-traffic', revision: '0003-ccccc' } }),
      'auto',
      { action: 'record', outcome: 'rolled-back' },
    ],
    [
      'served at once, then the old revision serves again: the engine restores and verifies it',
      up('0002-bbbbb'),
      facts({ servingVerified: true }),
      'auto',
      { action: 'rollback', to: '0002-bbbbb' },
    ],
    [
      'the old revision serves but is not known verified: roll back',
      up('0002-bbbbb'),
      facts({ servingVerified: false }),
      'auto',
      { action: 'rollback', to: '0002-bbbbb' },
    ],
    [
      'the old verified revision serves but is down: roll back',
      down('0002-bbbbb'),
      facts({ servingVerified: true, neverTookTraffic: true }),
      'auto',
      { action: 'rollback', to: '0002-bbbbb' },
    ],
    [
      'the platform restored a verified revision itself',
      up('0002-bbbbb'),
      facts({ servingVerified: true, platform: { kind: 'restored', revision: '0002-bbbbb' } }),
      'auto',
      {
        action: 'record',
        outcome: 'rolled-back',
        reason: 'the platform restored revision 0002-bbbbb itself',
      },
    ],
    [
      'the platform restored an unverified revision: failed, nothing redeployed',
      up('0001-aaaaa'),
      facts({ platform: { kind: 'restored', revision: '0001-aaaaa' } }),
      'auto',
      { action: 'record', outcome: 'failed' },
    ],
    [
      'the platform restored, under never: still recorded as rolled back',
      up('0002-bbbbb'),
      facts({ servingVerified: true, platform: { kind: 'restored', revision: '0002-bbbbb' } }),
      'never',
      { action: 'record', outcome: 'rolled-back' },
    ],
    [
      'adopting a live revision that answers wrongly: left as it is',
      up('0003-ccccc'),
      facts({ changed: false, adopted: true }),
      'auto',
      { action: 'record', outcome: 'failed' },
    ],
    [
      'adopting a live revision that is down: repair',
      down('0003-ccccc'),
      facts({ changed: false, adopted: true }),
      'auto',
      { action: 'repair' },
    ],
    [
      'adopting a down revision under never: record',
      down('0003-ccccc'),
      facts({ changed: false, adopted: true }),
      'never',
      { action: 'record', outcome: 'failed' },
    ],
    [
      'a repair that failed: roll back',
      up('0004-ddddd'),
      facts({ failedRevision: '0004-ddddd', repaired: true }),
      'auto',
      { action: 'rollback', to: '0002-bbbbb' },
    ],
    [
      'adopting again after a repair: no second repair',
      down('0003-ccccc'),
      facts({ changed: false, adopted: true, repaired: true }),
      'auto',
      { action: 'record', outcome: 'failed' },
    ],
    [
      'the service is gone after apply: roll back',
      undefined,
      facts(),
      'auto',
      { action: 'rollback', to: '0002-bbbbb' },
    ],
  ];
  it.each(rows)('%s', (_name, observed, input, policy, expected) => {
    expect(decide(observed, input, policy)).toMatchObject(expected as object);
  });

  it('is pure: the same inputs give the same decision', () => {
    expect(decide(up('0003-ccccc'), facts(), 'auto')).toEqual(decide(up('0003-ccccc'), facts(), 'auto'));
  });
});
