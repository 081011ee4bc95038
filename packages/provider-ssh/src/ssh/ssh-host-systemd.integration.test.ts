/**
 * `sshHost({ method: 'systemd' })` end to end on the systemd test host, through the deployer: one
 * service taken through a deploy, a failing install, a release that crashes at start, a manual
 * rollback to an older release, retention and `down`, checking the host after each step. The base
 * folder itself is hostile (`;`, `$()`, backticks): every command quotes it and no unit splits it.
 */
import { randomBytes } from 'node:crypto';
import { createDeployer, type DeployResult, type Hook, memoryStateStore } from '@berth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../../test-support/test-env.js';
import { freePort, get, temporaryFolder } from '../../test/docker-test-kit.js';
import {
  eventLog,
  hostInspector,
  nodeFixture,
  phasesOf,
  scratch,
  servedRevision,
  sshOptionsOf,
  webhook,
} from '../../test/ssh-host-kit.js';
import { sh } from './remote-command.js';
import { sshHost } from './ssh-host.js';
import { sshHostHooks } from './ssh-host-hooks.js';
import type { SshSystemdOptionsInput } from './ssh-host-options.js';
import { unitName } from './unit-file.js';

const env = requireTestEnvironment(['systemdHost']);
const suffix = randomBytes(3).toString('hex');
const pwned = `/tmp/berth-pwned-${suffix}`;
const root = `/opt/berth-sd-${suffix}`;
const baseDir = `${root}/x;$(id>${pwned})\`id>${pwned}\``;
const name = `sd-${suffix}`;
const service = `${name}-dev`;
const port = await freePort();
const secret = `s3cret-${randomBytes(12).toString('hex')}`;
const hostile = `a;b $(id>${pwned}) \`id\` 'single' "double" \\ back\nsecond line %n $HOME`;
const install =
  'if test -e install-fails; then echo "resolving dependencies"; echo "E: package left-pad not found" >&2; exit 7; fi; echo installed';

const folders = scratch();
const secrets = await temporaryFolder('berth-ssh-systemd-secrets');
const hook = await webhook();
const log = eventLog();
const results: unknown[] = [];
const state = memoryStateStore();
const host = hostInspector(env.systemdHost, baseDir, service);

function provider(extra: Partial<SshSystemdOptionsInput> = {}) {
  return sshHost({
    method: 'systemd',
    ssh: sshOptionsOf(env.systemdHost),
    baseDir,
    start: [env.systemdHost.nodePath, 'server.js'],
    install,
    secretsDir: secrets.path,
    operator: 'alice',
    ...extra,
  });
}

function deployerOf(ssh = provider()) {
  return createDeployer({
    provider: ssh,
    state,
    onEvent: log.onEvent,
    hooks: sshHostHooks(ssh, { register: { url: hook.url, backoffMs: 20 } }),
  });
}

const deployers = [deployerOf()];
const deployer = deployers[0]!;

async function folderWith(files: Record<string, string> = {}) {
  return folders.folder(nodeFixture, files);
}

function spec(folder: string) {
  return {
    name,
    image: { build: { context: folder } },
    port,
    env: { HOSTILE: hostile },
    secrets: { API_TOKEN: { value: secret } },
    health: { timeoutMs: 60_000 },
  };
}

async function up(folder: string, using = deployer): Promise<DeployResult> {
  const result = await using.up(spec(folder));
  results.push(result);
  return result;
}

afterAll(async () => {
  await host
    .run(
      sh`systemctl disable --now ${unitName(service)}; rm -f -- ${`/etc/systemd/system/${unitName(service)}`} ${pwned}; systemctl daemon-reload; rm -rf -- ${root}`,
    )
    .catch(() => undefined);
  for (const item of deployers) await item.close();
  await host.close();
  await hook.close();
  await folders.remove();
  await secrets.remove();
});

