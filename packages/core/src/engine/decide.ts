import type { ErrorCode } from '../errors/index.js';
import type { PlatformAction } from '../provider/provider.js';

/** What the engine observed of the service right after a failure. */
export interface ObservedAfterFailure {
  /** The revision serving, when the provider reports one. */
  revision?: string;
  ready: boolean;
  running?: boolean;
}

/** What the failed run had done, as facts the decision needs. */
export interface FailureFacts {
  /** The failure's code. */
  code: ErrorCode;
  /** The run called `apply` (a new revision may serve). */
  changed: boolean;
  /** The run verified the live revision in place (adopt) and changed nothing. */
  adopted: boolean;
  /** The revision the run created or adopted. */
  failedRevision?: string;
  /** What the platform said it did on its own. */
  platform?: PlatformAction;
  /**
   * The failed revision never served users: it was verified on a candidate URL (verify before
   * traffic) and traffic never moved, or the platform said so (`never-took-traffic`).
   */
  neverTookTraffic: boolean;
  /** The newest revision that passed verification, other than the failed one (state or ledger). */
  lastVerified?: string;
  /** The observed serving revision is known to have passed verification and not failed since. */
  servingVerified: boolean;
  /** False once the run was aborted a second time: no rollback may start. */
  rollbackAllowed: boolean;
  /** A repair was already tried in this run. */
  repaired: boolean;
}

/** What to do after a failure. */
export type Decision =
  /** Restore and verify revision `to`. */
  | { action: 'rollback'; to: string }
  /** Deploy the spec again as a new revision (the live one is down). */
  | { action: 'repair'; reason: string }
  /**
   * Nothing to restore: record what is observed. `outcome` is the result status: `rolled-back` when
   * a verified revision other than the failed one already serves (the platform kept or restored it).
   */
  | { action: 'record'; outcome: 'failed' | 'rolled-back'; reason: string };

/**
 * The one decision after a failure from `deploy` on: a pure function of what is observed, what the
 * run did, and the spec's rollback policy. See docs/concepts.md#the-decision-after-a-failure.
 */
export function decide(
  observed: ObservedAfterFailure | undefined,
  facts: FailureFacts,
  policy: 'auto' | 'never',
): Decision {
  if (!facts.changed && !facts.adopted)
    return { action: 'record', outcome: 'failed', reason: 'the run changed nothing' };
  // Another run took the service's lock over: it owns the service now, so this run acts no further
  // (its record is refused by the fenced write too).
  if (facts.code === 'LOCK_LOST')
    return {
      action: 'record',
      outcome: 'failed',
      reason: 'this run lost its lock to another run: no rollback',
    };
  const serving = observed?.revision;
  const servingUp = observed?.ready === true && observed.running !== false;
  if (facts.platform?.kind === 'restored' && serving === facts.platform.revision && servingUp)
    return {
      action: 'record',
      outcome: facts.servingVerified ? 'rolled-back' : 'failed',
      reason: `the platform restored revision ${serving} itself`,
    };
  const untouched = facts.neverTookTraffic || facts.platform?.kind === 'never-took-traffic';
  if (untouched && serving && serving !== facts.failedRevision && facts.servingVerified && servingUp)
    return {
      action: 'record',
      outcome: 'rolled-back',
      reason: `revision ${facts.failedRevision ?? '(new)'} never took traffic; ${serving} still serves`,
    };
  if (facts.adopted && !facts.changed) {
    if (policy === 'auto' && !facts.repaired && observed !== undefined && !servingUp)
      return { action: 'repair', reason: `the live revision ${serving ?? ''} is down`.replace('  ', ' ') };
    return {
      action: 'record',
      outcome: 'failed',
      reason: 'the live revision failed verification in place and was left as it is',
    };
  }
  if (policy === 'never')
    return { action: 'record', outcome: 'failed', reason: "rollback policy is 'never'" };
  if (!facts.rollbackAllowed)
    return { action: 'record', outcome: 'failed', reason: 'the run was aborted again: rollback skipped' };
  if (!facts.lastVerified)
    return { action: 'record', outcome: 'failed', reason: 'no earlier revision passed verification' };
  return { action: 'rollback', to: facts.lastVerified };
}
