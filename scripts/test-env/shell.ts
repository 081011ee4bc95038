/**
 * The few programs that have no API (apt-get, dockerd, sshd, pg_ctl, ssh-keygen, htpasswd, tar, …),
 * run through node:child_process. Everything that talks to the Docker engine uses dockerode instead.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { indent, TestEnvError } from './log.ts';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Runs the command as this user (`runuser -u USER --`). */
  readonly user?: string;
}

/** Runs a command to its end and returns its exit code and output; never throws for a non-zero exit. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, argv] =
    options.user === undefined ? [command, args] : ['runuser', ['-u', options.user, '--', command, ...args]];
  return new Promise((resolve) => {
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => resolve({ code: 127, stdout: '', stderr: error.message }));
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a command and returns its stdout; on failure throws with the command's output indented. */
export async function runChecked(
  command: string,
  args: readonly string[],
  options: RunOptions & { readonly what?: string } = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const what = options.what ?? `${command} ${args.join(' ')}`;
    throw new TestEnvError(`${what} failed (exit ${result.code})\n${indent(result.stdout + result.stderr)}`);
  }
  return result.stdout;
}

/** True when the command exits 0. */
export async function succeeds(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<boolean> {
  return (await run(command, args, options)).code === 0;
}

/**
 * Starts a daemon in its own session with its output appended to LOG, detached from this process
 * (it outlives the run). Returns its pid.
 */
export function startDetached(command: string, args: readonly string[], logFile: string): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  writeSync(fd, `---- ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} started by scripts/test-env\n`);
  const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new TestEnvError(`cannot start ${command}`);
  return child.pid;
}
