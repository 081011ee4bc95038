/**
 * `@berth/core/testing` is plain code: a child process imports it with every import of vitest made
 * to fail, and uses the memory provider. `@berth/core/conformance` is the entry that needs vitest.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

const refuseVitest = `export async function resolve(specifier, context, next) {
  if (specifier === 'vitest' || specifier.startsWith('vitest/')) throw new Error('vitest was imported');
  return next(specifier, context);
}`;

function importWithoutVitest(entry: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(refuseVitest)}));
    const testing = await import(${JSON.stringify(entry)});
    const { createDeployer, memoryStateStore } = await import('@berth/core');
    const provider = testing.memoryProvider();
    const result = await createDeployer({ provider, state: memoryStateStore(), clock: testing.createFakeClock() })
      .up({ name: 'plain', image: { ref: 'example.test/app@sha256:${'a'.repeat(64)}' } });
    await provider.close?.();
    console.log(JSON.stringify({ status: result.status, exports: Object.keys(testing).sort() }));
  `;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
    );
  });
}

describe('@berth/core/testing', () => {
  it('imports and deploys on the memory provider with vitest unavailable', async () => {
    const { code, stdout, stderr } = await importWithoutVitest('@berth/core/testing');
    expect(stderr).not.toContain('vitest was imported');
    expect(code).toBe(0);
    const output = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(output.status).toBe('succeeded');
    expect(output.exports).toEqual(
      expect.arrayContaining(['createFakeClock', 'createTestContext', 'memoryProvider']),
    );
    expect(output.exports).not.toContain('describeProviderConformance');
  });

  it('the check would see vitest: the conformance entry fails to import without it', async () => {
    const { code, stderr } = await importWithoutVitest('@berth/core/conformance');
    expect(code).toBe(1);
    expect(stderr).toContain('vitest was imported');
  });
});
