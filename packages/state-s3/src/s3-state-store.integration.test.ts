import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describeProviderConformance, describeStateStoreConformance } from '@berth/core/conformance';
import { memoryProvider } from '@berth/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import { s3StateStore } from './s3-state-store.js';

const environment = requireTestEnvironment(['s3']);
const { endpoint, region, accessKeyId, secretAccessKey } = environment.s3;
const bucket = `berth-test-${randomBytes(4).toString('hex')}`;
const clientFor = (url = endpoint, maxAttempts = 3) =>
  new S3Client({
    endpoint: url,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts,
  });
const admin = clientFor();
const create = () => s3StateStore({ bucket, prefix: 'conformance/', client: clientFor() });

beforeAll(async () => {
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
});

async function dump(prefix: string): Promise<string> {
  const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const bodies = await Promise.all(
    (listed.Contents ?? []).map(async (object) =>
      (
        await admin.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }))
      ).Body!.transformToString(),
    ),
  );
  return bodies.join('\n');
}

describeStateStoreConformance({
  name: 's3StateStore',
  create,
  seedRaw: async (service, raw) => {
    await admin.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `conformance/${service}/state.json`,
        Body: JSON.stringify(raw),
      }),
    );
  },
  dumpRaw: (service) => dump(`conformance/${service}/`),
});

describeProviderConformance({
  name: 'memoryProvider on s3StateStore',
  provider: () => memoryProvider(),
  spec: () => ({ name: 'x', image: { ref: 'memory/conformance@sha256:eeee' }, health: { timeoutMs: 5_000 } }),
  state: () => s3StateStore({ bucket, prefix: 'provider-conformance/', client: clientFor() }),
});

/** A proxy in front of moto that answers 503 SlowDown to every `every`-th request. */
function slowDownProxy(every: number): Promise<{ server: Server; url: string; refused: () => number }> {
  let count = 0;
  let refused = 0;
  const target = new URL(endpoint);
  const server = createServer((incoming, outgoing) => {
    count += 1;
    if (count % every === 0) {
      refused += 1;
      incoming.resume();
      outgoing.writeHead(503, { 'content-type': 'application/xml' });
      outgoing.end(
        '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
      return;
    }
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        refused: () => refused,
      }),
    ),
  );
}

describe('s3StateStore under S3 faults', () => {
  let proxy: Awaited<ReturnType<typeof slowDownProxy>>;
  beforeAll(async () => {
    proxy = await slowDownProxy(3);
  });
  afterAll(() => new Promise<void>((resolve) => proxy.server.close(() => resolve())));

  it('retries through 503 SlowDown and loses nothing', async () => {
    const store = s3StateStore({ bucket, prefix: 'faults/', client: clientFor(proxy.url, 5) });
    const provider = memoryProvider();
    try {
      const { createDeployer } = await import('@berth/core');
      const deployer = createDeployer({ provider, state: store });
      for (const value of ['1', '2', '3']) {
        const result = await deployer.up({
          name: 'faulty',
          image: { ref: 'memory/faulty@sha256:1' },
          env: { VALUE: value },
          health: { intervalMs: 20 },
        });
        expect(result.status).toBe('succeeded');
      }
      expect(proxy.refused()).toBeGreaterThan(0);
      const state = await s3StateStore({ bucket, prefix: 'faults/', client: admin }).read('faulty-dev');
      expect(state?.history.map((entry) => entry.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    } finally {
      await provider.close();
    }
  });

  it('fails cleanly with STATE_STORE_UNAVAILABLE (retryable) when every request is refused', async () => {
    const refusing = await slowDownProxy(1);
    try {
      const store = s3StateStore({ bucket, prefix: 'faults/', client: clientFor(refusing.url, 2) });
      await expect(store.read('faulty-dev')).rejects.toMatchObject({
        code: 'STATE_STORE_UNAVAILABLE',
        retryable: true,
      });
    } finally {
      await new Promise<void>((resolve) => refusing.server.close(() => resolve()));
    }
  });
});
