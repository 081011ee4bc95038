import type { BerthErrorJson } from '../errors/index.js';
import type { HealthAttempt } from '../health/health-report.js';
import type { Plan } from '../plan/plan.js';
import type { Clock } from '../ports/clock.js';
import type { ProgressUpdate } from '../provider/provider.js';
import type { Redactor } from '../secrets/redactor.js';
import type { JsonValue } from '../spec/service-spec.js';
import type { LockTakeover, PhaseName } from '../state/state-store.js';

/** Fields every event carries. */
export interface EventBase {
  /** 1, 2, 3… within a run. */
  sequence: number;
  /** ISO time. */
  timestamp: string;
  runId: string;
  service: string;
}

/** Events a run emits, as data. Secret values never appear in them. */
export type BerthEvent = EventBase &
  (
    | { type: 'phase-start'; phase: PhaseName }
    | {
        type: 'phase-end';
        phase: PhaseName;
        status: 'succeeded' | 'failed' | 'skipped';
        durationMs: number;
        error?: BerthErrorJson;
      }
    | { type: 'plan-ready'; plan: Plan }
    | ({ type: 'progress'; phase: PhaseName } & ProgressUpdate)
    | ({ type: 'health-check'; url: string } & HealthAttempt)
    | { type: 'rollback-start'; from?: string; to: string; reason: string }
    | { type: 'rollback-end'; to: string; status: 'succeeded' | 'failed'; error?: BerthErrorJson }
    | ({ type: 'lock-takeover' } & LockTakeover)
    | {
        type: 'log';
        level: 'debug' | 'info' | 'warn' | 'error';
        message: string;
        data?: Record<string, JsonValue>;
      }
  );

/** An event before the emitter numbers and stamps it. */
export type BerthEventInput = BerthEvent extends infer Event
  ? Event extends BerthEvent
    ? Omit<Event, keyof EventBase>
    : never
  : never;

/** Numbers, stamps, redacts and delivers events. A listener that throws never breaks the run. */
export function createEmitter(options: {
  runId: string;
  /** The service, read at each event (a run learns its real target after validation). */
  service: () => string;
  clock: Clock;
  redactor: Redactor;
  onEvent?: (event: BerthEvent) => void;
}): (event: BerthEventInput) => void {
  let sequence = 0;
  return (input) => {
    if (!options.onEvent) return;
    sequence += 1;
    const event = options.redactor.value({
      sequence,
      timestamp: new Date(options.clock.now()).toISOString(),
      runId: options.runId,
      service: options.service(),
      ...input,
    }) as BerthEvent;
    try {
      options.onEvent(event);
    } catch {
      // Listeners are observers; their failures must not change a deploy's outcome.
    }
  };
}
