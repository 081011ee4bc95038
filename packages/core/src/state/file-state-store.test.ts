import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.js';
import { fileStateStore } from './file-state-store.js';
import { memoryStateStore } from './memory-state-store.js';
import { type ServiceState, STATE_SCHEMA_VERSION, type StateStore } from './state-store.js';

const owner = (runId: string, pid = process.pid) => ({
  host: 'test-host',
  user: 'me',
  pid,
  runId,
  startedAt: '2026-01-01T00:00:00Z',
});
const state = (history = 0): ServiceState => ({
  schemaVersion: STATE_SCHEMA_VERSION,
  service: 'app-dev',
  name: 'app',
  environment: 'dev',
  provider: 'memory',
  fingerprintKey: 'key',
  revisionCounter: history,
  history: [],
});

async function temp() {
  return mkdtemp(join(tmpdir(), 'berth-state-'));
}

describe.each([
  ['fileStateStore', async () => fileStateStore({ dir: join(await temp(), '.deployment') })],
  ['memoryStateStore', async () => memoryStateStore()],
] as [string, () => Promise<StateStore>][])('%s', (_name, create) => {
  it('round-trips state', async () => {
    const store = await create();
    expect(await store.read('app-dev')).toBeUndefined();
    await store.write('app-dev', state(3));
    expect(await store.read('app-dev')).toEqual(state(3));
  });

  it('lets one run hold a lock and names the owner to the next', async () => {
    const store = await create();
    const lock = await store.lock('app-dev', { owner: owner('run-1'), ttlMs: 60_000, now: Date.now() });
    const second = store.lock('app-dev', { owner: owner('run-2'), ttlMs: 60_000, now: Date.now() });
    await expect(second).rejects.toMatchObject({ code: 'LOCK_HELD', retryable: true });
    await expect(second).rejects.toThrow(/me@test-host \(pid \d+, run run-1/);
    await lock.release();
    const third = await store.lock('app-dev', { owner: owner('run-3'), ttlMs: 60_000, now: Date.now() });
    await third.release();
  });

  it('refuses a stale lock unless takeover is explicit', async () => {
    const store = await create();
    await store.lock('app-dev', { owner: owner('old'), ttlMs: 1_000, now: Date.now() - 10_000 });
    await expect(
      store.lock('app-dev', { owner: owner('new'), ttlMs: 1_000, now: Date.now() }),
    ).rejects.toMatchObject({
      code: 'LOCK_STALE',
    });
    const taken = await store.lock('app-dev', {
      owner: owner('new'),
      ttlMs: 1_000,
      now: Date.now(),
      takeover: true,
    });
    expect(taken.owner.runId).toBe('new');
    await taken.release();
  });

  it('keeps a renewed lock alive', async () => {
    const store = await create();
    const lock = await store.lock('app-dev', { owner: owner('run-1'), ttlMs: 1_000, now: Date.now() - 900 });
    await lock.renew(Date.now());
    await expect(
      store.lock('app-dev', { owner: owner('x'), ttlMs: 1, now: Date.now(), takeover: true }),
    ).rejects.toMatchObject({
      code: 'LOCK_HELD',
    });
    await lock.release();
  });
});

describe('fileStateStore on disk', () => {
  it('treats a lock of a dead process on this host as stale', async () => {
    const { hostname } = await import('node:os');
    const store = fileStateStore({ dir: join(await temp(), 's') });
    await store.lock('app-dev', {
      owner: { ...owner('dead'), host: hostname(), pid: 2 ** 22 + 7 },
      ttlMs: 60_000,
      now: Date.now(),
    });
    await expect(
      store.lock('app-dev', { owner: owner('n'), ttlMs: 60_000, now: Date.now() }),
    ).rejects.toMatchObject({
      code: 'LOCK_STALE',
    });
  });

  it('writes atomically with no temp files left and mode 0600', async () => {
    const dir = join(await temp(), 's');
    const store = fileStateStore({ dir });
    for (let index = 0; index < 5; index += 1) await store.write('app-dev', state(index));
    expect(await readdir(join(dir, 'app-dev'))).toEqual(['state.json']);
    const { stat } = await import('node:fs/promises');
    expect((await stat(join(dir, 'app-dev', 'state.json'))).mode & 0o777).toBe(0o600);
  });

  it('migrates a version-1 state and refuses a newer one', async () => {
    const dir = join(await temp(), 's');
    await mkdir(join(dir, 'app-dev'), { recursive: true });
    const v1 = {
      service: 'app-dev',
      name: 'app',
      environment: 'dev',
      provider: 'memory',
      history: [{ id: 'a' }, { id: 'b' }],
    };
    await writeFile(join(dir, 'app-dev', 'state.json'), JSON.stringify(v1));
    const migrated = await fileStateStore({ dir }).read('app-dev');
    expect(migrated).toMatchObject({ schemaVersion: 2, revisionCounter: 2 });
    expect(migrated?.fingerprintKey).toMatch(/^[\w-]{40,}$/);
    await writeFile(join(dir, 'app-dev', 'state.json'), JSON.stringify({ ...v1, schemaVersion: 99 }));
    const error = await fileStateStore({ dir })
      .read('app-dev')
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('STATE_VERSION_UNSUPPORTED');
    await writeFile(join(dir, 'app-dev', 'state.json'), '{"service": "app-dev", "hist');
    await expect(fileStateStore({ dir }).read('app-dev')).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
  });

  it('adds the state folder to .gitignore inside a git repository, once', async () => {
    const repo = await temp();
    await mkdir(join(repo, '.git'));
    await writeFile(join(repo, '.gitignore'), 'node_modules/');
    await fileStateStore({ dir: join(repo, '.deployment') }).write('app-dev', state());
    await fileStateStore({ dir: join(repo, '.deployment') }).write('app-dev', state());
    expect(await readFile(join(repo, '.gitignore'), 'utf8')).toBe(
      'node_modules/\n# Berth deploy state (never holds secret values)\n/.deployment/\n',
    );
    const covered = await temp();
    await mkdir(join(covered, '.git'));
    await writeFile(join(covered, '.gitignore'), '.deployment/\n');
    await fileStateStore({ dir: join(covered, 'examples', 'app', '.deployment') }).write('app-dev', state());
    expect(await readFile(join(covered, '.gitignore'), 'utf8')).toBe('.deployment/\n');
    const outside = await temp();
    await fileStateStore({ dir: join(outside, '.deployment') }).write('app-dev', state());
    await expect(readFile(join(outside, '.gitignore'), 'utf8')).rejects.toThrow();
  });
});
