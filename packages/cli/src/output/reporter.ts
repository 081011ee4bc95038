/**
 * Shows a run: a live view on a terminal, plain lines elsewhere, JSON Lines with `--json`. Every
 * event also goes to the run's log file. Events arrive redacted from the engine; text the CLI adds
 * passes through the same redactor.
 */
import type { BerthEvent, Redactor } from '@berth/core';
import { type ServiceLine, summaryLines } from './format-result.js';
import type { RunLog } from './run-log.js';
import { ANSI_PATTERN, formatDuration, type Io, type OutputMode, palette, progressBar } from './terminal.js';

/** Visible width of a line (escape sequences take no room). */
function visibleLength(text: string): number {
  return text.replace(ANSI_PATTERN, '').length;
}

/** Pack items into lines of at most `width` visible characters, each starting with `indent`. */
function packLine(items: string[], indent: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const item of items) {
    const next = current ? `${current}  ${item}` : `${indent}${item}`;
    if (current && visibleLength(next) > width) {
      lines.push(current);
      current = `${indent}${item}`;
    } else current = next;
  }
  if (current) lines.push(current);
  return lines;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface ServiceView {
  service: string;
  phase?: string;
  phaseStarted?: number;
  done: { phase: string; status: string; durationMs: number; detail?: string }[];
  progress: Map<string, string>;
  health: { attempts: number; last?: string };
  status?: string;
}

/** What a lock takeover means, for people. Pure. */
export function lockTakeoverText(event: Extract<BerthEvent, { type: 'lock-takeover' }>): string {
  const owner = event.previousOwner;
  const why =
    event.reason === 'owner-gone'
      ? 'its process is gone'
      : event.reason === 'expired'
        ? `it expired at ${event.expiresAt}`
        : 'forced';
  return `took over the lock left by ${owner.user}@${owner.host} (pid ${owner.pid}, run ${owner.runId}): ${why}`;
}

export interface Reporter {
  /** An engine event (already redacted). */
  event(event: BerthEvent): void;
  /** A line for people (stderr in JSON mode). */
  info(text: string): void;
  /** Each service's final line, then the log path. JSON mode prints `json` objects instead. */
  finish(lines: ServiceLine[], json: unknown[]): void;
  /** A service ended (its live line stops spinning). */
  serviceDone(service: string, status: string): void;
  /** Stop timers (idempotent). */
  close(): void;
}