describe('sshHost systemd method, end to end on the systemd host', () => {
  let v1: DeployResult;
  let release1: string | undefined;

  it('deploys a release whose service sees hostile env values and the secret exactly', async () => {
    hook.answer(503);
    v1 = await up(await folderWith());
    expect(v1.error).toBeUndefined();
    expect(v1.status).toBe('succeeded');
    expect((await get(v1.url!, '/env/HOSTILE')).body).toBe(hostile);
    expect((await get(v1.url!, '/env/API_TOKEN')).body).toBe(secret);
    expect(await host.exists(pwned)).toBe(false);
    release1 = await host.current();
    expect(await host.releases()).toEqual([release1]);
  });

  it('records validation, transfer, build, start, then verify and register in the host history', async () => {
    const [deploy, verify] = (await host.history()).slice(-2);
    expect(deploy).toMatchObject({
      operation: 'deploy',
      status: 'succeeded',
      revision: v1.revision,
      releaseId: release1,
      operator: 'alice',
    });
    expect(phasesOf(deploy)).toEqual([
      'validation:succeeded',
      'transfer:succeeded',
      'build:succeeded',
      'start:succeeded',
    ]);
    expect(verify).toMatchObject({ operation: 'verify', status: 'succeeded', revision: v1.revision });
    expect(phasesOf(verify)).toEqual(['verify:succeeded', 'register:succeeded']);
    for (const phase of [...(deploy?.phases ?? []), ...(verify?.phases ?? [])])
      expect(phase.durationMs).toBeGreaterThanOrEqual(0);
    expect(deploy?.durationMs).toBeGreaterThan(0);
    // The registry answered 503 once: the registration was retried.
    expect(hook.calls.map((call) => [call.status, call.body.event])).toEqual([
      [503, 'register'],
      [200, 'register'],
    ]);
    expect(hook.calls[1]?.body).toMatchObject({ service, url: v1.url, revision: v1.revision });
  });

  it('fails a deploy whose install command fails, with its last output lines; the release before keeps serving', async () => {
    const failed = await up(await folderWith({ 'install-fails': 'yes' }));
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({
      code: 'IMAGE_BUILD_FAILED',
      message: expect.stringContaining('exited with 7'),
      hint: expect.stringContaining('details.output'),
    });
    const output = (failed.error?.details as { output?: string[] } | undefined)?.output ?? [];
    expect(output).toEqual(['resolving dependencies', 'E: package left-pad not found']);
    expect(await host.current()).toBe(release1);
    expect(await host.releases()).toEqual([release1]);
    expect(await servedRevision(port, v1.url)).toBe(v1.revision);
    const last = (await host.history()).at(-1);
    expect(last).toMatchObject({
      operation: 'deploy',
      status: 'failed',
      error: { code: 'IMAGE_BUILD_FAILED' },
    });
    expect(phasesOf(last)).toEqual(['validation:succeeded', 'transfer:succeeded', 'build:failed']);
  });

  it('detects a release whose process exits at start, and rolls back to the previous release and unit, verified', async () => {
    const crashing = await folderWith({
      'server.js': "process.stderr.write('crash: config missing\\n');\nprocess.exit(3);\n",
    });
    const result = await up(crashing);
    expect(result.status).toBe('rolled-back');
    // Found by the unit's state, whether systemd saw the exit before or after it confirmed the start
    // (`Type=exec`: a process that exits at once can fail the start job itself).
    expect(result.error?.code).toBe('HEALTH_CHECK_FAILED');
    expect(result.health?.reason).toMatch(/^process-exited: (the service exited|the unit is)/);
    expect(result.health?.reason).toContain('crash: config missing');
    // Long before the 60 s health timeout.
    const verify = result.phases.find((phase) => phase.name === 'verify');
    expect(verify?.durationMs).toBeLessThan(20_000);
    expect(result.rollback).toMatchObject({
      status: 'succeeded',
      to: v1.revision,
      health: { healthy: true },
    });
    expect(result.revision).toBe(v1.revision);
    expect(await host.current()).toBe(release1);
    const unit = await host.run(sh`cat -- ${`/etc/systemd/system/${unitName(service)}`}`);
    expect(unit).toContain(`WorkingDirectory=${host.layout.release(release1!)}\n`);
    expect(await host.run(sh`cat -- ${host.layout.currentRevisionFile}`)).toBe(`${v1.revision}\n`);
    expect(await servedRevision(port, v1.url)).toBe(v1.revision);
    const lines = (await host.history()).slice(-3);
    expect(lines.map((line) => `${line.operation}:${line.status}`)).toEqual([
      'deploy:succeeded',
      'verify:failed',
      'restore:succeeded',
    ]);
    expect(lines.at(-1)?.revision).toBe(v1.revision);
  });

  let v3: DeployResult;
  it('rolls back by hand to an older kept release, not only the previous one', async () => {
    const v2 = await up(await folderWith({ 'v2.txt': 'two' }));
    v3 = await up(await folderWith({ 'v3.txt': 'three' }));
    expect([v2.status, v3.status]).toEqual(['succeeded', 'succeeded']);
    expect(await servedRevision(port, v3.url)).toBe(v3.revision);

    const back = await deployer.rollback(spec(await folderWith()), { to: v1.revision });
    results.push(back);
    expect(back.status).toBe('succeeded');
    expect(back.revision).toBe(v1.revision);
    expect(await host.current()).toBe(release1);
    expect(await servedRevision(port, v1.url)).toBe(v1.revision);
    expect((await get(v1.url!, '/env/HOSTILE')).body).toBe(hostile);
    expect((await host.history()).at(-1)).toMatchObject({
      operation: 'restore',
      status: 'succeeded',
      revision: v1.revision,
    });
  });

  it('prunes releases older than keepDays and beyond keepReleases, keeping the current and the previous', async () => {
    // Releases: 1 (current, after the rollback), the crashed one, 2 and 3. Ages are set on the host.
    const record = JSON.parse(await host.run(sh`cat -- ${host.layout.revision(v3.revision!)}`)) as {
      releaseId: string;
    };
    const release3 = record.releaseId;
    const older = (await host.releases()).filter((id) => id !== release1 && id !== release3);
    expect(older).toHaveLength(2); // the crashed release and release 2
    const age = (id: string, days: number) =>
      host.run(sh`touch -d ${`${days} days ago`} -- ${host.layout.release(id)}`);

    // By age: keepDays 1 removes the releases older than a day, but not release 1, which served before.
    await age(release1!, 10);
    for (const id of older) await age(id, 3);
    const byAge = deployerOf(provider({ keepReleases: 5, keepDays: 1 }));
    deployers.push(byAge);
    const v4 = await up(await folderWith({ 'v4.txt': 'four' }), byAge);
    expect(v4.status).toBe('succeeded');
    const release4 = await host.current();
    expect(await host.releases()).toEqual([release1, release3, release4].sort());
    for (const id of older) {
      expect(await host.exists(host.layout.manifest(id))).toBe(false);
    }

    // By count: keepReleases 1 keeps only the release that served before (4), however old.
    await age(release4!, 10);
    const byCount = deployerOf(provider({ keepReleases: 1, keepDays: 30 }));
    deployers.push(byCount);
    const v5 = await up(await folderWith({ 'v5.txt': 'five' }), byCount);
    expect(v5.status).toBe('succeeded');
    expect(await host.releases()).toEqual([release4, await host.current()].sort());
    // The revisions that ran pruned releases went with them: record, environment file, unit copy.
    for (const revision of [v1.revision!, v3.revision!]) {
      expect(await host.exists(host.layout.revision(revision))).toBe(false);
      expect(await host.exists(host.layout.envFile(revision))).toBe(false);
      expect(await host.exists(host.layout.unitCopy(revision))).toBe(false);
    }
    expect(await host.exists(host.layout.envFile(v4.revision!))).toBe(true);
  });

  it('keeps the secret only in 0600 files on the host (environment files, the secret store), and out of events, results and errors', async () => {
    const files = await host.filesContaining(root, secret);
    expect(files.length).toBeGreaterThan(0);
    expect(files.some((file) => file.startsWith(`${host.layout.serviceDir}/secrets/`))).toBe(true);
    for (const file of files) {
      expect(
        file.startsWith(`${host.layout.envDir}/`) || file.startsWith(`${host.layout.serviceDir}/secrets/`),
      ).toBe(true);
      expect((await host.run(sh`stat -c %a -- ${file}`)).trim()).toBe('600');
    }
    expect(await host.filesContaining('/etc/systemd/system', secret)).toEqual([]);
    expect(await host.run(sh`systemctl show -p Environment ${unitName(service)}`)).not.toContain(secret);
    expect(JSON.stringify(log.events)).not.toContain(secret);
    expect(JSON.stringify(results)).not.toContain(secret);
    expect(log.events.length).toBeGreaterThan(50);
  });

  it('deregisters the service on down, removes the unit and releases, and keeps the history', async () => {
    const down = await deployer.down(spec(await folderWith()));
    expect(down.status).toBe('destroyed');
    expect(hook.calls.at(-1)?.body).toMatchObject({ event: 'deregister', service });
    const last = (await host.history()).at(-1);
    expect(last).toMatchObject({ operation: 'down', status: 'succeeded', operator: 'alice' });
    expect(phasesOf(last)).toEqual(['deregister:succeeded']);
    expect(await host.exists(`/etc/systemd/system/${unitName(service)}`)).toBe(false);
    expect(await host.run(sh`ls -A -- ${host.layout.serviceDir}`)).toBe('history.jsonl\n');
  });
});

