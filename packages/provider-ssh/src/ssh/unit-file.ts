/**
 * systemd unit files and environment files, rendered from data with systemd's own quoting rules.
 * Pure. A value can never add a directive, a specifier (`%n`) or a variable (`$X`): every one is
 * escaped. Secrets go to the environment file (mode 0600 on the host), never into the unit, which
 * any user may read with `systemctl cat`.
 */
import { posix } from 'node:path';
import { assertServiceName } from './host-layout.js';

/** What the unit of one release runs. */
export interface UnitFileInput {
  /** The service name (a DNS label); the unit is `berth-<service>.service`. */
  service: string;
  /** For the description. */
  releaseId: string;
  /** The release folder: the process's working directory. */
  workingDirectory: string;
  /**
   * The command: an argv (each word passed as is), or a string run by `/bin/sh -c` (shell syntax
   * is then yours, as in a Procfile).
   */
  command: readonly string[] | string;
  /** Plain environment (`Environment=` lines; readable with `systemctl show`). */
  environment: Readonly<Record<string, string>>;
  /** The environment file with the secrets (`EnvironmentFile=`), if any. */
  environmentFile?: string;
  /** Run as this user (`User=`); default root. */
  user?: string;
  /** `Restart=`; default `on-failure`. */
  restart?: 'no' | 'always' | 'on-failure';
  /** `MemoryMax=` in bytes. */
  memoryMaxBytes?: number;
  /** `CPUQuota=` in percent of one CPU (100 = one CPU). */
  cpuQuotaPercent?: number;
  /** `TimeoutStopSec=`; default 10. */
  stopTimeoutSeconds?: number;
}

/** The unit name of a service: `berth-<service>.service`. */
export function unitName(service: string): string {
  return `berth-${assertServiceName(service)}.service`;
}

const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

function assertEnvName(name: string): void {
  if (!envNamePattern.test(name)) {
    throw new TypeError(`Invalid environment variable name ${JSON.stringify(name)}.`);
  }
}

/** C-style escapes systemd undoes in quoted unit values, plus `%%` for specifiers. */
function escapeUnitChars(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === '"') out += '\\"';
    else if (char === '%') out += '%%';
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return out;
}

/** One `Environment=` line: `Environment="NAME=value"`, with the value escaped. */
export function environmentDirective(name: string, value: string): string {
  assertEnvName(name);
  if (value.includes('\0')) throw new TypeError(`The value of ${name} contains a NUL byte.`);
  return `Environment="${name}=${escapeUnitChars(value)}"`;
}

/**
 * One word of `ExecStart=`: double-quoted and escaped; `$` doubled so systemd does not substitute
 * variables into it.
 */
export function execWord(word: string): string {
  if (word.includes('\0')) throw new TypeError('A command word contains a NUL byte.');
  return `"${escapeUnitChars(word).replaceAll('$', '$$$$')}"`;
}

/** A path directive value: specifiers escaped; whitespace, quotes and control characters refused. */
function pathValue(path: string, what: string): string {
  if (!path.startsWith('/') || /[\s"'\\\u0000-\u001f\u007f]/.test(path)) {
    throw new TypeError(
      `The ${what} ${JSON.stringify(path)} must be absolute, without spaces, quotes or backslashes.`,
    );
  }
  return path.replaceAll('%', '%%');
}

/**
 * `ExecStart=`. systemd takes an absolute path or a bare name (searched in its own PATH), but refuses
 * a relative path such as `./start.sh` (the unit would not load, and the old process would go on
 * running): a program given relative to the release folder is made absolute under it.
 */
function execStart(command: readonly string[] | string, workingDirectory: string): string {
  if (typeof command === 'string') {
    if (command.trim() === '') throw new TypeError('The start command is empty.');
    return ['/bin/sh', '-c', command].map(execWord).join(' ');
  }
  const [program, ...args] = command;
  if (program === undefined || program === '') throw new TypeError('The start command is empty.');
  const absolute =
    program.includes('/') && !program.startsWith('/') ? posix.join(workingDirectory, program) : program;
  return [absolute, ...args].map(execWord).join(' ');
}

/** Render the unit file of one release. Throws `TypeError` on a value that cannot be expressed safely. */
export function renderUnitFile(input: UnitFileInput): string {
  const name = unitName(input.service);
  const description = `Berth service ${input.service} (release ${input.releaseId})`.replace(/[\r\n]/g, ' ');
  const service: string[] = [
    'Type=exec',
    `WorkingDirectory=${pathValue(input.workingDirectory, 'working directory')}`,
  ];
  if (input.user !== undefined) {
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(input.user))
      throw new TypeError(`Invalid user name ${JSON.stringify(input.user)}.`);
    service.push(`User=${input.user}`);
  }
  for (const key of Object.keys(input.environment).sort()) {
    service.push(environmentDirective(key, input.environment[key] ?? ''));
  }
  if (input.environmentFile !== undefined) {
    service.push(`EnvironmentFile=${pathValue(input.environmentFile, 'environment file')}`);
  }
  service.push(`ExecStart=${execStart(input.command, input.workingDirectory)}`);
  service.push(`Restart=${input.restart ?? 'on-failure'}`, 'RestartSec=1');
  service.push(`TimeoutStopSec=${Math.max(0, Math.floor(input.stopTimeoutSeconds ?? 10))}`);
  if (input.memoryMaxBytes !== undefined) service.push(`MemoryMax=${Math.floor(input.memoryMaxBytes)}`);
  if (input.cpuQuotaPercent !== undefined) service.push(`CPUQuota=${Math.round(input.cpuQuotaPercent)}%`);
  return [
    `# ${name}: written by Berth; a deploy replaces it.`,
    '[Unit]',
    `Description=${escapeUnitChars(description)}`,
    'After=network.target',
    '',
    '[Service]',
    ...service,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/**
 * One line of an `EnvironmentFile=`: `NAME="value"`, where systemd keeps newlines inside double
 * quotes and undoes `\"`, `\\`, `` \` `` and `\$`.
 */
export function environmentFileLine(name: string, value: string): string {
  assertEnvName(name);
  if (value.includes('\0')) throw new TypeError(`The value of ${name} contains a NUL byte.`);
  return `${name}="${value.replace(/["\\`$]/g, '\\$&')}"`;
}

/** The whole environment file, one variable per assignment, sorted by name. */
export function renderEnvironmentFile(environment: Readonly<Record<string, string>>): string {
  return Object.keys(environment)
    .sort()
    .map((key) => `${environmentFileLine(key, environment[key] ?? '')}\n`)
    .join('');
}
