/** Project configuration the emulator fakes (a disabled API, a denied permission), as `cloudRun()`'s preflight reports it. */
import { createTestContext } from '@berth/core/testing';
import { inProcessRuntime, startGcpEmulator, staticTokenAuthClient } from '@berth/emulator-gcp';
import { describe, expect, it } from 'vitest';
import { cloudRun } from './cloud-run-provider.js';

describe('project configuration faults', () => {
  it('a disabled API fails preflight with the API to enable', async () => {
    const disabled = await startGcpEmulator({
      runtime: inProcessRuntime(),
      disabledApis: ['secretmanager.googleapis.com'],
    });
    const provider = cloudRun({
      project: 'client-project',
      region: 'europe-west1',
      endpoint: { apiEndpoint: '127.0.0.1', port: disabled.port, protocol: 'http' },
      authClient: staticTokenAuthClient(),
    });
    const context = createTestContext();
    const checks = await provider.preflight!(context, { service: 'x-dev', name: 'x', environment: 'dev' });
    await provider.close?.();
    await disabled.close();
    const failed = checks.filter((check) => !check.ok);
    expect(failed.map((check) => check.name)).toEqual(['api:secretmanager.googleapis.com']);
    expect(failed[0]?.hint).toContain('secretmanager.googleapis.com');
  });

  it('a denied permission is reported with the role that grants it', async () => {
    const denied = await startGcpEmulator({
      runtime: inProcessRuntime(),
      deniedPermissions: ['run.services.list'],
    });
    const provider = cloudRun({
      project: 'client-project',
      region: 'europe-west1',
      endpoint: { apiEndpoint: '127.0.0.1', port: denied.port, protocol: 'http' },
      authClient: staticTokenAuthClient(),
    });
    const context = createTestContext();
    const checks = await provider.preflight!(context, { service: 'x-dev', name: 'x', environment: 'dev' });
    await provider.close?.();
    await denied.close();
    const failed = checks.find((check) => !check.ok);
    expect(failed?.hint).toContain("'run.services.list'");
    expect(failed?.hint).toContain('roles/run.developer');
  });
});
