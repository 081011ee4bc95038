import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsEmulator, startAwsEmulator } from '../index.js';
import { rawCall } from '../test-support/raw-call.js';

// Secrets Manager through the official client against the emulator.
let emulator: AwsEmulator;
let client: SecretsManagerClient;
let clock = Date.UTC(2026, 0, 10, 12, 0, 0);
beforeAll(async () => {
  emulator = await startAwsEmulator({ runtime: inProcessRuntime(), now: () => clock });
  client = new SecretsManagerClient({ ...emulator.clientConfig, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await emulator.close();
});

const token = (n: number) => `token-${String(n).padStart(26, '0')}-abcd`;

describe('Secrets Manager', () => {
  it('creates a secret with an ARN carrying a random six-character suffix and an AWSCURRENT version', async () => {
    const created = await client.send(
      new CreateSecretCommand({
        Name: 'berth/app-dev/API_KEY',
        SecretString: 'first-value',
        ClientRequestToken: token(1),
        Tags: [{ Key: 'managed-by', Value: 'berth' }],
      }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:berth\/app-dev\/API_KEY-[A-Za-z0-9]{6}$/,
    );
    expect(created.VersionId).toBe(token(1));
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'berth/app-dev/API_KEY' }));
    expect(value).toMatchObject({
      SecretString: 'first-value',
      VersionStages: ['AWSCURRENT'],
      ARN: created.ARN,
    });
    expect(value.CreatedDate).toBeInstanceOf(Date);
    expect(value.CreatedDate?.getTime()).toBe(clock);
  });

  it('finds a secret by name, full ARN and partial ARN', async () => {
    const { ARN } = await client.send(new DescribeSecretCommand({ SecretId: 'berth/app-dev/API_KEY' }));
    for (const id of [ARN!, ARN!.slice(0, -7)]) {
      const described = await client.send(new DescribeSecretCommand({ SecretId: id }));
      expect(described.Name).toBe('berth/app-dev/API_KEY');
    }
  });

  it('makes ClientRequestToken idempotent: the same token and value is a no-op, another value is refused', async () => {
    const first = await client.send(
      new PutSecretValueCommand({
        SecretId: 'berth/app-dev/API_KEY',
        SecretString: 'second',
        ClientRequestToken: token(2),
      }),
    );
    const again = await client.send(
      new PutSecretValueCommand({
        SecretId: 'berth/app-dev/API_KEY',
        SecretString: 'second',
        ClientRequestToken: token(2),
      }),
    );
    expect(again.VersionId).toBe(first.VersionId);
    await expect(
      client.send(
        new PutSecretValueCommand({
          SecretId: 'berth/app-dev/API_KEY',
          SecretString: 'other',
          ClientRequestToken: token(2),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceExistsException', $metadata: { httpStatusCode: 400 } });
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'berth/app-dev/API_KEY' }));
    expect(described.VersionIdsToStages).toEqual({ [token(1)]: ['AWSPREVIOUS'], [token(2)]: ['AWSCURRENT'] });
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'berth/app-dev/API_KEY', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('first-value');
    const byId = await client.send(
      new GetSecretValueCommand({ SecretId: 'berth/app-dev/API_KEY', VersionId: token(1) }),
    );
    expect(byId.SecretString).toBe('first-value');
  });

  it('answers errors with __type and Message as the model names them', async () => {
    const response = await rawCall(emulator, {
      target: 'secretsmanager.GetSecretValue',
      service: 'secretsmanager',
      jsonVersion: '1.1',
      body: { SecretId: 'nope' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'ResourceNotFoundException',
      Message: "Secrets Manager can't find the specified secret.",
    });
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
  });

  it('validates names, values and tokens as the API does', async () => {
    await expect(
      client.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(
      client.send(
        new CreateSecretCommand({ Name: 'both', SecretString: 'x', SecretBinary: Buffer.from('y') }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      client.send(
        new CreateSecretCommand({ Name: 'short-token', SecretString: 'x', ClientRequestToken: 'short' }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      client.send(new CreateSecretCommand({ Name: 'berth/app-dev/API_KEY', SecretString: 'x' })),
    ).rejects.toMatchObject({ name: 'ResourceExistsException' });
  });

  it('keeps binary secrets as bytes', async () => {
    await client.send(
      new CreateSecretCommand({ Name: 'binary', SecretBinary: new Uint8Array([0, 1, 2, 255]) }),
    );
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'binary' }));
    expect([...(value.SecretBinary ?? [])]).toEqual([0, 1, 2, 255]);
    expect(value.SecretString).toBeUndefined();
  });

  it('schedules deletion within a 7–30 day window, refuses use and re-creation, and restores', async () => {
    const name = 'berth/app-dev/DELETE_ME';
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'value-1' }));
    await expect(
      client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 6 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      client.send(
        new DeleteSecretCommand({
          SecretId: name,
          RecoveryWindowInDays: 7,
          ForceDeleteWithoutRecovery: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    expect(deleted.DeletionDate?.getTime()).toBe(clock + 7 * 86_400_000);
    await expect(client.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: "You can't perform this operation on the secret because it was marked for deletion.",
    });
    await expect(
      client.send(new CreateSecretCommand({ Name: name, SecretString: 'again' })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message:
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
    });
    const listed = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }] }));
    expect(listed.SecretList).toEqual([]);
    const planned = await client.send(
      new ListSecretsCommand({ IncludePlannedDeletion: true, Filters: [{ Key: 'name', Values: [name] }] }),
    );
    expect(planned.SecretList?.[0]?.DeletedDate).toBeInstanceOf(Date);
    await client.send(new RestoreSecretCommand({ SecretId: name }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('value-1');
  });

  it('purges a secret when its recovery window ends, and force-deletes at once', async () => {
    await client.send(new CreateSecretCommand({ Name: 'windowed', SecretString: 'value-1' }));
    await client.send(new DeleteSecretCommand({ SecretId: 'windowed', RecoveryWindowInDays: 7 }));
    clock += 7 * 86_400_000 + 1;
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'windowed' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await client.send(new CreateSecretCommand({ Name: 'windowed', SecretString: 'value-2' }));
    await client.send(new DeleteSecretCommand({ SecretId: 'windowed', ForceDeleteWithoutRecovery: true }));
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'windowed' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('filters the list by tag key and value, with ! negating', async () => {
    await client.send(new TagResourceCommand({ SecretId: 'binary', Tags: [{ Key: 'team', Value: 'blue' }] }));
    const owned = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: ['managed-by'] }] }),
    );
    expect(owned.SecretList?.map((secret) => secret.Name)).toEqual(['berth/app-dev/API_KEY']);
    const notOwned = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: ['!managed-by'] }] }),
    );
    expect(notOwned.SecretList?.map((secret) => secret.Name)).not.toContain('berth/app-dev/API_KEY');
    const blue = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'tag-value', Values: ['blue'] }] }),
    );
    expect(blue.SecretList?.map((secret) => secret.Name)).toEqual(['binary']);
  });
});