export function createReporter(options: {
  io: Io;
  mode: OutputMode;
  log?: RunLog;
  redactor: Redactor;
  verbose: boolean;
}): Reporter {
  const { io, mode, log, redactor, verbose } = options;
  const colors = palette(mode.color);
  const views = new Map<string, ServiceView>();
  const lastPlainProgress = new Map<string, string>();
  let frame = 0;
  let drawnLines = 0;
  let timer: NodeJS.Timeout | undefined;
  const out = (text: string) => io.stdout.write(`${redactor.text(text)}\n`);
  const err = (text: string) => io.stderr.write(`${redactor.text(text)}\n`);

  const viewOf = (service: string): ServiceView => {
    let view = views.get(service);
    if (!view) {
      view = { service, done: [], progress: new Map(), health: { attempts: 0 } };
      views.set(service, view);
    }
    return view;
  };

  const progressText = (event: Extract<BerthEvent, { type: 'progress' }>): string => {
    if (event.current !== undefined && event.total !== undefined && event.total > 0)
      return `${event.step} ${progressBar(event.current, event.total, 16)} ${event.current}/${event.total}${event.unit ? ` ${event.unit}` : ''}`;
    if (event.current !== undefined)
      return `${event.step} ${event.current}${event.unit ? ` ${event.unit}` : ''}`;
    return `${event.step}${event.message ? ` ${event.message.slice(0, 60)}` : ''}`;
  };

  const render = (final: boolean): string[] => {
    const lines: string[] = [];
    const spin = SPINNER[frame % SPINNER.length] ?? '*';
    for (const view of views.values()) {
      const mark =
        view.status === undefined
          ? final
            ? '·'
            : colors.cyan(spin)
          : view.status === 'succeeded' || view.status === 'noop' || view.status === 'destroyed'
            ? colors.green('✓')
            : colors.red('✗');
      const current = view.phase
        ? `${view.phase}${view.progress.get(view.phase) ? ` ${view.progress.get(view.phase)}` : ''}${view.phase === 'verify' && view.health.attempts > 0 ? ` health ${view.health.attempts} attempt(s)${view.health.last ? `, last ${view.health.last}` : ''}` : ''}`
        : '';
      lines.push(`${mark} ${colors.bold(view.service)}  ${view.status ?? current}`);
      const done = view.done
        .filter((phase) => phase.status !== 'skipped')
        .map(
          (phase) =>
            `${phase.status === 'failed' ? colors.red('✗') : colors.green('✓')} ${phase.phase} ${colors.dim(formatDuration(phase.durationMs))}${phase.detail ? ` ${colors.dim(`(${phase.detail})`)}` : ''}`,
        );
      lines.push(...packLine(done, '    ', (io.stdout.columns ?? 120) - 1));
    }
    return lines;
  };

  const draw = (final = false) => {
    if (mode.kind !== 'live') return;
    frame += 1;
    const lines = render(final);
    let text = drawnLines > 0 ? `\u001b[${drawnLines}A\u001b[0J` : '';
    text += lines.join('\n');
    io.stdout.write(redactor.text(`${text}\n`));
    drawnLines = lines.length;
  };

  const plainEvent = (event: BerthEvent) => {
    const who = event.service;
    switch (event.type) {
      case 'phase-start':
        if (verbose) out(`${who}  ${event.phase} …`);
        break;
      case 'phase-end':
        if (event.status === 'skipped' && !verbose) break;
        out(
          `${who}  ${event.phase} ${event.status} ${formatDuration(event.durationMs)}${event.error ? `  ${event.error.code}: ${event.error.message}` : ''}`,
        );
        break;
      case 'progress': {
        const text = progressText(event);
        const key = `${who}/${event.step}`;
        // Coarse steps only: a line per build step, per quarter of a transfer.
        const coarse = event.total
          ? `${event.step}:${Math.floor(((event.current ?? 0) / event.total) * 4)}`
          : text;
        if (lastPlainProgress.get(key) === coarse) break;
        lastPlainProgress.set(key, coarse);
        out(`${who}  ${event.phase}: ${text}`);
        break;
      }
      case 'health-check':
        out(
          `${who}  health ${event.check} round ${event.round}: ${event.ok ? 'ok' : 'failed'}${event.status ? ` ${event.status}` : ''}${event.error ? ` (${event.error})` : ''}`,
        );
        break;
      case 'rollback-start':
        out(`${who}  rolling back to ${event.to}: ${event.reason}`);
        break;
      case 'rollback-end':
        out(`${who}  rollback to ${event.to} ${event.status}`);
        break;
      case 'lock-takeover':
        out(`${who}  warning: ${lockTakeoverText(event)}`);
        break;
      case 'log':
        if (verbose || event.level === 'warn' || event.level === 'error')
          out(`${who}  ${event.level}: ${event.message}`);
        break;
      case 'plan-ready':
        if (verbose) out(`${who}  plan: ${event.plan.action}, ${event.plan.changes.length} change(s)`);
        break;
    }
  };

  /** A line for people; on the live view, printed above its block (the next frame redraws it). */
  const above = (text: string) => {
    if (mode.kind === 'live' && drawnLines > 0) {
      io.stdout.write(`\u001b[${drawnLines}A\u001b[0J`);
      drawnLines = 0;
    }
    out(text);
  };

  const liveEvent = (event: BerthEvent) => {
    const view = viewOf(event.service);
    switch (event.type) {
      case 'phase-start':
        view.phase = event.phase;
        break;
      case 'phase-end': {
        const detail =
          view.progress.get(event.phase) ??
          (event.phase === 'verify' && view.health.attempts > 0
            ? `${view.health.attempts} health attempt(s)`
            : undefined);
        view.done.push({
          phase: event.phase,
          status: event.status,
          durationMs: event.durationMs,
          ...(detail ? { detail } : {}),
        });
        if (view.phase === event.phase) view.phase = undefined;
        break;
      }
      case 'progress':
        view.progress.set(event.phase, progressText(event));
        break;
      case 'health-check':
        view.health.attempts += 1;
        view.health.last = event.ok ? 'ok' : (event.error ?? `status ${event.status ?? '?'}`).slice(0, 50);
        break;
      case 'lock-takeover':
        above(`${colors.yellow('!')} ${event.service}  ${lockTakeoverText(event)}`);
        break;
      case 'rollback-start':
        view.phase = 'rollback';
        view.progress.set('rollback', `to ${event.to}`);
        break;
    }
    if (!timer) {
      timer = setInterval(() => draw(), 120);
      timer.unref();
    }
  };

  return {
    event(event) {
      log?.write({ event });
      if (mode.kind === 'json') out(JSON.stringify(event));
      else if (mode.kind === 'plain') plainEvent(event);
      else liveEvent(event);
    },
    info(text) {
      log?.write({ message: text });
      if (mode.kind === 'json') err(text);
      else above(text);
    },
    serviceDone(service, status) {
      viewOf(service).status = status;
    },
    finish(lines, json) {
      for (const line of lines) {
        viewOf(line.service).status = line.status;
      }
      this.close();
      for (const item of json) log?.write({ result: item });
      if (mode.kind === 'json') {
        for (const item of json) out(JSON.stringify(item));
      } else {
        if (mode.kind === 'live' && views.size > 0) draw(true);
        for (const line of summaryLines(lines, colors)) out(line);
      }
      if (log) err(`${mode.kind === 'json' ? '' : '\n'}log: ${log.path}`);
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
