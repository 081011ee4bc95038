/**
 * Issue 11's measured case on local Docker: two clones of one project on one machine, each with
 * its own `.deployment/` state folder, deploy the same spec. The second clone's `up` must be a noop
 * (no container replaced, no secret version written, no secret planned as changed), and two runs at
 * once must exclude each other through the lock kept with the target.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDeployer, fileStateStore, type ServiceSpecInput } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import {
  freePort,
  managedContainers,
  removeServices,
  temporaryFolder,
  testDocker,
  uniqueName,
} from '../test/docker-test-kit.js';
import { localDocker } from './local-docker.js';

const env = requireTestEnvironment(['docker', 'images']);
const docker = testDocker(env.docker.socketPath);
const dockerOptions = { socketPath: env.docker.socketPath };

describe('two clones of one project on one machine (local Docker)', () => {
  const name = uniqueName('clones');
  const service = `${name}-dev`;
  let port: number;
  let secrets: Awaited<ReturnType<typeof temporaryFolder>>;
  let cloneA: Awaited<ReturnType<typeof temporaryFolder>>;
  let cloneB: Awaited<ReturnType<typeof temporaryFolder>>;
  const spec = (extra: Record<string, string> = {}): ServiceSpecInput => ({
    name,
    image: { ref: env.images.healthService },
    port,
    env: { SV_LOG_LEVEL: 'INFO', ...extra },
    secrets: { SUPERVAIZER_API_KEY: { generate: 'api-key' }, SECOND_KEY: { generate: 'api-key' } },
    health: { intervalMs: 250, maxIntervalMs: 1_000, timeoutMs: 30_000 },
  });
  // Each clone: its own state folder, the machine's one local store (as with the default secretsDir).
  const deployerIn = (clone: { path: string }) =>
    createDeployer({
      provider: localDocker({ dockerOptions, secretsDir: secrets.path }),
      state: fileStateStore({ dir: join(clone.path, '.deployment'), gitIgnore: false }),
    });
  const manifest = async () => readFile(join(secrets.path, service, 'manifest.json'), 'utf8');

  beforeAll(async () => {
    port = await freePort();
    secrets = await temporaryFolder('berth-clones-secrets');
    cloneA = await temporaryFolder('berth-clone-a');
    cloneB = await temporaryFolder('berth-clone-b');
  });
  afterAll(async () => {
    await removeServices(docker, [service]);
    for (const folder of [secrets, cloneA, cloneB]) await folder?.remove();
  });

  it("the second clone's up is a noop: same container, same secret versions, nothing planned", async () => {
    const first = await deployerIn(cloneA).up(spec());
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('succeeded');
    const containers = (await managedContainers(docker, service)).map((container) => container.Id);
    const secretsBefore = await manifest();

    const plan = await deployerIn(cloneB).plan(spec());
    expect(plan.action).toBe('noop');
    expect(plan.changes).toEqual([]);
    const second = await deployerIn(cloneB).up(spec());
    expect(second.status).toBe('noop');
    expect(second.revision).toBe(first.revision);
    expect((await managedContainers(docker, service)).map((container) => container.Id)).toEqual(containers);
    expect(await manifest()).toBe(secretsBefore);

    // And back: the first clone is still a noop after the second one's run.
    expect((await deployerIn(cloneA).up(spec())).status).toBe('noop');
  });

  it('a change from one clone is an update that only names what changed; the other clone then converges', async () => {
    const changed = await deployerIn(cloneB).up(spec({ SV_LOG_LEVEL: 'DEBUG' }));
    expect(changed.status).toBe('succeeded');
    expect(changed.plan?.changes.map((change) => change.path)).toEqual(['env.SV_LOG_LEVEL']);
    const other = await deployerIn(cloneA).up(spec({ SV_LOG_LEVEL: 'DEBUG' }));
    expect(other.status).toBe('noop');
    expect(other.revision).toBe(changed.revision);
  });

  it('two clones deploying at once exclude each other through the lock kept with the target', async () => {
    const results = await Promise.all([
      deployerIn(cloneA).up(spec({ SV_LOG_LEVEL: 'WARN' })),
      deployerIn(cloneB).up(spec({ SV_LOG_LEVEL: 'WARN' })),
    ]);
    const statuses = results.map((result) => result.status).sort();
    // One deploys; the other either waited out nothing (it found the lock: LOCK_HELD) or, when it
    // came after the first run ended, found the service converged (noop).
    expect(statuses.filter((status) => status === 'succeeded')).toHaveLength(1);
    const other = results.find((result) => result.status !== 'succeeded')!;
    if (other.status === 'failed') {
      expect(other.error?.code).toBe('LOCK_HELD');
      expect(other.phases.map((phase) => phase.name)).toEqual(['validate', 'lock']);
    } else expect(other.status).toBe('noop');
    expect(
      (await managedContainers(docker, service)).filter((container) => container.State === 'running'),
    ).toHaveLength(1);
  });
});
