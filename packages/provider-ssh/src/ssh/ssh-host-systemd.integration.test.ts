/**
 * `sshHost({ method: 'systemd' })` end to end on the systemd test host, through the deployer: one
 * service taken through a deploy, a failing install, a release that crashes at start, a manual
 * rollback to an older release, retention and `down`, checking the host after each step. The base
 * folder itself is hostile (`;`, `$()`, backticks): every command quotes it and no unit splits it.
 */
import { randomBytes } from 'node:crypto';
import { createDeployer, type DeployResult, memoryStateStore } from '@berth/core';
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
    // Usually the verifier finds the exit by the unit's state. On a loaded host systemd may see the
    // exit before it confirmed the start (Type=exec), and then `systemctl restart` itself fails: the
    // deploy phase fails with the journal. Both are the same outcome for the user, told either way.
    const byVerifier = result.error?.code === 'HEALTH_CHECK_FAILED';
    if (byVerifier) {
      expect(result.health?.reason).toMatch(/^process-exited: (the service exited|the unit is)/);
      expect(result.health?.reason).toContain('crash: config missing');
      // Found by the unit's state, long before the 60 s health timeout.
      const verify = result.phases.find((phase) => phase.name === 'verify');
      expect(verify?.durationMs).toBeLessThan(20_000);
    } else {
      expect(result.error?.code).toBe('DEPLOY_FAILED');
      expect(JSON.stringify(result.error)).toMatch(/did not start/);
    }
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
    const lines = (await host.history()).slice(byVerifier ? -3 : -2);
    expect(lines.map((line) => `${line.operation}:${line.status}`)).toEqual(
      byVerifier
        ? ['deploy:succeeded', 'verify:failed', 'restore:succeeded']
        : ['deploy:failed', 'restore:succeeded'],
    );
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
