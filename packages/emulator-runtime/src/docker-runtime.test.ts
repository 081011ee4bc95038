import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ContainerStartError } from './container-runtime.js';
import { dockerRuntime } from './docker-runtime.js';

/** A Docker engine in memory: records what the runtime asks for. */
function fakeEngine(options: { localImages?: string[]; running?: boolean; pullError?: string } = {}) {
  const calls: string[] = [];
  const created: Record<string, unknown>[] = [];
  const removed: string[] = [];
  const engine = {
    modem: { followProgress: (_stream: unknown, done: (error: Error | null) => void) => done(null) },
    async pull(image: string, auth: unknown) {
      calls.push(`pull ${image} ${JSON.stringify(auth)}`);
      if (options.pullError) throw new Error(options.pullError);
      return {};
    },
    getImage: (image: string) => ({
      async inspect() {
        calls.push(`inspect-image ${image}`);
        if (!options.localImages?.includes(image))
          throw Object.assign(new Error('no such image'), { statusCode: 404 });
        return {};
      },
    }),
    async createContainer(body: Record<string, unknown>) {
      created.push(body);
      const id = `c${created.length}`;
      return {
        id,
        start: async () => undefined,
        inspect: async () => ({
          State: { Running: options.running ?? true, ExitCode: 3 },
          NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '49001' }] } },
        }),
      };
    },
    getContainer: (id: string) => ({
      remove: async () => void removed.push(id),
      kill: async () => undefined,
      inspect: async () => ({ State: { Running: true } }),
    }),
  };
  return { docker: engine as unknown as Docker, calls, created, removed };
}

const launch = {
  id: 'emu-1-hello-00001',
  service: 'hello',
  revision: 'hello-00001',
  image: '127.0.0.1:5000/team/hello:v1',
  containerPort: 8080,
  env: { PORT: '8080' },
};

describe('dockerRuntime', () => {
  it('pulls with the registry credentials, labels the container and publishes the port on loopback', async () => {
    const engine = fakeEngine();
    const runtime = dockerRuntime({
      docker: engine.docker,
      label: 'berth.test-emulator',
      registryAuth: { '127.0.0.1:5000': { username: 'berth', password: 'pw' } },
    });
    const instance = await runtime.start({ ...launch, entrypoint: ['node'], command: ['server.js'] });
    expect(instance).toEqual({ id: 'c1', host: '127.0.0.1', port: 49001 });
    expect(engine.calls).toEqual([
      'pull 127.0.0.1:5000/team/hello:v1 {"authconfig":{"username":"berth","password":"pw","serveraddress":"127.0.0.1:5000"}}',
    ]);
    expect(engine.created[0]).toMatchObject({
      name: 'emu-1-hello-00001',
      Image: '127.0.0.1:5000/team/hello:v1',
      Env: ['PORT=8080'],
      Entrypoint: ['node'],
      Cmd: ['server.js'],
      Labels: {
        'berth.test-emulator': 'true',
        'berth.test-emulator.service': 'hello',
        'berth.test-emulator.revision': 'hello-00001',
      },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
  });

  it('with pullPolicy if-not-present uses an image already in the engine without pulling', async () => {
    const engine = fakeEngine({ localImages: [launch.image] });
    await dockerRuntime({ docker: engine.docker, pullPolicy: 'if-not-present' }).start(launch);
    expect(engine.calls).toEqual([`inspect-image ${launch.image}`]);
    const absent = fakeEngine();
    await dockerRuntime({ docker: absent.docker, pullPolicy: 'if-not-present' }).start(launch);
    expect(absent.calls.map((call) => call.split(' ')[0])).toEqual(['inspect-image', 'pull']);
  });

  it('reports a refused pull as image-unauthorized and a missing image as image-not-found', async () => {
    const refused = dockerRuntime({
      docker: fakeEngine({ pullError: 'unauthorized: authentication required' }).docker,
    });
    await expect(refused.start(launch)).rejects.toMatchObject({ reason: 'image-unauthorized' });
    const missing = dockerRuntime({ docker: fakeEngine({ pullError: 'manifest unknown' }).docker });
    await expect(missing.start(launch)).rejects.toBeInstanceOf(ContainerStartError);
    await expect(missing.start(launch)).rejects.toMatchObject({ reason: 'image-not-found' });
  });

  it('removes a container that exited as it started and reports start-failed', async () => {
    const engine = fakeEngine({ running: false });
    await expect(dockerRuntime({ docker: engine.docker }).start(launch)).rejects.toMatchObject({
      reason: 'start-failed',
      message: 'The container exited with code 3 as it started.',
    });
    expect(engine.removed).toEqual(['c1']);
  });
});
