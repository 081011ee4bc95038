/**
 * Remote commands as data. Every command Berth runs on a host is built with the `sh` tag: the
 * literal parts are Berth's own code, every interpolated value is quoted for a POSIX shell, so a
 * service name, path or value can never add shell syntax (`;`, `$()`, backticks, quotes, newlines
 * stay literal). Pure: building a command never runs it.
 */

/** A command line for `sh -c` on the host. Only `sh` and `joinCommands` create one. */
export interface RemoteCommand {
  readonly kind: 'remote-command';
  /** The shell text, with every value quoted. */
  readonly script: string;
}

/** What may be interpolated into `sh`: values are quoted, arrays become several words, commands are nested as is. */
export type ShellValue = string | number | RemoteCommand | readonly (string | number)[];

// Words made only of these characters mean the same quoted or not. `=` is left out: `A=b` in
// command position is an assignment. `~` is left out: it expands to a home folder.
const bareWord = /^[A-Za-z0-9_@%+:,./-]+$/;

/**
 * Quote one value as a single shell word: bare when that is safe, else in single quotes (inside
 * which nothing is special; a `'` becomes `'\''`). Throws on a NUL byte, which no shell word can hold.
 */
export function shellQuote(value: string | number): string {
  const text = typeof value === 'number' ? numberWord(value) : value;
  if (text.includes('\0')) {
    throw new TypeError('A shell argument cannot contain a NUL byte.');
  }
  if (bareWord.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function numberWord(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`Not a finite number: ${value}`);
  return String(value);
}

function isRemoteCommand(value: unknown): value is RemoteCommand {
  return typeof value === 'object' && value !== null && (value as RemoteCommand).kind === 'remote-command';
}

function render(value: ShellValue): string {
  if (isRemoteCommand(value)) return value.script;
  if (Array.isArray(value)) return value.map((item) => shellQuote(item)).join(' ');
  return shellQuote(value as string | number);
}

/**
 * Tag for remote commands: `` sh`mkdir -p -- ${path}` ``. Interpolated strings and numbers are
 * quoted, arrays expand to one quoted word each, and a nested `RemoteCommand` is inserted as is.
 */
export function sh(literals: TemplateStringsArray, ...values: readonly ShellValue[]): RemoteCommand {
  let script = literals[0] ?? '';
  values.forEach((value, index) => {
    script += render(value) + (literals[index + 1] ?? '');
  });
  return { kind: 'remote-command', script: script.trim() };
}

/** `a && b && c`: stops at the first failure. */
export function joinCommands(commands: readonly RemoteCommand[], operator: '&&' | ';' = '&&'): RemoteCommand {
  return { kind: 'remote-command', script: commands.map((command) => command.script).join(` ${operator} `) };
}

/**
 * Split many arguments into batches whose quoted length stays under `maxLength`, so that one
 * command per batch never passes the host's argument-size limit.
 */
export function batchArguments(values: readonly string[], maxLength = 64 * 1024): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const value of values) {
    const size = shellQuote(value).length + 1;
    if (current.length > 0 && length + size > maxLength) {
      batches.push(current);
      current = [];
      length = 0;
    }
    current.push(value);
    length += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Longest script sent as the command itself; a longer one goes on stdin (Linux caps one argument at 128 KiB). */
export const inlineScriptLimit = 60 * 1024;

/**
 * The commands as one script, run in one round trip: `&&`-joined (stops at the first failure).
 * Returns the command to run and, for a script past `inlineScriptLimit`, the stdin that carries
 * it to `sh -s` (so batches of arguments can be joined without passing the argument-size limit).
 * Pure.
 */
export function batchScript(commands: readonly RemoteCommand[]): { command: RemoteCommand; stdin?: string } {
  const script = joinCommands(commands);
  if (script.script.length <= inlineScriptLimit) return { command: script };
  return { command: sh`sh -s`, stdin: `${script.script}\n` };
}
