/** What the output streams can show: colours and a live view only on a real terminal. Pure. */

/** The streams and environment a command writes to; tests pass their own. */
export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Asks a yes/no question on the terminal; absent when stdin is not a terminal. */
  confirm?: (question: string) => Promise<boolean>;
}

/** How output is rendered. */
export interface OutputMode {
  /** `live`: redrawn view (TTY); `plain`: one line per event; `json`: JSON Lines on stdout. */
  kind: 'live' | 'plain' | 'json';
  color: boolean;
}

/** Pick the output mode: `--json` wins; a live view needs a TTY outside CI. `NO_COLOR` turns colours off. */
export function outputMode(io: Pick<Io, 'stdout' | 'env'>, json: boolean): OutputMode {
  if (json) return { kind: 'json', color: false };
  const tty = io.stdout.isTTY === true && io.env.TERM !== 'dumb';
  const ci = io.env.CI !== undefined && io.env.CI !== '' && io.env.CI !== 'false';
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  const forced = io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0' && io.env.FORCE_COLOR !== '';
  return { kind: tty && !ci ? 'live' : 'plain', color: !noColor && (tty || forced) };
}

/** Colour helpers that are identity functions when colour is off. */
export function palette(color: boolean) {
  const wrap = (open: number, close: number) => (text: string) =>
    color ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}
export type Palette = ReturnType<typeof palette>;

/** A duration for people: `840ms`, `3.2s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** A text progress bar: `[#####-----] 50%`. */
export function progressBar(current: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, current / total)) : 0;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(ratio * 100)}%`;
}

/** Every ANSI escape sequence in `text` (tests assert there are none when piped). */
export const ANSI_PATTERN = /\u001b\[[0-9;?]*[A-Za-z]/g;
