import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.js';
import { fileStateStore } from '../state/file-state-store.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { createDeployer } from './create-deployer.js';
import type { BerthEvent } from './events.js';

const providers: ReturnType<typeof memoryProvider>[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

async function filesUnder(dir: string): Promise<string[]> {
  const texts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) texts.push(await readFile(join(entry.parentPath, entry.name), 'utf8'));
  return texts;
}

describe('secret values', () => {
  it('never appear in events, results, errors, history, logs or state files', async () => {
    const work = await mkdtemp(join(tmpdir(), 'berth-leak-'));
    const literal = 'literal-secret-value-0123456789';
    const fromEnv = 'env-secret-value-9876543210';
    const fromFile = 'file-secret-value-abcdefghij';
    await writeFile(join(work, 'secret.txt'), fromFile);
    const provider = memoryProvider();
    providers.push(provider);
    // A provider SDK that echoes request bodies in its errors, as some do.
    const originalApply = provider.apply.bind(provider);
    let echoed = false;
    provider.apply = async (context, desired, options) => {
      const outcome = await originalApply(context, desired, options);
      if (!echoed && desired.env.MARKER === 'echo') {
        echoed = true;
        const values = Object.values(provider.cloud.secrets.get('app-dev') ?? new Map()).length;
        const stored = [...(provider.cloud.secrets.get('app-dev')?.values() ?? [])].map((secret) =>
          secret.versions.at(-1),
        );
        context.log('info', `applied with ${stored.join(',')} (${values})`, { echo: stored.join(',') });
        throw new BerthError('PROVIDER_REQUEST_FAILED', `bad request: ${stored.join(' ')}`);
      }
      return outcome;
    };
    const events: BerthEvent[] = [];
    const stateDir = join(work, '.deployment');
    const deployer = createDeployer({
      provider,
      state: fileStateStore({ dir: stateDir }),
      onEvent: (event) => events.push(event),
      secretSources: { env: { SVC_TOKEN: fromEnv }, cwd: work },
    });
    const spec = (marker: string, extra: Record<string, unknown> = {}) => ({
      name: 'app',
      image: { ref: 'r/app@sha256:1' },
      env: { MARKER: marker },
      secrets: {
        LITERAL: { value: literal },
        TOKEN: { fromEnv: 'SVC_TOKEN' },
        FILE: { fromFile: 'secret.txt' },
        SUPERVAIZER_API_KEY: { generate: 'api-key' },
        SV_RSA_PRIVATE_KEY: { generate: 'rsa-private-key' },
      },
      health: {
        timeoutMs: 2_000,
        intervalMs: 50,
        checks: [{ path: '/agents/health', headers: { 'X-API-Key': { secret: 'SUPERVAIZER_API_KEY' } } }],
      },
      ...extra,
    });
    const outputs: unknown[] = [];
    outputs.push(await deployer.up(spec('one')));
    expect((outputs[0] as { status: string }).status).toBe('succeeded');
    outputs.push(await deployer.up(spec('echo')));
    expect((outputs[1] as { status: string; error: { message: string } }).error.message).toContain(
      '[redacted]',
    );
    outputs.push(await deployer.up(spec('two', { env: { MARKER: 'two', BERTH_TEST_FAIL_HEALTH: '1' } })));
    outputs.push(await deployer.plan(spec('three')));
    outputs.push(await deployer.status(spec('three')));
    outputs.push(await deployer.rollback(spec('three')));
    outputs.push(await deployer.history(spec('three')));
    const generated = [...(provider.cloud.secrets.get('app-dev')?.values() ?? [])].map(
      (secret) => secret.versions.at(-1)!,
    );
    expect(generated).toHaveLength(5);
    const rsa = generated.find((value) => value.startsWith('-----BEGIN PRIVATE KEY-----'))!;
    const values = [
      literal,
      fromEnv,
      fromFile,
      ...generated,
      ...rsa.split('\n').filter((line) => line.length > 20),
    ];
    outputs.push(await deployer.down(spec('three')));
    const texts = [JSON.stringify(events), JSON.stringify(outputs), ...(await filesUnder(stateDir))];
    expect(events.some((event) => event.type === 'log')).toBe(true);
    for (const text of texts)
      for (const value of values) expect(text.includes(value), `leaked ${value.slice(0, 6)}…`).toBe(false);
  });
});
