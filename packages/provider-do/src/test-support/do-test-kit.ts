import { randomBytes } from 'node:crypto';
import { type DoEmulator, startDoEmulator } from '@berth/emulator-do';
import { requireTestEnvironment } from '../../../../test-support/test-env.js';
import type { AppPlatformOptions } from '../app-platform-options.js';

/** The test environment the provider's integration tests need (fails, never skips, in CI). */
export const doTestEnvironment = () => requireTestEnvironment(['docker', 'registry', 'images']);

/** An emulator backed by the local registry, with its own DOCR registry name and fast health checks. */
export async function startTestEmulator(
  registry: { host: string; username: string; password: string },
  extra: Parameters<typeof startDoEmulator>[0] = {},
): Promise<DoEmulator & { registryName: string }> {
  const registryName = `berth-do-${randomBytes(3).toString('hex')}`;
  const emulator = await startDoEmulator({
    registry,
    containerRegistry: { name: registryName },
    healthCheckIntervalScale: 0.1,
    startupTimeoutMs: 60_000,
    ...extra,
  });
  return Object.assign(emulator, { registryName });
}

/** A fixed test key for generated secrets (32 bytes). */
export const testSecretsKey = Buffer.alloc(32, 7).toString('base64');

/** Provider options that point appPlatform() at the emulator and its local registry. */
export function emulatorOptions(
  emulator: DoEmulator & { registryName: string },
  registryHost: string,
): AppPlatformOptions {
  return {
    token: emulator.token,
    endpoint: emulator.endpoint,
    region: 'fra',
    registry: { name: emulator.registryName, host: registryHost },
    secretsKey: testSecretsKey,
    // Polls stay well under DigitalOcean's 250 requests a minute, which the emulator enforces.
    pollIntervalMs: 400,
    retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 60_000 },
  };
}
