import { AppRunnerClient, ListServicesCommand } from '@aws-sdk/client-apprunner';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsEmulator, startAwsEmulator } from './index.js';

let emulator: AwsEmulator;
beforeAll(async () => {
  emulator = await startAwsEmulator({ runtime: inProcessRuntime() });
});
afterAll(async () => emulator.close());

describe('fault injection', () => {
  it('fails the next N calls of an operation with the given error, then answers again', async () => {
    const client = new AppRunnerClient({ ...emulator.clientConfig, maxAttempts: 1 });
    emulator.faults.failNext({
      operation: 'AppRunner.ListServices',
      error: 'InternalServiceErrorException',
      times: 2,
    });
    for (let attempt = 0; attempt < 2; attempt += 1)
      await expect(client.send(new ListServicesCommand({}))).rejects.toMatchObject({
        name: 'InternalServiceErrorException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      });
    await expect(client.send(new ListServicesCommand({}))).resolves.toMatchObject({ ServiceSummaryList: [] });
    client.destroy();
  });

  it('throttles: the SDK retries ThrottlingException by itself and succeeds within its attempts', async () => {
    const client = new SecretsManagerClient({ ...emulator.clientConfig, maxAttempts: 3 });
    emulator.faults.throttle('CreateSecret', 2);
    const before = emulator.calls.length;
    const created = await client.send(
      new CreateSecretCommand({ Name: 'throttled', SecretString: 'value-1' }),
    );
    expect(created.Name).toBe('throttled');
    const attempts = emulator.calls.slice(before);
    expect(attempts.map((call) => call.error ?? call.statusCode)).toEqual([
      'ThrottlingException',
      'ThrottlingException',
      200,
    ]);
    expect(emulator.faults.pendingCalls).toBe(0);
    client.destroy();
  });

  it('surfaces throttling once the attempts run out', async () => {
    const client = new SecretsManagerClient({ ...emulator.clientConfig, maxAttempts: 1 });
    emulator.faults.throttle(/secretsmanager\./, 1);
    await expect(
      client.send(new CreateSecretCommand({ Name: 'throttled-2', SecretString: 'value-1' })),
    ).rejects.toMatchObject({
      name: 'ThrottlingException',
      message: 'Rate exceeded',
    });
    client.destroy();
  });
});
