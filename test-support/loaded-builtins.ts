/**
 * Which Node built-in modules importing a module loads, seen from a child process: Node records
 * every built-in it loads in `process.moduleLoadList`, so the difference before and after the
 * import shows, e.g., that an ESM `import { request } from 'node:http'` (whose facade reads
 * `http.WebSocket`) loaded undici. Run with tsx from the repository root, so `@berth/*` resolve to
 * the sources; tsx itself loads `node:crypto`, `node:net` and `node:child_process` first, so only
 * the others can be checked this way.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

const child = `
const before = new Set(process.moduleLoadList);
await import(process.argv[1]);
const loaded = process.moduleLoadList
  .filter((entry) => !before.has(entry) && entry.startsWith('NativeModule '))
  .map((entry) => entry.slice('NativeModule '.length));
process.stdout.write(JSON.stringify(loaded));
`;

/** The built-ins (`http`, `internal/deps/undici/undici`, …) that importing `path` loads. */
export function builtinsLoadedBy(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', child, pathToFileURL(path).href],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as string[]);
      },
    );
  });
}

/**
 * The built-ins whose import costs tens of milliseconds and that a package loads only when it
 * uses them: `http` (with undici, through its ESM facade), `https` and `tls`.
 */
export const costlyBuiltins = ['http', 'https', 'tls', 'internal/deps/undici/undici'] as const;
