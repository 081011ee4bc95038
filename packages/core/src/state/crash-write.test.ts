import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createDeployer } from '../engine/create-deployer.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { fileStateStore } from './file-state-store.js';

const fixture = fileURLToPath(new URL('./crash-write.fixture.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

function runUntilKilled(dir: string, afterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, fixture, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), afterMs));
    child.once('error', reject);
    child.once('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${signal}`)),
    );
  });
}

describe('a process killed in the middle of state writes', () => {
  it('always leaves a readable state, and the next up converges', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'berth-crash-')), '.deployment');
    const store = fileStateStore({ dir });
    const counters: number[] = [];
    for (const delay of [40, 90, 150, 230, 310]) {
      await runUntilKilled(dir, delay);
      const state = await store.read('app-dev');
      expect(state?.service).toBe('app-dev');
      expect(state!.history.length).toBeGreaterThan(0);
      counters.push(state!.revisionCounter);
    }
    expect(counters.some((counter) => counter > 1)).toBe(true);
    const provider = memoryProvider();
    try {
      const deployer = createDeployer({ provider, state: store });
      const result = await deployer.up({
        name: 'app',
        image: { ref: 'r/app@sha256:1' },
        health: { intervalMs: 50 },
      });
      expect(result.status).toBe('succeeded');
      expect(await readdir(join(dir, 'app-dev'))).toEqual(['state.json']);
      expect((await store.read('app-dev'))?.current?.verified).toBe(true);
    } finally {
      await provider.close();
    }
  }, 60_000);
});
