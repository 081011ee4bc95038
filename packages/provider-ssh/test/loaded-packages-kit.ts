/** Runs test/loaded-packages.ts in a child process (see there) and returns what it printed. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const script = fileURLToPath(new URL('./loaded-packages.ts', import.meta.url));

/** What the child did and the packages it loaded. */
export interface LoadedPackages {
  mode: string;
  packages: string[];
  statuses?: string[];
  error?: string;
}

/** Run the child in `mode` (from the repository root, so tsx maps `@berth/*` to the sources). */
export function loadedPackages(mode: string, input: unknown = {}): Promise<LoadedPackages> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, mode, JSON.stringify(input)],
      { cwd: root, timeout: 170_000, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as LoadedPackages);
      },
    );
  });
}
