/** moto_server (moto 5.2, Python 3.11) on loopback: an S3 endpoint with conditional writes, for @berth/state-s3. */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component, Context } from './component.ts';
import type { TestEnvConfig } from './config.ts';
import { writeAtomic } from './files.ts';
import { httpGet } from './http.ts';
import { log, TestEnvError } from './log.ts';
import { run, startDetached } from './shell.ts';
import { pidAlive, pidFromFile, waitUntil } from './wait.ts';

/** Through boto3 (signed, as the SDK sends them): If-None-Match: * and a stale If-Match get 412. */
const CONDITIONAL_WRITES_CHECK = `
import sys, uuid, boto3
from botocore.exceptions import ClientError
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
                  aws_access_key_id='berth-test', aws_secret_access_key='berth-test')
bucket, key = sys.argv[2], 'check-' + uuid.uuid4().hex
def status(call):
    try:
        call()
        return 200
    except ClientError as error:
        return int(error.response['ResponseMetadata']['HTTPStatusCode'])
try:
    s3.create_bucket(Bucket=bucket)
except ClientError as error:
    if error.response['Error']['Code'] not in ('BucketAlreadyOwnedByYou', 'BucketAlreadyExists'):
        raise
assert status(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b'1', IfNoneMatch='*')) == 200
assert status(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b'2', IfNoneMatch='*')) == 412, 'If-None-Match'
etag = s3.head_object(Bucket=bucket, Key=key)['ETag']
assert status(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b'3', IfMatch=etag)) == 200
assert status(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b'4', IfMatch=etag)) == 412, 'If-Match'
assert status(lambda: s3.delete_object(Bucket=bucket, Key=key, IfMatch=etag)) == 412, 'DELETE If-Match'
assert s3.get_object(Bucket=bucket, Key=key)['Body'].read() == b'3'
s3.delete_object(Bucket=bucket, Key=key)
`;

/** moto_server of a Python 3.11: pyenv's versions first (its shims are bash scripts), then PATH. */
async function motoBinary(): Promise<string | undefined> {
  const pyenv = '/root/.pyenv/versions';
  if (existsSync(pyenv)) {
    for (const version of readdirSync(pyenv)
      .filter((name) => name.startsWith('3.11'))
      .sort()) {
      const candidate = join(pyenv, version, 'bin/moto_server');
      if (existsSync(candidate)) return candidate;
    }
  }
  const onPath = (await run('sh', ['-c', 'command -v moto_server'])).stdout.trim();
  return onPath === '' ? undefined : onPath;
}

/** The interpreter on the script's `#!` line. */
export function shebangInterpreter(script: string): string | undefined {
  const first = script.split('\n')[0] ?? '';
  return first.startsWith('#!') ? first.slice(2).trim() : undefined;
}

const ping = async (config: TestEnvConfig): Promise<boolean> =>
  (await httpGet(`${config.s3.endpoint}/`, { timeoutMs: 3000 })).status === 200;

async function conditionalWritesWork(config: TestEnvConfig, moto: string): Promise<boolean> {
  const python = shebangInterpreter(readFileSync(moto, 'utf8').slice(0, 512));
  if (python === undefined) return false;
  return (
    (
      await run(python, ['-', config.s3.endpoint, config.s3.selfCheckBucket], {
        input: CONDITIONAL_WRITES_CHECK,
      })
    ).code === 0
  );
}

async function ensure(context: Context): Promise<void> {
  const { config } = context;
  const moto = await motoBinary();
  if (
    (await ping(config)) &&
    (!context.check || (moto !== undefined && (await conditionalWritesWork(config, moto))))
  ) {
    log(`s3: moto_server ready on ${config.s3.endpoint}`);
    return;
  }
  if (moto === undefined)
    throw new TestEnvError('moto_server is missing (moto 5.2 under Python 3.11 is expected)');
  mkdirSync(config.s3.dir, { recursive: true });
  if (!pidAlive(pidFromFile(config.s3.pidFile))) {
    log(`s3: starting moto_server on ${config.s3.endpoint} (log: ${config.s3.log})`);
    const pid = startDetached(moto, ['-H', '127.0.0.1', '-p', String(config.s3.port)], config.s3.log);
    writeAtomic(config.s3.pidFile, `${pid}\n`, 0o644);
  }
  if (!(await waitUntil(60, () => ping(config)))) {
    throw new TestEnvError(`moto_server did not answer on ${config.s3.endpoint} (log: ${config.s3.log})`);
  }
  if (!(await conditionalWritesWork(config, moto))) {
    throw new TestEnvError(
      's3: self-check failed: moto_server does not honour If-None-Match/If-Match on PUT',
    );
  }
  log(`s3: moto_server ready on ${config.s3.endpoint} (conditional writes checked)`);
}

export const s3: Component = {
  name: 's3',
  packages: ['curl'],
  ensure,
  async envSections({ config }) {
    if (!(await ping(config))) return undefined;
    return {
      s3: {
        endpoint: config.s3.endpoint,
        region: 'us-east-1',
        accessKeyId: 'berth-test',
        secretAccessKey: 'berth-test',
        forcePathStyle: true,
        pidFile: config.s3.pidFile,
      },
    };
  },
  async reset({ config }) {
    const pid = pidFromFile(config.s3.pidFile);
    if (pidAlive(pid)) {
      log('stopping moto_server');
      process.kill(pid as number, 'SIGTERM');
    }
  },
};
