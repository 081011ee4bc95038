/**
 * berth/health-service:test, built (Engine API build, classic builder) from
 * test-support/fixtures/health-service on top of the busybox image, then run for real against its
 * contract (test-support/fixtures/health-service/README.md).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Context } from './component.ts';
import { containerLogTail, followProgress, imageId, imageLabel, removeContainer } from './docker-client.ts';
import { sha256 } from './files.ts';
import { failIfAny, httpExpect, httpGet } from './http.ts';
import { log, TestEnvError } from './log.ts';
import { freePort, waitUntil } from './wait.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function build(context: Context, hash: string): Promise<void> {
  const { healthServiceDir, healthService, busybox, hashLabel } = context.config.images;
  const stream = await context.docker.buildImage(
    { context: healthServiceDir, src: filesUnder(healthServiceDir) },
    {
      t: healthService,
      labels: { [hashLabel]: hash },
      buildargs: { BASE_IMAGE: busybox },
      rm: true,
      forcerm: true,
    },
  );
  await followProgress(context.docker, stream, `building ${healthService}`);
}

async function healthStatus(url: string): Promise<number> {
  return (await httpGet(`${url}/.well-known/health`, { timeoutMs: 2000 })).status;
}

/** Runs the service for real and walks its contract. */
async function selfCheck(context: Context): Promise<void> {
  const image = context.config.images.healthService;
  const name = `berth-test-env-check-health-${process.pid}`;
  let port = await freePort();
  let url = `http://127.0.0.1:${port}`;
  await removeContainer(context.docker, name);
  try {
    const container = await context.docker.createContainer({
      name,
      Image: image,
      Env: [
        `PORT=${port}`,
        'BERTH_REVISION=self-check',
        'SUPERVAIZER_API_KEY=self-check-key',
        'BERTH_TEST_ENV_VALUE=hello "world"',
      ],
      HostConfig: { NetworkMode: 'host' },
    });
    await container.start();
    if (!(await waitUntil(15, async () => (await healthStatus(url)) === 200))) {
      throw new TestEnvError(
        `${image} did not answer on ${url}\n${await containerLogTail(context.docker, name)}`,
      );
    }
    const key = { 'X-API-Key': 'self-check-key' };
    const failures = await Promise.all([
      httpExpect('health', `${url}/.well-known/health`, 200, '{"status":"ok","revision":"self-check"}'),
      httpExpect('env var', `${url}/env/BERTH_TEST_ENV_VALUE`, 200, 'hello "world"'),
      httpExpect('env var PORT', `${url}/env/PORT`, 200, String(port)),
      httpExpect('unset env var', `${url}/env/BERTH_TEST_ENV_UNSET`, 404),
      httpExpect('CGI variable is not container env', `${url}/env/REQUEST_METHOD`, 404),
      httpExpect('agents without key', `${url}/agents/health`, 401),
      httpExpect('agents with wrong key', `${url}/agents/health`, 401, undefined, { 'X-API-Key': 'nope' }),
      httpExpect('agents with key', `${url}/agents/health`, 200, '{"status":"ok"}', key),
    ]);
    const started = Date.now();
    await container.stop({ t: 10 });
    const stoppedSeconds = Math.floor((Date.now() - started) / 1000);
    const exitCode = (await container.inspect()).State.ExitCode;
    if (stoppedSeconds > 5 || exitCode !== 0) {
      failures.push(`docker stop took ${stoppedSeconds}s, exit code ${exitCode} (expected fast, 0)`);
    }
    await removeContainer(context.docker, name);

    // Failing health and the crash switch, on the bridge network with a published port.
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const failing = await context.docker.createContainer({
      name,
      Image: image,
      Env: [`PORT=${port}`, 'BERTH_TEST_FAIL_HEALTH=1', 'BERTH_TEST_CRASH_AFTER_SECONDS=3'],
      ExposedPorts: { [`${port}/tcp`]: {} },
      HostConfig: { PortBindings: { [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    });
    await failing.start();
    if (!(await waitUntil(10, async () => (await healthStatus(url)) === 500))) {
      failures.push(
        await httpExpect(
          'failing health',
          `${url}/.well-known/health`,
          500,
          '{"status":"failing","revision":""}',
        ),
      );
    }
    const ended = await Promise.race([
      failing.wait() as Promise<{ StatusCode: number }>,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000)),
    ]);
    if (ended?.StatusCode !== 1) {
      failures.push(
        `with BERTH_TEST_CRASH_AFTER_SECONDS=3 the container ended with '${ended?.StatusCode ?? 'timeout'}' (expected exit 1)`,
      );
    }
    failIfAny(failures, `${image} does not honour its contract`);
  } finally {
    await removeContainer(context.docker, name);
  }
  log(`${image} passed its contract (host network, published port, fail switch, crash switch)`);
}

export async function ensureHealthServiceImage(context: Context): Promise<void> {
  const { healthServiceDir, healthService, busybox, hashLabel } = context.config.images;
  if (!existsSync(join(healthServiceDir, 'Dockerfile')))
    throw new TestEnvError(`missing ${healthServiceDir}/Dockerfile`);
  const sources = filesUnder(healthServiceDir).filter((file) => file !== 'README.md');
  const hash = sha256([
    readFileSync(new URL(import.meta.url)),
    ...sources.flatMap((file) => [file, readFileSync(join(healthServiceDir, file))]),
    await imageId(context.docker, busybox),
  ]);
  if ((await imageLabel(context.docker, healthService, hashLabel)) !== hash) {
    log(`building ${healthService} from ${relative(context.config.repoRoot, healthServiceDir)}`);
    await build(context, hash);
    await selfCheck(context);
  } else if (context.check) {
    await selfCheck(context);
  } else {
    log(`${healthService} is up to date`);
  }
}
