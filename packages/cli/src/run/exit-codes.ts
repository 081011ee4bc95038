/** The exit codes of `berth`: documented in docs/cli.md and stable. */
export const EXIT = {
  /** Success, or nothing to do. */
  ok: 0,
  /** A service failed (nothing changed, or it failed without a rollback). */
  failed: 1,
  /** Bad usage or an invalid config: nothing was touched. */
  usage: 2,
  /** Verification failed and the previous revision was restored: the deploy did not go live. */
  rolledBack: 3,
  /** Verification failed and the rollback failed too: look at the service now. */
  rollbackFailed: 4,
  /** Interrupted (Ctrl-C / SIGINT or SIGTERM). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Error codes that mean the input was wrong, not the target. */
const usageCodes = new Set(['SPEC_INVALID', 'PROVIDER_OPTIONS_INVALID', 'SECRET_SOURCE_MISSING']);

/** What one service's outcome says, as the CLI reports it. */
export interface ServiceOutcome {
  status: string;
  error?: { code: string };
}

/** The exit code of one outcome. Pure. */
export function exitCodeOf(outcome: ServiceOutcome): ExitCode {
  switch (outcome.status) {
    case 'succeeded':
    case 'noop':
    case 'destroyed':
    case 'planned':
    case 'ok':
      return EXIT.ok;
    case 'rolled-back':
      return EXIT.rolledBack;
    case 'rollback-failed':
      return EXIT.rollbackFailed;
    case 'interrupted':
      return EXIT.interrupted;
    default:
      if (outcome.error?.code === 'DEPLOY_ABORTED') return EXIT.interrupted;
      if (outcome.error && usageCodes.has(outcome.error.code)) return EXIT.usage;
      return EXIT.failed;
  }
}

/**
 * The exit code of a run over several services: interrupted wins, then the most serious outcome:
 * rollback failed (4) > failed (1) > usage (2) > rolled back (3) > success (0). Skipped services
 * follow from another one's outcome and add nothing.
 */
export function exitCodeOfRun(outcomes: ServiceOutcome[], interrupted = false): ExitCode {
  if (interrupted) return EXIT.interrupted;
  const codes = outcomes.filter((outcome) => outcome.status !== 'skipped').map(exitCodeOf);
  for (const code of [
    EXIT.interrupted,
    EXIT.rollbackFailed,
    EXIT.failed,
    EXIT.usage,
    EXIT.rolledBack,
  ] as const)
    if (codes.includes(code)) return code;
  return EXIT.ok;
}
