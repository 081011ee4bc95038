/**
 * Run `berth` as a child process, the way a user or CI job does: the real executable (`src/bin.ts`
 * through tsx, so no build is needed), its own working directory and environment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The executable's source. */
export const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
/** tsx's loader, by absolute path (the child's working directory has no node_modules). */
export const TSX_LOADER = fileURLToPath(import.meta.resolve('tsx'));

/** The command line that starts berth, for shells (tmux). */
export function berthCommandLine(): string {
  return `TSX_TSCONFIG_PATH=${repoRoot}tsconfig.json ${process.execPath} --import ${TSX_LOADER} ${BIN}`;
}

export interface BerthRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `berth`: its output so far, and its end. */
export interface StartedBerth {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): BerthRun;
  exited: Promise<BerthRun>;
}

/** Start `berth args…` in `cwd` (for tests that signal it while it runs). */
export function startBerth(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): StartedBerth {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, BIN, ...args], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      TSX_TSCONFIG_PATH: `${repoRoot}tsconfig.json`,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<BerthRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, output: () => ({ code: child.exitCode, stdout, stderr }), exited };
}

/** Run `berth args…` in `cwd`; resolves when it exits. */
export function runBerth(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<BerthRun> {
  return startBerth(args, options).exited;
}

/** Every line of `--json` stdout, parsed; throws on a line that is not JSON. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, index) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`stdout line ${index + 1} is not JSON: ${line}`);
      }
    });
}

/** Keeps every stdout and stderr a test's runs printed, to search them for secrets afterwards. */
export function outputRecorder() {
  const outputs: string[] = [];
  const record = <T extends { stdout: string; stderr: string }>(run: T): T => {
    outputs.push(run.stdout, run.stderr);
    return run;
  };
  return { outputs, record };
}

/** The text of every run log the CLI wrote under `<project>/.deployment/logs`. */
export async function runLogs(project: string): Promise<string[]> {
  const logDir = join(project, '.deployment', 'logs');
  return Promise.all((await readdir(logDir)).map((file) => readFile(join(logDir, file), 'utf8')));
}
