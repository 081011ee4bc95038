import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  checkHistoryAppend,
  decideTakeover,
  type LockOptions,
  type LockOwner,
  type LockRecord,
  lockLostError,
  migrateState,
  type ServiceState,
  StateError,
  type StateLock,
  type StateStore,
  type WriteOptions,
} from '@berth/core';
import { isPreconditionFailed, mapS3Error, statusOf } from './map-s3-error.js';

/** Options of `s3StateStore`. */
export interface S3StateStoreOptions {
  /** The bucket (it must exist; Berth never creates or configures buckets). */
  bucket: string;
  /** Key prefix, e.g. `berth/` or `teams/payments/`. Default none. */
  prefix?: string;
  /** An `S3Client` you configured (credentials, region, retries). Otherwise one is created from the options below. */
  client?: S3Client;
  /** Region for the client Berth creates. Default `AWS_REGION`, else `us-east-1`. */
  region?: string;
  /** An S3-compatible endpoint (MinIO, R2, moto, Ceph…), e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Static credentials for the client Berth creates. Default: the AWS SDK's default chain (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`…). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle?: boolean;
  /** Attempts per request for the client Berth creates (503 SlowDown, 5xx, network). Default 5. */
  maxAttempts?: number;
}

/** The lock object's body. */
interface StoredLock extends LockRecord {}

const serviceName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/**
 * State in S3 or any S3-compatible store: `<prefix><service>/state.json` (state and its history, one
 * object, so a reader sees one whole version) and `<prefix><service>/lock.json`. The lock is created
 * with `If-None-Match: *`, renewed and taken over with `If-Match` on its ETag and released with a
 * conditional DELETE (S3's conditional writes, as Terraform's S3 native locking): no DynamoDB.
 * Each state write is conditional on the ETag it read, so concurrent writers never overwrite each
 * other, and checks the lock's token just before (fencing). docs/state.md.
 */
