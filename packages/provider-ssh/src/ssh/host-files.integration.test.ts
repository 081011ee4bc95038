/**
 * Releases, lock, history and unit files on the real test hosts (scripts/test-env.sh): the sshd of
 * this machine (user berth) and the systemd host (root, real systemd).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment, type SshHostTestEnvironment } from '../../../../test-support/test-env.js';
import { appendHostHistory, readHostHistory } from './host-history.js';
import { hostLayout } from './host-layout.js';
import { acquireHostLock } from './host-lock.js';
import { parseSha256sum } from './release-manifest.js';
import { sh } from './remote-command.js';
import { readRemoteFile, writeRemoteFile } from './remote-files.js';
import { type TransferProgress, uploadRelease } from './sftp-transfer.js';
import { type SshConnection, sshConnection } from './ssh-connection.js';
import { renderEnvironmentFile, renderUnitFile, unitName } from './unit-file.js';

const env = requireTestEnvironment(['sshd', 'systemdHost']);
const suffix = randomBytes(3).toString('hex');

function connect(host: SshHostTestEnvironment): SshConnection {
  return sshConnection({
    host: host.host,
    port: host.port,
    username: host.user,
    privateKeyPath: host.privateKeyPath,
    hostKey: host.hostKeyFingerprint,
  });
}

const hostile = ['$(touch pwned)', '`id`', "it's", '-rf', 'semi;colon', 'a "quoted" name', 'back\\slash'];
let folder: string;
const connections: SshConnection[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'berth-release-'));
  await mkdir(join(folder, 'src', 'deep'), { recursive: true });
  await writeFile(join(folder, 'src', 'app.js'), 'console.log("v1")\n');
  await writeFile(join(folder, 'src', 'deep', 'data.bin'), randomBytes(300_000));
  await writeFile(join(folder, 'start.sh'), '#!/bin/sh\nexec node src/app.js\n');
  await chmod(join(folder, 'start.sh'), 0o755);
  await symlink('src/app.js', join(folder, 'main.js'));
  for (const name of hostile) await writeFile(join(folder, name), `content of ${name}`);
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  await Promise.all(connections.map((connection) => connection.close()));
  await rm(folder, { recursive: true, force: true });
});

describe.each([
  ['sshd (user berth)', () => env.sshd, () => `${env.sshd.baseDir}/it-${suffix}`],
  ['systemd host (root)', () => env.systemdHost, () => `/opt/berth-it-${suffix}`],
])('on the %s', (_, host, baseDir) => {
  let connection: SshConnection;
  let layout: ReturnType<typeof hostLayout>;
  beforeAll(() => {
    connection = connect(host());
    connections.push(connection);
    layout = hostLayout(baseDir(), 'files-test');
    cleanups.push(() => connection.run(sh`rm -rf -- ${baseDir()}`));
  });

  async function hostSums(releaseDir: string): Promise<Map<string, string>> {
    const out = await connection.run(
      sh`cd -- ${releaseDir} && find . -type f -print0 | xargs -0 sha256sum --`,
    );
    return parseSha256sum(out.stdout);
  }

  it('uploads a release, then only the changed file of the next one', async () => {
    const progress: TransferProgress[] = [];
    const first = await uploadRelease({
      connection,
      layout,
      folder,
      releaseId: 'r1',
      onProgress: (update) => progress.push(update),
    });
    const fileCount = 3 + hostile.length; // main.js is a link
    expect(first).toMatchObject({ files: fileCount, uploadedFiles: fileCount, copiedFiles: 0 });
    expect(progress.at(-1)).toMatchObject({
      filesDone: fileCount,
      filesTotal: fileCount,
      bytesDone: first.bytes,
      bytesTotal: first.bytes,
    });
    expect(progress.some((update) => update.bytesDone > 0 && update.bytesDone < first.bytes)).toBe(true);

    const sums = await hostSums(layout.release('r1'));
    expect(sums.size).toBe(fileCount);
    for (const entry of first.manifest.entries.filter((item) => item.type === 'file')) {
      expect(sums.get(entry.path)).toBe(entry.sha256);
    }
    const modes = await connection.run(
      sh`cd -- ${layout.release('r1')} && stat -c '%a %n' start.sh src/app.js src src/deep && readlink main.js`,
    );
    expect(modes.stdout).toBe('755 start.sh\n644 src/app.js\n755 src\n755 src/deep\nsrc/app.js\n');
    const pwned = await connection.run(sh`find ${layout.serviceDir} -name pwned`);
    expect(pwned.stdout).toBe('');

    await writeFile(join(folder, 'src', 'app.js'), 'console.log("v2")\n');
    const second = await uploadRelease({
      connection,
      layout,
      folder,
      releaseId: 'r2',
      previousReleaseId: 'r1',
    });
    expect(second).toMatchObject({ files: fileCount, uploadedFiles: 1, copiedFiles: fileCount - 1 });
    expect(second.uploadedBytes).toBe('console.log("v2")\n'.length);
    const [v1, v2] = await Promise.all([
      connection.run(sh`cat -- ${`${layout.release('r1')}/src/app.js`}`),
      connection.run(sh`cat -- ${`${layout.release('r2')}/src/app.js`}`),
    ]);
    expect([v1.stdout, v2.stdout]).toEqual(['console.log("v1")\n', 'console.log("v2")\n']);
    expect(await hostSums(layout.release('r2'))).toEqual(
      new Map(
        second.manifest.entries
          .filter((item) => item.type === 'file')
          .map((item) => [item.path, item.sha256]),
      ),
    );
    await writeFile(join(folder, 'src', 'app.js'), 'console.log("v1")\n');
  });

  it('sends everything when the previous manifest is gone, and never overwrites a release', async () => {
    await connection.run(sh`rm -f -- ${layout.manifest('r2')}`);
    const third = await uploadRelease({
      connection,
      layout,
      folder,
      releaseId: 'r3',
      previousReleaseId: 'r2',
    });
    expect(third.copiedFiles).toBe(0);
    await expect(uploadRelease({ connection, layout, folder, releaseId: 'r3' })).rejects.toMatchObject({
      code: 'SSH_TRANSFER_FAILED',
    });
  });

  it('locks the service against a second operator until released', async () => {
    const other = connect(host());
    connections.push(other);
    const alice = await acquireHostLock(connection, layout, { owner: 'alice@laptop', operation: 'deploy' });
    const refused = await acquireHostLock(other, layout, { owner: 'ci job 7', operation: 'deploy' }).catch(
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({
      code: 'LOCK_HELD',
      retryable: true,
      details: { owner: 'alice@laptop', operation: 'deploy' },
    });
    await alice.release();
    const ci = await acquireHostLock(other, layout, { owner: 'ci job 7', operation: 'deploy' });
    await ci.release();
  });

  it('takes over an expired lock once, and a late release does not remove the new holder', async () => {
    const warnings: string[] = [];
    const dead = await acquireHostLock(connection, layout, {
      owner: 'dead job',
      operation: 'deploy',
      ttlSeconds: 60,
    });
    await connection.run(sh`touch -d @1000000000 -- ${layout.lockDir}`);
    const next = await acquireHostLock(connection, layout, {
      owner: 'next job',
      operation: 'deploy',
      warn: (message) => warnings.push(message),
    });
    expect(warnings.join()).toMatch(/dead job/);
    await dead.release();
    const owner = JSON.parse((await readRemoteFile(connection, `${layout.lockDir}/owner.json`)) ?? '{}') as {
      owner?: string;
    };
    expect(owner.owner).toBe('next job');
    await connection.run(sh`touch -d @1000000000 -- ${layout.lockDir}`);
    await next.renew();
    const age = await connection.run(sh`echo $(( $(date +%s) - $(stat -c %Y -- ${layout.lockDir}) ))`);
    expect(Number(age.stdout)).toBeLessThan(3600);
    await next.release();
    expect((await connection.run(sh`test -e ${layout.lockDir}`, { allowExitCodes: [0, 1] })).exitCode).toBe(
      1,
    );
  });

  it('keeps a history every operator reads the same way', async () => {
    const other = connect(host());
    connections.push(other);
    const entry = {
      at: new Date().toISOString(),
      operation: 'deploy' as const,
      status: 'failed' as const,
      service: 'files-test',
      revision: '1-abc',
      operator: "alice's laptop; $(reboot)",
      error: { code: 'HEALTH_CHECK_FAILED', message: 'line 1\nline 2 `id`' },
    };
    await appendHostHistory(connection, layout, entry);
    await appendHostHistory(other, layout, { ...entry, status: 'succeeded', revision: '2-def' });
    const seen = await readHostHistory(other, layout);
    expect(seen.slice(-2)).toEqual([entry, { ...entry, status: 'succeeded', revision: '2-def' }]);
    expect((await readHostHistory(connection, layout, 1)).map((item) => item.revision)).toEqual(['2-def']);
  });

  it('writes a file atomically with its mode from the start', async () => {
    const path = `${layout.serviceDir}/secret.env`;
    await writeRemoteFile(connection, path, 'A="1"\n', 0o600);
    expect((await connection.run(sh`stat -c %a -- ${path}`)).stdout.trim()).toBe('600');
    expect(await readRemoteFile(connection, path)).toBe('A="1"\n');
    expect(await readRemoteFile(connection, `${path}.missing`)).toBeUndefined();
  });
});

describe('unit files on a real systemd', () => {
  const service = `unit-test-${suffix}`;
  let connection: SshConnection;
  beforeAll(() => {
    connection = connect(env.systemdHost);
    connections.push(connection);
    cleanups.push(() =>
      connection.run(
        sh`systemctl stop ${unitName(service)}; rm -f -- ${`/etc/systemd/system/${unitName(service)}`} /tmp/${service}.env /tmp/${service}.json; systemctl daemon-reload`,
        { allowExitCodes: [0, 1, 5] },
      ),
    );
  });

  it('gives the service exactly the values, however hostile, from Environment= and the environment file', async () => {
    const values: Record<string, string> = {
      NEWLINES: 'line1\nline2\n[Service]\nExecStart=/bin/false',
      QUOTES: `it's "quoted" \\ back`,
      SPECIFIERS: '100% %n %i %h',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} is the hostile input
      DOLLARS: '$HOME ${PATH} $(id) `id`',
      SPACES: '  lead and trail  ',
      EMPTY: '',
      UNICODE: 'émoji 🚢',
    };
    const secrets = Object.fromEntries(
      Object.entries(values).map(([key, value]) => [`SECRET_${key}`, value]),
    );
    const dump = `/tmp/${service}.json`;
    await writeRemoteFile(connection, `/tmp/${service}.env`, renderEnvironmentFile(secrets), 0o600);
    const unit = renderUnitFile({
      service,
      releaseId: 'r1',
      workingDirectory: '/tmp',
      command: [
        env.systemdHost.nodePath,
        '-e',
        `require("fs").writeFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env))`,
      ],
      environment: values,
      environmentFile: `/tmp/${service}.env`,
      restart: 'no',
    });
    await writeRemoteFile(connection, `/etc/systemd/system/${unitName(service)}`, unit, 0o644);
    await connection.run(sh`systemctl daemon-reload && systemctl start ${unitName(service)}`);
    // The process writes the dump and exits: wait for the unit to end (a loaded machine can take
    // seconds to start node), then read what it wrote.
    const deadline = Date.now() + 120_000;
    let state = '';
    do {
      if (state) await connection.run(sh`sleep 0.1`);
      state = (
        await connection.run(sh`systemctl show -p ActiveState --value ${unitName(service)}`)
      ).stdout.trim();
    } while ((state === 'active' || state === 'activating') && Date.now() < deadline);
    const text = await readRemoteFile(connection, dump);
    expect(text, `the unit ended ${state} without writing ${dump}`).toBeDefined();
    const seen = JSON.parse(text ?? '{}') as Record<string, string>;
    for (const [key, value] of Object.entries({ ...values, ...secrets })) expect(seen[key], key).toBe(value);
    const show = await connection.run(sh`systemctl show -p Environment ${unitName(service)}`);
    expect(show.stdout).not.toContain('SECRET_');
  });
});
