/** The state stores the trials run against, built from the test environment (scripts/test-env.sh). */
import { S3Client } from '@aws-sdk/client-s3';
import { fileStateStore, type StateStore } from '@berth/core';
import { postgresStateStore } from '@berth/state-postgres';
import { s3StateStore } from '@berth/state-s3';

/** How a worker process builds its store: plain data, passed on its command line. */
export type StoreConfig =
  | { kind: 'file'; dir: string }
  | { kind: 'postgres'; connectionString: string; schema: string }
  | {
      kind: 's3';
      endpoint: string;
      region: string;
      bucket: string;
      prefix: string;
      accessKeyId: string;
      secretAccessKey: string;
    };

/** A store for `config`, and how to close it. */
export function storeFor(config: StoreConfig): { store: StateStore; close: () => Promise<void> } {
  if (config.kind === 'file')
    return { store: fileStateStore({ dir: config.dir, gitIgnore: false }), close: async () => {} };
  if (config.kind === 'postgres') {
    const store = postgresStateStore({ connectionString: config.connectionString, schema: config.schema });
    return { store, close: () => store.close() };
  }
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  });
  return {
    store: s3StateStore({ bucket: config.bucket, prefix: config.prefix, client }),
    close: async () => client.destroy(),
  };
}
