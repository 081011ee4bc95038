/**
 * What `sshHost()` refuses before it changes a host, on the real test hosts, for both methods:
 * a missing service folder, a port another process holds, hostile names (before any I/O); the
 * host lock between two operators deploying the same service at once, and after a dead run; and
 * the run lock, held from the `lock` phase to the end of the run, so another operator with its own
 * state store cannot change the service between a deploy's `apply` and the end of its verification.
 */
import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { createDeployer, type DeployResult, type Hook, memoryStateStore, type Provider } from '@berth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment, type SshHostTestEnvironment } from '../../../../test-support/test-env.js';
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
  nodeFixture,
  phasesOf,
  scratch,
  sshOptionsOf,
} from '../../test/ssh-host-kit.js';
import { acquireHostLock } from './host-lock.js';
import { sh } from './remote-command.js';
import { sshHost } from './ssh-host.js';
import { unitName } from './unit-file.js';

const env = requireTestEnvironment(['sshd', 'systemdHost', 'docker', 'images']);
const suffix = randomBytes(3).toString('hex');
const systemdBase = `/opt/berth-guards-${suffix}`;
const dockerBase = `${env.sshd.baseDir}/guards-${suffix}`;
const folders = scratch();
const secrets = await temporaryFolder('berth-ssh-guards-secrets');
const docker = testDocker(env.docker.socketPath);
const cleanups: (() => Promise<unknown>)[] = [];

interface Method {
  label: string;
  host: SshHostTestEnvironment;
  baseDir: string;
  provider(operator: string, extra?: Record<string, unknown>): Provider;
  /** A service folder; `slow` makes its build or install take 3 s. */
  folder(slow?: boolean): Promise<string>;
}

const methods: Method[] = [
  {
    label: 'systemd',
    host: env.systemdHost,
    baseDir: systemdBase,
    provider: (operator, extra = {}) =>
      sshHost({
        method: 'systemd',
        ssh: sshOptionsOf(env.systemdHost),
        baseDir: systemdBase,
        start: [env.systemdHost.nodePath, 'server.js'],
        install: 'if test -e slow; then sleep 3; fi',
        secretsDir: secrets.path,
        operator,
        ...extra,
      }),
    folder: (slow = false) =>
      folders.folder(nodeFixture, slow ? { slow: randomBytes(8).toString('hex') } : {}),
  },
  {
    label: 'docker',
    host: env.sshd,
    baseDir: dockerBase,
    provider: (operator, extra = {}) =>
      sshHost({
        method: 'docker',
        ssh: sshOptionsOf(env.sshd),
        baseDir: dockerBase,
        dockerSocketPath: env.sshd.dockerSocketPath,
        secretsDir: secrets.path,
        operator,
        ...extra,
      }),
    // A unique RUN line: the layer cache cannot skip the sleep.
    folder: async (slow = false) => {
      const folder = await folders.folder(dockerFixture);
      if (!slow) return folder;
      await appendFile(`${folder}/Dockerfile`, `RUN echo ${randomBytes(8).toString('hex')} && sleep 3\n`);
      return folder;
    },
  },
];

function spec(folder: string, name: string, port: number, mark = 'first') {
  return {
    name,
    image: { build: { context: folder, args: { BASE_IMAGE: env.images.busybox } } },
    port,
    env: { MARK: mark },
    health: { timeoutMs: 30_000 },
  };
}

function deployer(provider: Provider, log = eventLog(), hooks: Hook[] = []) {
  const made = createDeployer({ provider, state: memoryStateStore(), onEvent: log.onEvent, hooks });
  cleanups.push(() => made.close());
  return made;
}

/** A hook that holds the run at its point until `release()`; `reached` resolves when the run is there. */
function pause(at: Pick<Hook, 'before' | 'after'>) {
  let release = () => {};
  let arrive = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  const hook: Hook = {
    name: 'pause',
    ...at,
    run: async () => {
      arrive();
      await gate;
    },
  };
  return { hook, reached, release };
}

/** Remove what a test left of `service` on the host of `method`. */
function cleanUp(method: Method, service: string, host: ReturnType<typeof hostInspector>) {
  return () =>
    method.label === 'docker'
      ? removeServices(docker, [service])
      : host.run(
          sh`systemctl disable --now ${unitName(service)}; rm -f -- ${`/etc/systemd/system/${unitName(service)}`}; systemctl daemon-reload; rm -rf -- ${method.baseDir}`,
        );
}

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await folders.remove();
  await secrets.remove();
});