export function s3StateStore(options: S3StateStoreOptions): StateStore & { readonly client: S3Client } {
  if (!options.bucket)
    throw new StateError('STATE_STORE_UNAVAILABLE', 's3StateStore needs `bucket`', {
      hint: 'Pass the name of an existing bucket.',
    });
  const client =
    options.client ??
    new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      maxAttempts: options.maxAttempts ?? 5,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  const { bucket } = options;
  const prefix = options.prefix ?? '';
  const keyOf = (service: string, name: 'state.json' | 'lock.json') => {
    if (!serviceName.test(service))
      throw new StateError('STATE_CORRUPT', `Invalid service name for a state key: ${service}`);
    return `${prefix}${service}/${name}`;
  };

  async function getJson(key: string): Promise<{ value: unknown; etag: string } | undefined> {
    try {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await response.Body?.transformToString('utf8')) ?? '';
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new StateError('STATE_CORRUPT', `s3://${bucket}/${key} is not valid JSON`, { cause: error });
      }
      return { value, etag: response.ETag ?? '' };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw mapS3Error(error, `reading s3://${bucket}/${key}`);
    }
  }

  /** PUT with a condition; the new ETag, or `undefined` when the condition failed (412, or 409 from a concurrent conditional write). */
  async function putIf(
    key: string,
    body: string,
    condition: { ifMatch: string } | { ifNoneMatch: '*' },
  ): Promise<string | undefined> {
    try {
      const response = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          ...('ifMatch' in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: '*' }),
        }),
      );
      return response.ETag ?? '';
    } catch (error) {
      if (isPreconditionFailed(error)) return undefined;
      throw mapS3Error(error, `writing s3://${bucket}/${key}`);
    }
  }

  async function readLock(service: string): Promise<{ record: StoredLock; etag: string } | undefined> {
    const found = await getJson(keyOf(service, 'lock.json'));
    return found ? { record: found.value as StoredLock, etag: found.etag } : undefined;
  }

  return {
    client,

    async read(service) {
      const found = await getJson(keyOf(service, 'state.json'));
      return found ? migrateState(found.value, `s3://${bucket}/${keyOf(service, 'state.json')}`) : undefined;
    },

    async write(service, state: ServiceState, writeOptions: WriteOptions = {}) {
      const key = keyOf(service, 'state.json');
      const body = `${JSON.stringify(state, null, 2)}\n`;
      for (let attempt = 0; attempt < 20; attempt += 1) {
        if (writeOptions.fence !== undefined) {
          const lock = await readLock(service);
          if (lock?.record.token !== writeOptions.fence) throw lockLostError(service, lock?.record.owner);
        }
        const stored = await getJson(key);
        if (stored) checkHistoryAppend(service, (stored.value as ServiceState).history ?? [], state.history);
        const written = await putIf(key, body, stored ? { ifMatch: stored.etag } : { ifNoneMatch: '*' });
        if (written !== undefined) return;
        // Another writer got in between: check again against what it wrote.
      }
      throw new StateError('STATE_CONFLICT', `The state of ${service} kept changing under this write`, {
        retryable: true,
      });
    },

    async remove(service) {
      const listed = await client
        .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}${service}/` }))
        .catch((error: unknown) => {
          throw mapS3Error(error, `listing s3://${bucket}/${prefix}${service}/`);
        });
      for (const object of listed.Contents ?? [])
        if (object.Key && !object.Key.endsWith('/lock.json'))
          await client
            .send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }))
            .catch((error: unknown) => {
              throw mapS3Error(error, `deleting s3://${bucket}/${object.Key}`);
            });
    },

    async lock(service, lockOptions: LockOptions): Promise<StateLock> {
      const key = keyOf(service, 'lock.json');
      const record: StoredLock = {
        owner: lockOptions.owner,
        token: randomUUID(),
        expiresAt: lockOptions.now + lockOptions.ttlMs,
      };
      let etag: string | undefined;
      let takeover: ReturnType<typeof decideTakeover> | undefined;
      for (let attempt = 0; etag === undefined; attempt += 1) {
        if (attempt >= 20)
          throw new StateError('STATE_CONFLICT', `The lock of ${service} kept changing`, { retryable: true });
        etag = await putIf(key, JSON.stringify(record), { ifNoneMatch: '*' });
        if (etag !== undefined) break;
        const existing = await readLock(service);
        // Released in between: try to create it again.
        if (!existing) continue;
        const decided = decideTakeover(service, existing.record, lockOptions);
        // Exactly one of several takers replaces this ETag; the others look again and find it live.
        etag = await putIf(key, JSON.stringify(record), { ifMatch: existing.etag });
        if (etag !== undefined) takeover = decided;
      }
      let current = etag;
      let released = false;
      let queue: Promise<unknown> = Promise.resolve();
      const serial = <T>(task: () => Promise<T>): Promise<T> => {
        const next = queue.then(task, task);
        queue = next.catch(() => {});
        return next;
      };
      const holder = async (): Promise<LockOwner | undefined> =>
        (await readLock(service).catch(() => undefined))?.record.owner;
      return {
        owner: lockOptions.owner,
        fence: record.token,
        ...(takeover ? { takeover } : {}),
        renew: (now: number) =>
          serial(async () => {
            if (released) return;
            const renewed = await putIf(
              key,
              JSON.stringify({ ...record, expiresAt: now + lockOptions.ttlMs }),
              { ifMatch: current },
            ).catch(async (error: unknown) => {
              // If-Match on a deleted object is a 404: the lock is gone.
              if (statusOf((error as { cause?: unknown }).cause) === 404) return undefined;
              throw error;
            });
            if (renewed === undefined) throw lockLostError(service, await holder());
            current = renewed;
          }),
        release: () =>
          serial(async () => {
            if (released) return;
            released = true;
            try {
              await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: current }));
            } catch (error) {
              // 412: it is no longer ours (taken over): nothing to give back. 404: already gone.
              if (isPreconditionFailed(error) || statusOf(error) === 404) return;
              throw mapS3Error(error, `releasing s3://${bucket}/${key}`);
            }
          }),
      };
    },
  };
}
