import { afterEach, describe, expect, it } from 'vitest';
import { memoryStateStore } from '../state/memory-state-store.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { createDeployer } from './create-deployer.js';

const providers: ReturnType<typeof memoryProvider>[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

function setup() {
  const provider = memoryProvider();
  providers.push(provider);
  // The fake clock makes the 10 s fail-fast window and the backoff pass at once; the HTTP is real.
  return {
    provider,
    deployer: createDeployer({ provider, state: memoryStateStore(), clock: createFakeClock() }),
  };
}

const key = 'health-key-value-0123456789abcdef';
const spec = (health: Record<string, unknown>) => ({
  name: 'app',
  image: { ref: 'registry.test/app@sha256:1111' },
  secrets: { SUPERVAIZER_API_KEY: { value: key } },
  rollback: 'never' as const,
  health: { timeoutMs: 120_000, ...health },
});

describe('verify: the primary health path and HEALTH_CHECK_FAILED', () => {
  it('sends the primary path its headers, with secret values filled in', async () => {
    const { deployer } = setup();
    const result = await deployer.up(
      spec({ path: '/agents/health', headers: { 'X-API-Key': { secret: 'SUPERVAIZER_API_KEY' } } }),
    );
    expect(result.status).toBe('succeeded');
    expect(result.health?.attempts.at(-1)).toMatchObject({ check: '/agents/health', ok: true, status: 200 });
  });

  it('fails a key-protected path without its key long before the timeout, naming the check and its answer', async () => {
    const { deployer } = setup();
    const result = await deployer.up(spec({ path: '/agents/health', headers: { 'X-API-Key': 'wrong-key' } }));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'HEALTH_CHECK_FAILED',
      details: {
        reason: 'non-retryable-status',
        check: '/agents/health',
        lastAttempt: { status: 401, bodyExcerpt: '{"error":"bad api key"}' },
      },
    });
    expect(result.error?.message).toContain(
      'check "/agents/health" answered 401 "{\\"error\\":\\"bad api key\\"}"',
    );
    expect(result.health?.durationMs).toBeLessThan(60_000);
  });

  it('never puts a secret value into the error, even when the service echoes it', async () => {
    const { deployer } = setup();
    // `/env/NAME` echoes a variable: the check expects 204, so the echoed secret becomes the body excerpt.
    const result = await deployer.up(
      spec({ checks: [{ path: '/env/SUPERVAIZER_API_KEY', expectStatus: 204 }], timeoutMs: 2_000 }),
    );
    expect(result.error?.code).toBe('HEALTH_CHECK_FAILED');
    expect(result.error?.details).toMatchObject({ lastAttempt: { status: 200, bodyExcerpt: '[redacted]' } });
    expect(JSON.stringify(result)).not.toContain(key);
  });

  it('promotes from a source whose primary path needs its secret key', async () => {
    const { deployer } = setup();
    const keyed = spec({
      path: '/agents/health',
      headers: { 'X-API-Key': { secret: 'SUPERVAIZER_API_KEY' } },
    });
    expect((await deployer.up(keyed)).status).toBe('succeeded');
    const prod = await deployer.promote(keyed, { from: 'dev', to: 'prod' });
    expect(prod.error).toBeUndefined();
    expect(prod.status).toBe('succeeded');
  });
});