/**
 * A crashing release that systemd restarted many times before the rollback starts: the restart
 * counter (`NRestarts`) and the start rate limit the crashed release left on the unit must not be
 * held against the restored release (issue 9: the rollback was reported failed although the old
 * release served again).
 */
describe('sshHost systemd method, rollback after a crash loop', () => {
  const loopName = `sdl-${suffix}`;
  const loopService = `${loopName}-dev`;
  const loopRoot = `/opt/berth-sdl-${suffix}`;
  const loopUnit = unitName(loopService);
  const loopHost = hostInspector(env.systemdHost, loopRoot, loopService);
  const loopState = memoryStateStore();
  let loopPort = 0;
  let crashLoop = { restarts: 0, result: '', subState: '' };

  const show = async () => {
    const text = await loopHost.run(sh`systemctl show -p NRestarts -p Result -p SubState ${loopUnit}`);
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1] ?? '';
    return {
      restarts: Number(value('NRestarts')) || 0,
      result: value('Result'),
      subState: value('SubState'),
    };
  };

  /** Before the rollback: let systemd restart the crashing release until `ready` says so. */
  const waitForCrashLoop = (
    ready: (seen: typeof crashLoop) => boolean,
    then?: () => Promise<void>,
  ): Hook => ({
    name: 'wait-for-crash-loop',
    before: 'rollback',
    async run() {
      for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
        crashLoop = await show();
        if (ready(crashLoop)) {
          if (!then) return;
          await then();
          then = undefined;
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the crashing release never reached the wanted state: ${JSON.stringify(crashLoop)}`);
    },
  });

  const loopProvider = (start: string[] = [env.systemdHost.nodePath, 'server.js']) =>
    sshHost({
      method: 'systemd',
      ssh: sshOptionsOf(env.systemdHost),
      baseDir: loopRoot,
      start,
      secretsDir: secrets.path,
      operator: 'alice',
      restart: 'always',
    });
  const loopSpec = (folder: string) => ({
    name: loopName,
    image: { build: { context: folder } },
    port: loopPort,
    health: { timeoutMs: 60_000 },
  });
  const loopDeployers: Array<ReturnType<typeof createDeployer>> = [];
  const loopDeployer = (hooks: Hook[] = [], start?: string[]) => {
    const made = createDeployer({
      provider: loopProvider(start),
      state: loopState,
      onEvent: log.onEvent,
      hooks,
    });
    loopDeployers.push(made);
    return made;
  };

  afterAll(async () => {
    await loopHost
      .run(
        sh`systemctl disable --now ${loopUnit}; rm -f -- ${`/etc/systemd/system/${loopUnit}`}; systemctl daemon-reload; systemctl reset-failed ${loopUnit}; rm -rf -- ${loopRoot}`,
      )
      .catch(() => undefined);
    for (const item of loopDeployers) await item.close();
    await loopHost.close();
  });

  let good: DeployResult;
  const crashingFolder = () =>
    folderWith({ 'server.js': "process.stderr.write('boom\\n');\nprocess.exit(3);\n" });

  async function crashThenRollBack(ready: (seen: typeof crashLoop) => boolean, then?: () => Promise<void>) {
    const result = await loopDeployer([waitForCrashLoop(ready, then)]).up(loopSpec(await crashingFolder()));
    // On a failure, say what the rollback saw (its health reason names the unit's state and journal).
    expect(result.status, JSON.stringify({ crashLoop, rollback: result.rollback }, null, 1)).toBe(
      'rolled-back',
    );
    expect(result.error?.code).toBe('HEALTH_CHECK_FAILED');
    expect(result.rollback).toMatchObject({
      status: 'succeeded',
      to: good.revision,
      health: { healthy: true },
    });
    expect(result.revision).toBe(good.revision);
    expect(await servedRevision(loopPort, good.url)).toBe(good.revision);
    // The restored unit runs, and its counters start from the rollback, not from the crash loop.
    expect(await show()).toMatchObject({ restarts: 0, subState: 'running' });
    expect((await loopHost.history()).slice(-2).map((line) => `${line.operation}:${line.status}`)).toEqual([
      'deploy:succeeded',
      'restore:succeeded',
    ]);
    expect((await loopHost.history()).at(-1)?.revision).toBe(good.revision);
  }

  it('brings the previous release back, verified, while systemd is still restarting the crashed one', async () => {
    loopPort = await freePort();
    good = await loopDeployer().up(loopSpec(await folderWith()));
    expect(good.status).toBe('succeeded');
    // Rollback starts between two automatic restarts of the crashed release, after several. A
    // drop-in widens the wait between restarts (as a user's `RestartSec=` would), so the rollback's
    // restart lands while the unit waits to restart the crashed release: every time, not by chance.
    const dropIn = `/etc/systemd/system/${loopUnit}.d`;
    try {
      await crashThenRollBack(
        (seen) => seen.restarts >= 3 && seen.subState === 'auto-restart',
        async () => {
          await loopHost.run(
            sh`mkdir -p -- ${dropIn} && printf '[Service]\nRestartSec=30\n' > ${`${dropIn}/slow-restart.conf`} && systemctl daemon-reload`,
          );
        },
      );
      expect(crashLoop).toMatchObject({ subState: 'auto-restart' });
      expect(crashLoop.restarts).toBeGreaterThanOrEqual(3);
    } finally {
      await loopHost.run(sh`rm -rf -- ${dropIn} && systemctl daemon-reload`);
    }
  });

  it('brings the previous release back after the crashed one hit its start limit', async () => {
    // systemd's start limit (default 5 starts in 10 s) is hit only when crashes come fast enough; a
    // drop-in with a long interval (as a user's unit settings would) makes it hit on every run. A
    // start after the limit is refused until `reset-failed`.
    const dropIn = `/etc/systemd/system/${loopUnit}.d`;
    await loopHost.run(
      sh`mkdir -p -- ${dropIn} && printf '[Unit]\nStartLimitIntervalSec=600\nStartLimitBurst=4\n' > ${`${dropIn}/start-limit.conf`} && systemctl daemon-reload`,
    );
    try {
      await crashThenRollBack((seen) => seen.subState === 'failed');
      // Stopped by the limit: after at least 4 starts (any `daemon-reload` on the host, from another
      // deploy, resets systemd's count of starts, so it may take more).
      expect(crashLoop.subState).toBe('failed');
      expect(crashLoop.restarts).toBeGreaterThanOrEqual(3);
    } finally {
      await loopHost.run(sh`rm -rf -- ${dropIn} && systemctl daemon-reload`);
    }
  });

  it('fails a release whose start program cannot run as not started (systemd status 203), and rolls back', async () => {
    // A program inside the release is not checked by preflight; this one is not there.
    const folder = await folderWith({ 'v-missing.txt': 'missing start program' });
    const result = await loopDeployer([], ['./no-such-program']).up(loopSpec(folder));
    expect(result.status).toBe('rolled-back');
    expect(result.error).toMatchObject({
      code: 'DEPLOY_FAILED',
      message: expect.stringContaining('did not start'),
    });
    expect(result.error?.message).toContain('exit status 203');
    expect(result.rollback).toMatchObject({
      status: 'succeeded',
      to: good.revision,
      health: { healthy: true },
    });
    expect(await servedRevision(loopPort, good.url)).toBe(good.revision);
  });
});
