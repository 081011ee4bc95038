import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { contextsSendingDeploymentDir } from './context-check.js';
import type { ResolvedService } from './resolve-service.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-cli-context-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const service = (context: string): ResolvedService => ({
  key: 'api',
  service: 'api-dev',
  targetName: 'local',
  spec: { name: 'api', image: { build: { context } } },
  hooks: [],
  dependsOn: [],
});

it('finds a build context that would send .deployment/ to the builder, until .dockerignore leaves it out', async () => {
  expect(await contextsSendingDeploymentDir([service(dir)], dir)).toHaveLength(1);
  // A context beside (not above) the config folder never contains it.
  expect(await contextsSendingDeploymentDir([service(join(dir, 'app'))], dir)).toEqual([]);
  await writeFile(join(dir, '.dockerignore'), 'node_modules\n.deployment\n');
  expect(await contextsSendingDeploymentDir([service(dir)], dir)).toEqual([]);
});
