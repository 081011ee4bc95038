/**
 * `sshHost({ method: 'docker' })` end to end on the test sshd (this machine's engine, reached over
 * SSH), through the deployer: one service deployed, updated twice, rolled back by hand to its first
 * revision, refused a folder without a Dockerfile, and taken down, checking the host after each
 * step. The base folder is hostile (spaces, quotes, `;`, `$()`, backticks): every command quotes it.
 */
import { randomBytes } from 'node:crypto';
import { createDeployer, type DeployResult, memoryStateStore } from '@berth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../../test-support/test-env.js';
import {
  freePort,
  get,
  managedContainers,
  removeServices,
  temporaryFolder,
  testDocker,
} from '../../test/docker-test-kit.js';
import {
  dockerFixture,
  eventLog,
  hostInspector,
  phasesOf,
  scratch,
  servedRevision,
  sshOptionsOf,
  webhook,
} from '../../test/ssh-host-kit.js';
import { sh } from './remote-command.js';
import { sshHost } from './ssh-host.js';
import { sshHostHooks } from './ssh-host-hooks.js';

const env = requireTestEnvironment(['sshd', 'docker', 'images']);
const suffix = randomBytes(3).toString('hex');
const pwned = `/tmp/berth-pwned-${suffix}`;
const root = `${env.sshd.baseDir}/dk-${suffix}`;
const baseDir = `${root}/it's "quoted" $(id>${pwned}) \`id>${pwned}\`;x`;
const name = `dk-${suffix}`;
const service = `${name}-dev`;
const port = await freePort();
const secret = `s3cret-${randomBytes(12).toString('hex')}`;
const hostile = `a;b $(id>${pwned}) \`id\` 'single' "double" \\ back\nsecond line %n $HOME`;

const docker = testDocker(env.docker.socketPath);
const folders = scratch();
const secrets = await temporaryFolder('berth-ssh-docker-secrets');
const hook = await webhook();
const log = eventLog();
const results: unknown[] = [];
const host = hostInspector(env.sshd, baseDir, service);
const provider = sshHost({
  method: 'docker',
  ssh: sshOptionsOf(env.sshd),
  baseDir,
  dockerSocketPath: env.sshd.dockerSocketPath,
  secretsDir: secrets.path,
  operator: 'alice',
});
const deployer = createDeployer({
  provider,
  state: memoryStateStore(),
  onEvent: log.onEvent,
  hooks: sshHostHooks(provider, { register: { url: hook.url, backoffMs: 20 } }),
});
const folder = await folders.folder(dockerFixture);

function spec(context: string, mark: string) {
  return {
    name,
    image: { build: { context, args: { BASE_IMAGE: env.images.busybox } } },
    port,
    env: { HOSTILE: hostile, MARK: mark },
    secrets: { API_TOKEN: { value: secret } },
    health: { timeoutMs: 30_000 },
  };
}

async function up(mark: string, context = folder): Promise<DeployResult> {
  const result = await deployer.up(spec(context, mark));
  results.push(result);
  return result;
}

afterAll(async () => {
  await removeServices(docker, [service]);
  await host.run(sh`rm -rf -- ${root} ${pwned}`).catch(() => undefined);
  await deployer.close();
  await host.close();
  await hook.close();
  await folders.remove();
  await secrets.remove();
});

