import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeployer, type Deployer, fileStateStore } from '@berth/core';
import { dockerImageBuilder } from '@berth/docker';
import { localDocker } from '@berth/provider-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../test-support/test-env.js';
import { helloAgentSpec } from './spec.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the main job: hello-agent on the local Docker engine', () => {
  const env = requireTestEnvironment(['docker', 'registry', 'images']);
  // An environment of its own: another checkout's run on this machine deploys its own service.
  const environment = `it${randomBytes(3).toString('hex')}`;
  const spec = helloAgentSpec({ baseImage: env.images.node, environment });
  let deployer: Deployer;
  let secretsDir: string;

  beforeAll(async () => {
    const work = await mkdtemp(join(tmpdir(), 'berth-hello-'));
    secretsDir = join(work, 'secrets');
    deployer = createDeployer({
      provider: localDocker({ registry: env.registry, hostPort: await freePort(), secretsDir }),
      imageBuilder: dockerImageBuilder(),
      state: fileStateStore({ dir: join(work, '.deployment') }),
    });
  });

  afterAll(async () => {
    await deployer?.down(spec);
  });

  it('deploys a real container that honours the server contract, then reports noop', async () => {
    const result = await deployer.up(spec);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.image?.ref).toMatch(new RegExp(`^${env.registry.host}/.+@sha256:[0-9a-f]{64}$`));
    const url = result.url!;
    expect((await fetch(`${url}/.well-known/health`)).status).toBe(200);
    expect((await fetch(`${url}/agents/health`)).status).toBe(401);
    const docs = await (await fetch(`${url}/docs`)).text();
    expect(docs).toContain(`href="${url}/agents/health"`);
    expect(result.secrets?.SUPERVAIZER_API_KEY).toMatch(/…\(43 chars\)$/);
    const again = await deployer.up(spec);
    expect(again.status).toBe('noop');
    expect(again.phases.map((phase) => phase.name)).not.toContain('deploy');
  });

  it('rolls a broken build back to the container that worked, which answers again', async () => {
    const before = await deployer.status(spec);
    const broken = helloAgentSpec({ baseImage: env.images.node, environment, broken: true });
    const result = await deployer.up(broken);
    expect(result.status).toBe('rolled-back');
    expect(result.revision).toBe(before.revision);
    expect((await fetch(`${result.url}/.well-known/health`)).status).toBe(200);
    const history = await deployer.history(spec);
    expect(history.map((entry) => entry.status)).toEqual(['succeeded', 'rolled-back']);
  });
});
