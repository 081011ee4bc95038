import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.js';
import { fileStateStore } from './file-state-store.js';
import { type ServiceState, STATE_SCHEMA_VERSION, type StateLock } from './state-store.js';

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

describe('fileStateStore on disk', () => {
  it('takes over a lock file cut short by a crash of an older Berth, instead of reading it as ?@?', async () => {
    const dir = join(await temp(), 's');
    await mkdir(join(dir, 'app-dev'), { recursive: true });
    await writeFile(join(dir, 'app-dev', 'lock.json'), '{"owner": {"host"');
    const past = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'app-dev', 'lock.json'), past, past);
    const lock = await fileStateStore({ dir }).lock('app-dev', {
      owner: owner('n'),
      ttlMs: 60_000,
      now: Date.now(),
    });
    expect(lock.takeover?.reason).toBe('expired');
    await lock.release();
    expect(await readdir(join(dir, 'app-dev'))).toEqual([]);
  });

  it('never shows a half-written lock.json while runs race for it', async () => {
    const dir = join(await temp(), 's');
    const path = join(dir, 'app-dev', 'lock.json');
    for (let round = 0; round < 20; round += 1) {
      let racing = true;
      const seen: string[] = [];
      const reader = (async () => {
        while (racing) {
          const text = await readFile(path, 'utf8').catch(() => undefined);
          if (text !== undefined) seen.push(text);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_item, index) =>
          fileStateStore({ dir }).lock('app-dev', {
            owner: owner(`r${index}`),
            ttlMs: 60_000,
            now: Date.now(),
          }),
        ),
      );
      racing = false;
      await reader;
      for (const text of seen) expect(JSON.parse(text).owner.user).toBe('me');
      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      await (winners[0] as PromiseFulfilledResult<StateLock>).value.release();
    }
  });

  it('is not blocked by the claim of a taker that crashed mid-takeover', async () => {
    const dir = join(await temp(), 's');
    const store = fileStateStore({ dir });
    await store.lock('app-dev', { owner: owner('crashed'), ttlMs: 1, now: Date.now() - 10_000 });
    const { ino } = await stat(join(dir, 'app-dev', 'lock.json'));
    await writeFile(
      join(dir, 'app-dev', `lock.json.claim.${ino}.1`),
      JSON.stringify({ host: hostname(), pid: 2 ** 22 + 5 }),
    );
    const lock = await store.lock('app-dev', { owner: owner('next'), ttlMs: 60_000, now: Date.now() });
    expect(lock.takeover?.previousOwner.runId).toBe('crashed');
    await lock.release();
    expect(await readdir(join(dir, 'app-dev'))).toEqual([]);
  });

  it('refuses a fenced write and a renew once the lock is gone', async () => {
    const dir = join(await temp(), 's');
    const store = fileStateStore({ dir });
    const lock = await store.lock('app-dev', { owner: owner('a'), ttlMs: 60_000, now: Date.now() });
    await store.write('app-dev', state(), { fence: lock.fence });
    await rm(join(dir, 'app-dev', 'lock.json'));
    await expect(store.write('app-dev', state(), { fence: lock.fence })).rejects.toMatchObject({
      code: 'LOCK_LOST',
    });
    await expect(lock.renew(Date.now())).rejects.toMatchObject({ code: 'LOCK_LOST' });
    await lock.release();
  });

  it('writes atomically with no temp files left and mode 0600', async () => {
    const dir = join(await temp(), 's');
    const store = fileStateStore({ dir });
    for (let index = 0; index < 5; index += 1) await store.write('app-dev', state(index));
    expect(await readdir(join(dir, 'app-dev'))).toEqual(['state.json']);
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