describe.each(methods)('sshHost $label method: validation before any change', (method) => {
  const name = `${method.label.slice(0, 2)}-val-${suffix}`;
  const service = `${name}-dev`;
  const host = hostInspector(method.host, method.baseDir, service);
  cleanups.push(() => host.close());

  it('refuses a missing service folder with a clear error, changing nothing on the host', async () => {
    const result = await deployer(method.provider('alice')).up(
      spec(folders.missing(), name, await freePort()),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'IMAGE_BUILD_FAILED',
      message: expect.stringMatching(/not a folder|does not exist/),
      hint: expect.stringContaining('context'),
    });
    expect(await host.exists(host.layout.serviceDir)).toBe(false);
  });

  it('refuses a port another process holds on the host, changing nothing on the host', async () => {
    const port = await freePort();
    // The systemd host shares this machine's network: a listener here holds the port there too.
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const result = await deployer(method.provider('alice')).up(spec(await method.folder(), name, port));
      expect(result.status).toBe('failed');
      expect(result.error).toMatchObject({
        code: 'PREFLIGHT_FAILED',
        message: expect.stringMatching(new RegExp(`host-port: .*${port}.* in use`)),
        hint: expect.stringContaining('port'),
      });
      expect(result.phases.map((phase) => phase.name)).not.toContain('image');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    expect(await host.exists(host.layout.serviceDir)).toBe(false);
  });
});

describe('sshHost systemd method: the start program', () => {
  it('refuses a start program the host does not have, before anything is sent', async () => {
    const name = `sd-start-${suffix}`;
    const host = hostInspector(env.systemdHost, systemdBase, `${name}-dev`);
    cleanups.push(() => host.close());
    const provider = methods[0]!.provider('alice', { start: ['/usr/bin/no-such-program', 'server.js'] });
    const result = await deployer(provider).up(spec(await methods[0]!.folder(), name, await freePort()));
    expect(result.error).toMatchObject({
      code: 'PREFLIGHT_FAILED',
      message: expect.stringContaining('start-command: The start program /usr/bin/no-such-program is not on'),
      hint: expect.stringContaining('`start`'),
    });
    expect(await host.exists(host.layout.serviceDir)).toBe(false);
  });
});

describe('sshHost: hostile names are refused before any I/O', () => {
  // Port 1 answers nothing: a provider call would fail with SSH_UNREACHABLE, not SPEC_INVALID.
  const unreachable = sshHost({
    method: 'systemd',
    ssh: { ...sshOptionsOf(env.systemdHost), port: 1 },
    start: ['node', 'server.js'],
    secretsDir: secrets.path,
  });

  it.each([
    ['name', { name: 'x;touch /tmp/pwned' }],
    ['name', { name: '$(reboot)' }],
    ['environment', { environment: 'dev`id`' }],
    ['env', { env: { 'A;B': 'x' } }],
    ['env', { env: { 'PATH$(id)': 'x' } }],
    ['secrets', { secrets: { "KEY'": { value: 'long enough value' } } }],
  ])('refuses a hostile %s', async (_field, override) => {
    const result = await deployer(unreachable).up({
      ...spec(dockerFixture, 'ok', 8080),
      ...override,
    });
    expect(result.error?.code).toBe('SPEC_INVALID');
    expect(result.phases.map((phase) => phase.name)).toEqual(['validate']);
  });
});

describe.each(methods)('sshHost $label method: the host lock between operators', (method) => {
  const name = `${method.label.slice(0, 2)}-lock-${suffix}`;
  const service = `${name}-dev`;
  const host = hostInspector(method.host, method.baseDir, service);
  cleanups.push(() => host.close());
  cleanups.push(cleanUp(method, service, host));
  if (method.label === 'docker') cleanups.push(() => host.run(sh`rm -rf -- ${method.baseDir}`));
  let port: number;

  it('lets one of two operators deploying at once through and refuses the other, naming the holder', async () => {
    port = await freePort();
    const folder = await method.folder(true);
    const alice = deployer(method.provider('alice@laptop'));
    const bob = deployer(method.provider('bob@ci'));
    const outcomes = await Promise.all([
      alice.up(spec(folder, name, port)),
      bob.up(spec(folder, name, port)),
    ]);
    const [winner, loser] =
      outcomes[0].status === 'succeeded' ? ['alice@laptop', 'bob@ci'] : ['bob@ci', 'alice@laptop'];
    const refused = outcomes.find((outcome) => outcome.status !== 'succeeded') as DeployResult;
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['failed', 'succeeded']);
    expect(refused.error).toMatchObject({
      code: 'LOCK_HELD',
      retryable: true,
      message: expect.stringContaining(`locked by ${winner}`),
      details: { owner: winner },
    });

    // Once the first run is over, the other operator deploys (a change of its own).
    const again = await (winner === 'alice@laptop' ? bob : alice).up(spec(folder, name, port, loser));
    expect(again.error).toBeUndefined();
    expect(again.status).toBe('succeeded');
    const operators = (await host.history())
      .filter((entry) => entry.operation === 'deploy')
      .map((entry) => entry.operator);
    expect(operators).toEqual([winner, loser]);
  });

  it('takes over a lock left by a dead run once it expired, and says so', async () => {
    const dead = await acquireHostLock(host.connection, host.layout, {
      owner: 'dead-ci-job',
      operation: 'deploy',
      ttlSeconds: 60,
    });
    await host.run(sh`touch -d @1000000000 -- ${host.layout.lockDir}`);
    const log = eventLog();
    const result = await deployer(method.provider('carol'), log).up(
      spec(await method.folder(), name, port, 'carol'),
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    const warnings = log.events.flatMap((event) =>
      event.type === 'log' && event.level === 'warn' ? [event.message] : [],
    );
    expect(warnings.join('\n')).toMatch(/Taking over the expired lock .* held by dead-ci-job/);
    await dead.release(); // too late: the lock is carol's now, and already released
    expect(await host.exists(host.layout.lockDir)).toBe(false);
    expect(phasesOf((await host.history()).at(-1))[0]).toBe('validation:succeeded');
  });
});

