import { fileURLToPath } from 'node:url';
import { loadConfig, resolveService } from '@berth/cli';
import { expect, it } from 'vitest';
import { helloAgentSpec } from './spec.ts';

it('berth.config.ts deploys the same spec as deploy.ts', async () => {
  const loaded = await loadConfig({
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    selfModule: fileURLToPath(new URL('../../packages/cli/src/define-config.ts', import.meta.url)),
  });
  const resolved = resolveService(loaded.config, 'hello-agent', 'dev', loaded.dir);
  const { health, ...expected } = helloAgentSpec({
    baseImage:
      resolved.spec.image && 'build' in resolved.spec.image
        ? (resolved.spec.image.build.args?.BASE_IMAGE ?? '')
        : '',
  });
  expect(resolved.service).toBe('hello-agent-dev');
  expect(resolved.spec).toMatchObject(expected);
  expect(resolved.spec.health).toMatchObject({ path: health?.path, timeoutMs: health?.timeoutMs });
  expect(resolveService(loaded.config, 'hello-agent', 'prod', loaded.dir).spec.env?.SV_LOG_LEVEL).toBe(
    'WARNING',
  );
});