describe('sshHost docker method, end to end over the test sshd', () => {
  let v1: DeployResult;

  it('deploys a container whose service sees hostile env values and the secret exactly', async () => {
    v1 = await up('1');
    expect(v1.error).toBeUndefined();
    expect(v1.status).toBe('succeeded');
    expect((await get(v1.url!, '/env/HOSTILE')).body).toBe(hostile);
    expect((await get(v1.url!, '/env/API_TOKEN')).body).toBe(secret);
    expect(await host.exists(pwned)).toBe(false);
    expect(await host.exists(host.layout.historyFile)).toBe(true);
  });

  it('records validation, build and start, then verify and register in the host history', async () => {
    const [deploy, verify] = (await host.history()).slice(-2);
    expect(deploy).toMatchObject({
      operation: 'deploy',
      status: 'succeeded',
      revision: v1.revision,
      operator: 'alice',
    });
    // The build context is streamed inside the Engine API's build request: its upload is `build`.
    expect(phasesOf(deploy)).toEqual(['validation:succeeded', 'build:succeeded', 'start:succeeded']);
    expect(verify).toMatchObject({ operation: 'verify', status: 'succeeded', revision: v1.revision });
    expect(phasesOf(verify)).toEqual(['verify:succeeded', 'register:succeeded']);
    for (const phase of [...(deploy?.phases ?? []), ...(verify?.phases ?? [])])
      expect(phase.durationMs).toBeGreaterThanOrEqual(0);
    expect(hook.calls.map((call) => call.body)).toEqual([
      expect.objectContaining({ event: 'register', service, url: v1.url, revision: v1.revision }),
    ]);
  });

  it('records an unchanged image as a skipped build', async () => {
    const v2 = await up('2');
    expect(v2.status).toBe('succeeded');
    const [deploy] = (await host.history()).slice(-2);
    expect(phasesOf(deploy)).toEqual(['validation:succeeded', 'build:skipped', 'start:succeeded']);
  });

  it('rolls back by hand to an older kept revision, not only the previous one', async () => {
    const v3 = await up('3');
    expect(v3.status).toBe('succeeded');
    expect(await servedRevision(port, v3.url)).toBe(v3.revision);
    const back = await deployer.rollback(spec(folder, '1'), { to: v1.revision });
    results.push(back);
    expect(back.status).toBe('succeeded');
    expect(back.revision).toBe(v1.revision);
    expect(await servedRevision(port, v1.url)).toBe(v1.revision);
    expect((await get(v1.url!, '/env/MARK')).body).toBe('1');
    const running = (await managedContainers(docker, service)).filter(
      (container) => container.State === 'running',
    );
    expect(running.map((container) => container.Labels['dev.berth.revision'])).toEqual([v1.revision]);
    expect((await host.history()).at(-1)).toMatchObject({
      operation: 'restore',
      status: 'succeeded',
      revision: v1.revision,
    });
  });

  it('refuses a folder without a Dockerfile before anything changes on the host', async () => {
    const before = await host.history();
    const containers = (await managedContainers(docker, service)).map((container) => container.Id).sort();
    const failed = await up('4', await folders.folder(dockerFixture, { Dockerfile: null }));
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({
      code: 'IMAGE_BUILD_FAILED',
      message: expect.stringContaining('No Dockerfile'),
      hint: expect.stringContaining('Dockerfile'),
    });
    expect(await host.history()).toEqual(before);
    expect(await host.exists(host.layout.lockDir)).toBe(false);
    expect((await managedContainers(docker, service)).map((container) => container.Id).sort()).toEqual(
      containers,
    );
    expect(await servedRevision(port, v1.url)).toBe(v1.revision);
  });

  it('keeps the secret on the host only in its 0600 secret store, and out of events, results and errors', async () => {
    const files = await host.filesContaining(root, secret);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(file.startsWith(`${host.layout.serviceDir}/secrets/`)).toBe(true);
      expect((await host.run(sh`stat -c %a -- ${file}`)).trim()).toBe('600');
    }
    expect(JSON.stringify(log.events)).not.toContain(secret);
    expect(JSON.stringify(results)).not.toContain(secret);
    expect(log.events.length).toBeGreaterThan(50);
  });

  it('deregisters the service on down and removes its containers', async () => {
    const down = await deployer.down(spec(folder, '1'));
    expect(down.status).toBe('destroyed');
    expect(hook.calls.at(-1)?.body).toMatchObject({ event: 'deregister', service });
    const last = (await host.history()).at(-1);
    expect(last).toMatchObject({ operation: 'down', status: 'succeeded' });
    expect(phasesOf(last)).toEqual(['deregister:succeeded']);
    expect(await managedContainers(docker, service)).toEqual([]);
  });
});
