import { type AwsEmulator, startAwsEmulator } from '@berth/emulator-aws';
import { requireTestEnvironment } from '../../../../test-support/test-env.js';

/** The test environment the AWS provider's integration tests need (fails, never skips, in CI). */
export const awsTestEnvironment = () => requireTestEnvironment(['docker', 'registry', 'images']);

/**
 * An emulator backed by the local registry, with faster health checks. Half the real interval: the
 * default five failed checks then give a starting container 2.5 s (at a tenth, 0.5 s was less than a
 * loaded CI machine took to boot hello-agent's node, and App Runner's CREATE_SERVICE failed).
 */
export async function startTestEmulator(
  registry: { host: string; username: string; password: string },
  extra: Parameters<typeof startAwsEmulator>[0] = {},
): Promise<AwsEmulator> {
  return startAwsEmulator({
    registry,
    healthCheckIntervalScale: 0.5,
    startupTimeoutMs: 60_000,
    ...extra,
  });
}

/** Provider options that point the shared parts at the emulator and its local registry. */
export function emulatorOptions(emulator: AwsEmulator, registryHost: string) {
  return {
    region: emulator.region,
    endpoint: emulator.url,
    credentials: emulator.clientConfig.credentials,
    registry: { host: registryHost },
    urlScheme: 'http' as const,
    pollIntervalMs: 100,
    retry: { attempts: 4, baseDelayMs: 50 },
  };
}

/** A role ARN in the emulator's account. */
export const roleArn = (emulator: AwsEmulator, name: string) =>
  `arn:aws:iam::${emulator.accountId}:role/${name}`;
