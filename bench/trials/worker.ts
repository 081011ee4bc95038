/**
 * One Berth process of a trial: `node worker.ts '<json>'` runs `up` of one service on the local Docker
 * engine with the given store, writing every event as a JSON line to `eventsFile` and the result as
 * the last line of stdout. With `waitForGo`, it takes the lock only after reading a line on stdin, so
 * racing workers start together.
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createDeployer } from '@berth/core';
import { localDocker } from '@berth/provider-ssh';
import { type StoreConfig, storeFor } from './stores.ts';

export interface WorkerInput {
  store: StoreConfig;
  socketPath: string;
  secretsDir: string;
  name: string;
  image: string;
  port: number;
  marker: string;
  secretValue: string;
  eventsFile: string;
  waitForGo?: boolean;
}

const input = JSON.parse(process.argv[2]!) as WorkerInput;
const { store, close } = storeFor(input.store);
if (input.waitForGo) {
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) =>
    createInterface({ input: process.stdin }).once('line', () => resolve()),
  );
}
const deployer = createDeployer({
  provider: localDocker({ dockerOptions: { socketPath: input.socketPath }, secretsDir: input.secretsDir }),
  state: store,
  onEvent: (event) => appendFileSync(input.eventsFile, `${JSON.stringify(event)}\n`),
});
process.stdout.write('started\n');
const result = await deployer.up({
  name: input.name,
  image: { ref: input.image },
  port: input.port,
  env: { MARKER: input.marker },
  secrets: { TRIAL_SECRET: { value: input.secretValue } },
  health: { intervalMs: 100, timeoutMs: 30_000 },
});
process.stdout.write(
  `${JSON.stringify({ status: result.status, revision: result.revision, error: result.error })}\n`,
);
await close();
process.exit(0);