describe.each(
  methods,
)('sshHost $label method: the run lock, from the lock phase to the end of the run', (method) => {
  const name = `${method.label.slice(0, 2)}-run-${suffix}`;
  const service = `${name}-dev`;
  const host = hostInspector(method.host, method.baseDir, service);
  cleanups.push(() => host.close());
  cleanups.push(cleanUp(method, service, host));
  const alice = method.provider('alice@laptop');
  const aliceState = memoryStateStore();
  const bob = deployer(method.provider('bob@ci'));
  let port: number;
  let folder: string;

  /** Alice's deployer (her own state store), holding her run at `paused`. */
  const aliceDeployer = (paused: ReturnType<typeof pause>) =>
    createDeployer({ provider: alice, state: aliceState, hooks: [paused.hook] });

  /** Everything Bob could have changed on the host: history, lock, releases, what runs. */
  const snapshot = async () => ({
    history: await host.history(),
    lock: await host.run(sh`cat -- ${`${host.layout.lockDir}/owner.json`}`),
    releases: await host.releases(),
    current: await host.run(
      sh`readlink -- ${host.layout.currentLink}; cat -- ${host.layout.currentRevisionFile}`,
    ),
    containers:
      method.label === 'docker'
        ? (await managedContainers(docker, service))
            .map((container) => `${container.Names[0]} ${container.State}`)
            .sort()
        : [],
  });

  afterAll(() => alice.close?.());

  it("refuses another operator's up and down between apply and the end of verification; then lets it deploy", async () => {
    port = await freePort();
    folder = await method.folder();
    const paused = pause({ after: 'deploy' });
    const deploying = aliceDeployer(paused).up(spec(folder, name, port, 'alice'));
    await paused.reached;
    const before = await snapshot();
    expect(before.lock).toContain('"operation":"up"');

    const refused = await bob.up(spec(folder, name, port, 'bob'));
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatchObject({
      code: 'LOCK_HELD',
      retryable: true,
      message: expect.stringContaining('locked by alice@laptop (up, run '),
      hint: expect.stringContaining('Wait for that run to finish'),
      details: { owner: 'alice@laptop', operation: 'up' },
    });
    expect(refused.phases.map((phase) => `${phase.name}:${phase.status}`)).toEqual([
      'validate:succeeded',
      'lock:failed',
    ]);
    const down = await bob.down(spec(folder, name, port));
    expect(down).toMatchObject({ status: 'failed', removed: [], error: { code: 'LOCK_HELD' } });
    expect(await snapshot()).toEqual(before);

    paused.release();
    const deployed = await deploying;
    expect(deployed.error).toBeUndefined();
    expect(deployed.status).toBe('succeeded');
    expect(await host.exists(host.layout.lockDir)).toBe(false);

    const again = await bob.up(spec(folder, name, port, 'bob'));
    expect(again.error).toBeUndefined();
    expect(again.status).toBe('succeeded');
    expect((await get(again.url!, '/env/MARK')).body.trim()).toBe('bob');
    const deploys = (await host.history()).filter((entry) => entry.operation === 'deploy');
    expect(deploys.map((entry) => entry.operator)).toEqual(['alice@laptop', 'bob@ci']);
  });

  it("refuses another operator's up while a down runs", async () => {
    const paused = pause({ before: 'destroy' });
    const removing = aliceDeployer(paused).down(spec(folder, name, port));
    await paused.reached;
    const before = await snapshot();

    const refused = await bob.up(spec(folder, name, port, 'bob-again'));
    expect(refused.error).toMatchObject({
      code: 'LOCK_HELD',
      message: expect.stringContaining('locked by alice@laptop (down, run '),
    });
    expect(await snapshot()).toEqual(before);

    paused.release();
    expect((await removing).status).toBe('destroyed');
    expect(await host.exists(host.layout.lockDir)).toBe(false);
    if (method.label === 'docker') expect(await managedContainers(docker, service)).toEqual([]);
    else expect(await host.releases()).toEqual([]);
  });
});
