/**
 * The SSH benches (`pnpm bench --only ssh`, or as part of `pnpm bench`): see docs/performance.md,
 * section "SSH". Every figure is measured in this run against its comparison and printed as a ratio;
 * `--write-docs` rewrites the results in that section.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh } from '@berth/provider-ssh';
import Docker from 'dockerode';
import { loadTestEnvironment } from '../test-support/test-env.ts';
import { describeMachine } from './machine.ts';
import { summarise } from './measure.ts';
import {
  commandRoundTrips,
  memoryStateStore,
  nodeRun,
  rawConnectAndRun,
  serviceFolder,
  sshHost,
  sshOptionsOf,
  timedUp,
  transferFolders,
  uploaders,
} from './ssh-measure.ts';
import {
  renderSshMarkdown,
  renderSshText,
  replaceSshSection,
  type SshBenchResults,
  type SshTarget,
} from './ssh-report.ts';

/** How many of each. */
export interface SshBenchOptions {
  iterations: number;
  writeDocs: boolean;
}

const benchDir = fileURLToPath(new URL('.', import.meta.url));

function log(message: string): void {
  console.log(`ssh bench: ${message}`);
}

/** Run every SSH bench, print the table, write bench/results/ssh-latest.json (and the docs). */
export async function runSshBench(options: SshBenchOptions): Promise<SshBenchResults> {
  const env = loadTestEnvironment();
  if (!env.sshd || !env.systemdHost || !env.images) {
    throw new Error('The SSH benches need the test sshd and the systemd host: run bash scripts/test-env.sh.');
  }
  const started = performance.now();
  const sshd = env.sshd;
  const systemd = env.systemdHost;
  const images = env.images;
  const rounds = Math.max(3, options.iterations);
  const results: SshBenchResults = {
    date: new Date().toISOString(),
    machine: await describeMachine(new Docker()),
    loadAverage: { start: loadavg()[0] ?? 0, end: 0 },
    rows: [],
  };
  const row = (
    name: string,
    berth: number[],
    comparisonName: string,
    comparison: number[],
    target?: SshTarget,
  ) => {
    results.rows.push({
      name,
      berth: summarise(berth),
      comparisonName,
      comparison: summarise(comparison),
      ...(target ? { target } : {}),
    });
  };

  log('remote command round trips');
  const trips = await commandRoundTrips(systemd, 20 * rounds);
  row(
    'one remote command (`run("true")` on an open connection)',
    trips.berth,
    'raw ssh2 exec, TCP_NODELAY',
    trips.rawNoDelay,
  );
  row(
    'raw ssh2 exec, Nagle on (ssh2 default)',
    trips.rawNagle,
    'raw ssh2 exec, TCP_NODELAY',
    trips.rawNoDelay,
  );

  log('SFTP uploads');
  const folders = await transferFolders();
  const up = uploaders(sshd);
  const remoteRoot = `/tmp/berth-bench-ssh-${randomBytes(3).toString('hex')}`;
  try {
    const big = { berth: [] as number[], scp: [] as number[], rsync: [] as number[] };
    const small = { berth: [] as number[], scp: [] as number[], rsync: [] as number[] };
    for (let index = 0; index < rounds; index += 1) {
      await up.remote(
        sh`rm -rf -- ${remoteRoot} && mkdir -p -- ${remoteRoot}/berth ${remoteRoot}/scp ${remoteRoot}/rsync`,
      );
      await up.remote(
        sh`cd -- ${`${remoteRoot}/berth`} && mkdir -p -- ${Array.from({ length: 20 }, (_, folder) => `small/d${folder}`)}`,
      );
      big.berth.push(
        await up.berth([
          {
            local: join(folders.big, 'data.bin'),
            remote: `${remoteRoot}/berth/data.bin`,
            mode: 0o644,
            size: 50 * 1024 * 1024,
          },
        ]),
      );
      big.scp.push(await up.scp(join(folders.big, 'data.bin'), `${remoteRoot}/scp/data.bin`));
      big.rsync.push(await up.rsync(join(folders.big, 'data.bin'), `${remoteRoot}/rsync/data.bin`));
      small.berth.push(
        await up.berth(
          folders.smallFiles.map((file) => ({
            local: join(folders.small, file.path),
            remote: `${remoteRoot}/berth/small/${file.path}`,
            mode: 0o644,
            size: file.size,
          })),
        ),
      );
      small.scp.push(await up.scp(folders.small, `${remoteRoot}/scp/`, true));
      small.rsync.push(await up.rsync(folders.small, `${remoteRoot}/rsync/`));
    }
    row('SFTP: one 50 MiB file', big.berth, '`scp`', big.scp, { ratio: 1.25 });
    row('SFTP: one 50 MiB file', big.berth, '`rsync -a`', big.rsync);
    row('SFTP: 2,000 small files', small.berth, '`scp -r`', small.scp, { ratio: 1.25 });
    row('SFTP: 2,000 small files', small.berth, '`rsync -a`', small.rsync);
  } finally {
    await up.remote(sh`rm -rf -- ${remoteRoot}`).catch(() => undefined);
    await rm(folders.root, { recursive: true, force: true });
  }

  log('systemd method');
  const floor: number[] = [];
  for (let index = 0; index < rounds; index += 1) floor.push(await rawConnectAndRun(systemd));
  const systemdRuns = { cold: [] as number[], oneFile: [] as number[], noop: [] as number[] };
  const secretsDir = join(benchDir, '.contexts', `ssh-secrets-${randomBytes(3).toString('hex')}`);
  const bigFile = randomBytes(50 * 1024 * 1024);
  for (let index = 0; index < Math.min(rounds, 3); index += 1) {
    const suffix = randomBytes(3).toString('hex');
    const baseDir = `/opt/berth-bench-${suffix}`;
    const name = `bench-${suffix}`;
    const folder = await serviceFolder('node', { 'data.bin': bigFile });
    const state = memoryStateStore();
    const provider = () =>
      sshHost({
        method: 'systemd',
        ssh: sshOptionsOf(systemd),
        baseDir,
        start: [systemd.nodePath, 'server.js'],
        secretsDir,
      });
    const spec = {
      name,
      image: { build: { context: folder } },
      port: 18_300 + index,
      health: { timeoutMs: 60_000 },
    };
    try {
      const cold = await timedUp(provider, state, spec);
      if (cold.result.status !== 'succeeded')
        throw new Error(`systemd cold deploy: ${cold.result.error?.message}`);
      systemdRuns.cold.push(cold.ms);
      for (let change = 0; change < 2; change += 1) {
        await writeFile(join(folder, 'small.txt'), `change ${change} ${Date.now()}\n`);
        const redeploy = await timedUp(provider, state, spec);
        if (redeploy.result.status !== 'succeeded')
          throw new Error(`systemd redeploy: ${redeploy.result.error?.message}`);
        systemdRuns.oneFile.push(redeploy.ms);
        const noop = await timedUp(provider, state, spec);
        if (noop.result.status !== 'noop') throw new Error(`systemd noop ended ${noop.result.status}`);
        systemdRuns.noop.push(noop.ms);
      }
    } finally {
      const deployer = (await import('@berth/core')).createDeployer({ provider: provider(), state });
      await deployer.down(spec).catch(() => undefined);
      await deployer.close();
      await uploaders(systemd)
        .remote(sh`rm -rf -- ${baseDir}`)
        .catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
    }
  }
  row('systemd: cold deploy, 50 MiB folder', systemdRuns.cold, 'raw ssh2 connect + 1 command', floor);
  row(
    'systemd: redeploy, one small file changed',
    systemdRuns.oneFile,
    'raw ssh2 connect + 1 command',
    floor,
    {
      ms: 1000,
    },
  );
  row('systemd: unchanged `noop`', systemdRuns.noop, 'raw ssh2 connect + 1 command', floor, { ms: 300 });

  log('SSH docker method');
  const dockerRuns = { up: [] as number[], noop: [] as number[] };
  const dockerFloor: number[] = [];
  for (let index = 0; index < rounds; index += 1) dockerFloor.push(await rawConnectAndRun(sshd));
  for (let index = 0; index < Math.min(rounds, 3); index += 1) {
    const suffix = randomBytes(3).toString('hex');
    const name = `bench-${suffix}`;
    const folder = await serviceFolder('docker', { 'bench.txt': suffix });
    const state = memoryStateStore();
    const provider = () =>
      sshHost({
        method: 'docker',
        ssh: sshOptionsOf(sshd),
        baseDir: `${sshd.baseDir}/bench-${suffix}`,
        dockerSocketPath: sshd.dockerSocketPath,
        secretsDir,
      });
    const spec = {
      name,
      image: { build: { context: folder, args: { BASE_IMAGE: images.busybox } } },
      port: 18_320 + index,
      health: { timeoutMs: 60_000 },
    };
    try {
      const first = await timedUp(provider, state, spec);
      if (first.result.status !== 'succeeded') throw new Error(`docker up: ${first.result.error?.message}`);
      dockerRuns.up.push(first.ms);
      for (let again = 0; again < 2; again += 1) {
        const noop = await timedUp(provider, state, spec);
        if (noop.result.status !== 'noop') throw new Error(`docker noop ended ${noop.result.status}`);
        dockerRuns.noop.push(noop.ms);
      }
    } finally {
      const deployer = (await import('@berth/core')).createDeployer({ provider: provider(), state });
      await deployer.down(spec).catch(() => undefined);
      await deployer.close();
      await uploaders(sshd)
        .remote(sh`rm -rf -- ${`${sshd.baseDir}/bench-${suffix}`}`)
        .catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
    }
  }
  await rm(secretsDir, { recursive: true, force: true });
  row(
    'SSH docker: `up` (image built on the host)',
    dockerRuns.up,
    'raw ssh2 connect + 1 command',
    dockerFloor,
  );
  row('SSH docker: unchanged `noop`', dockerRuns.noop, 'raw ssh2 connect + 1 command', dockerFloor, {
    ms: 300,
  });

  log('import cost');
  const imports = { base: [] as number[], core: [] as number[], ssh: [] as number[] };
  for (let index = 0; index < 5 * rounds; index += 1) {
    imports.base.push(await nodeRun('0', benchDir));
    imports.core.push(await nodeRun("await import('@berth/core')", benchDir));
    imports.ssh.push(await nodeRun("await import('@berth/provider-ssh')", benchDir));
  }
  row("`import('@berth/provider-ssh')` (with @berth/core)", imports.ssh, '`node -e 0`', imports.base, {
    overheadMs: 60,
  });
  row("`import('@berth/core')` alone", imports.core, '`node -e 0`', imports.base);
  // What @berth/provider-ssh adds itself (its @berth/core import is core's own cost).
  row("`import('@berth/provider-ssh')`", imports.ssh, "`import('@berth/core')`", imports.core);
  results.importOverhead = {
    providerSsh: summarise(imports.ssh).median - summarise(imports.base).median,
    core: summarise(imports.core).median - summarise(imports.base).median,
  };

  results.durationSeconds = (performance.now() - started) / 1000;
  results.loadAverage.end = loadavg()[0] ?? 0;
  console.log(`\n${renderSshText(results)}`);
  const resultsDir = join(benchDir, 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'ssh-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nwrote bench/results/ssh-latest.json');
  if (options.writeDocs) {
    const docsPath = join(benchDir, '..', 'docs', 'performance.md');
    await writeFile(
      docsPath,
      replaceSshSection(await readFile(docsPath, 'utf8'), renderSshMarkdown(results)),
    );
    console.log('updated the SSH section of docs/performance.md');
  }
  return results;
}
