import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ImageBuildRequest, ImageTarget, ProgressUpdate, ProviderContext } from '@berth/core';
import { BerthError, systemClock } from '@berth/core';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RequiredTestEnvironment, requireTestEnvironment } from '../../../test-support/test-env.js';
import { fingerprintTag } from './context-fingerprint.js';
import { dockerImageBuilder } from './docker-image-builder.js';
import { runDockerPush } from './docker-push.js';

let env: RequiredTestEnvironment<'docker' | 'registry' | 'images'>;
let docker: Dockerode;
const folders: string[] = [];
/** IDs of images the tests created, removed with all their tags at the end. */
const createdImages = new Set<string>();

/** Remember an image (by name or ID) for removal. */
async function track(image: string): Promise<void> {
  createdImages.add((await docker.getImage(image).inspect()).Id);
}

beforeAll(() => {
  env = requireTestEnvironment(['docker', 'registry', 'images']);
  docker = new Dockerode({ socketPath: env.docker.socketPath });
});

afterAll(async () => {
  for (const image of createdImages)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

const unique = () => randomBytes(5).toString('hex');

/** A dockerode client whose build and push calls are counted (all else goes to the real engine). */
function countingDocker() {
  const counts = { builds: 0, pushes: 0 };
  const wrapped = Object.create(docker) as Dockerode;
  // Builds are `POST /build` through the modem (dockerode's buildImage would open a gRPC session for BuildKit).
  const modem: Dockerode['modem'] = Object.create(docker.modem);
  modem.dial = (options, callback) => {
    if (options.path === '/build?') counts.builds += 1;
    return docker.modem.dial(options, callback);
  };
  wrapped.modem = modem;
  wrapped.getImage = (name: string) => {
    const image = docker.getImage(name);
    const push = image.push.bind(image);
    image.push = ((...args: Parameters<Dockerode.Image['push']>) => {
      counts.pushes += 1;
      return push(...args);
    }) as Dockerode.Image['push'];
    return image;
  };
  return { docker: wrapped, counts };
}

function providerContext() {
  const progress: ProgressUpdate[] = [];
  const logs: string[] = [];
  const context: ProviderContext = {
    signal: new AbortController().signal,
    clock: systemClock,
    progress: (update) => progress.push(update),
    log: (level, message, data) => logs.push(`${level} ${message} ${JSON.stringify(data ?? {})}`),
  };
  return { context, progress, logs };
}

/** A build context with the files and a unique `nonce.txt`, so fingerprints never repeat across runs. */
async function contextFolder(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'berth-image-it-'));
  folders.push(root);
  for (const [path, content] of Object.entries({ ...files, 'nonce.txt': unique() })) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

function buildRequest(context: string, target?: ImageTarget): ImageBuildRequest {
  const name = `it-${unique()}`;
  return {
    service: { service: `${name}-test`, name, environment: 'test' },
    context,
    ...(target ? { target } : {}),
  };
}

function registryTarget(password = env.registry.password): ImageTarget {
  return {
    registry: env.registry.host,
    repository: `berth-test/${unique()}`,
    credentials: { username: env.registry.username, password },
  };
}

/** The registry's digest for a tag, read independently of the code under test (Basic auth). */
async function registryDigest(repository: string, tag: string): Promise<string | null> {
  const response = await fetch(`http://${env.registry.host}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      Accept:
        'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      Authorization: `Basic ${Buffer.from(`${env.registry.username}:${env.registry.password}`).toString('base64')}`,
    },
  });
  return response.ok ? response.headers.get('docker-content-digest') : null;
}

/** Run `command` in a container of `image` and return its output. */
async function runInImage(image: string, command: string[]): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: command,
    Tty: true,
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    await container.wait();
    return (await container.logs({ stdout: true, stderr: true })).toString('utf8');
  } finally {
    await container.remove({ force: true });
  }
}

const run = promisify(execFile);

describe.each([
  'buildkit',
  'classic',
] as const)('dockerImageBuilder (%s) against the real engine and registry', (kind) => {
  it('builds a context that honours .dockerignore and tags it with the git commit', async () => {
    const root = await contextFolder({
      Dockerfile: `FROM ${env.images.busybox}\nCOPY . /app\nCMD ["sh"]\n`,
      '.dockerignore': '.git\nsecret.env\nlogs\n!logs/keep.log\n',
      'app.txt': 'hello',
      'secret.env': 'API_KEY=do-not-ship',
      'logs/debug.log': 'noise',
      'logs/keep.log': 'kept',
    });
    const git = ['-c', 'user.name=Berth Test', '-c', 'user.email=test@berth.dev'];
    await run('git', ['init', '--quiet'], { cwd: root });
    await run('git', [...git, 'add', '.'], { cwd: root });
    await run('git', [...git, 'commit', '--quiet', '-m', 'first'], { cwd: root });
    const sha = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: root })).stdout.trim();

    const { context, progress } = providerContext();
    const request = buildRequest(root);
    const built = await dockerImageBuilder({ builder: kind, docker }).build(request, context);
    await track(built.ref);

    expect(built.skipped).toBe(false);
    expect(built.ref).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(built.tags).toEqual([sha, fingerprintTag(built.fingerprint)]);
    const inspected = await docker.getImage(built.ref).inspect();
    expect(inspected.RepoTags).toEqual(
      expect.arrayContaining([
        `berth/${request.service.service}:${sha}`,
        `berth/${request.service.service}:${fingerprintTag(built.fingerprint)}`,
      ]),
    );
    // Exactly the Dockerfile's three steps: no LABEL step added for Berth's bookkeeping.
    expect(inspected.Config.Labels?.['dev.berth.fingerprint']).toBeUndefined();
    const steps = progress.filter((update) => update.step === 'build');
    if (kind === 'buildkit') {
      // BuildKit reports the steps that make a layer (CMD only changes the config).
      expect(steps.map((update) => `${update.current}/${update.total}`)).toEqual(['1/2', '2/2']);
      expect(steps[1]?.message).toBe('[2/2] COPY . /app');
    } else {
      expect(steps.map((update) => `${update.current}/${update.total}`)).toEqual(['1/3', '2/3', '3/3']);
      expect(steps[1]?.message).toBe('Step 2/3 : COPY . /app');
    }

    // The engine's fingerprint tag is how the next build of the same context finds the image.
    const again = countingDocker();
    const rebuilt = await dockerImageBuilder({ builder: kind, docker: again.docker }).build(
      request,
      providerContext().context,
    );
    expect(rebuilt).toMatchObject({ ref: built.ref, skipped: true });
    expect(again.counts.builds).toBe(0);

    const listing = await runInImage(built.ref, ['sh', '-c', 'cd /app && find . -type f | sort']);
    expect(listing.split(/\r?\n/).filter(Boolean)).toEqual([
      './.dockerignore',
      './Dockerfile',
      './app.txt',
      './logs/keep.log',
      './nonce.txt',
    ]);
  });

  it('skips build and push when the fingerprint is already in the registry', async () => {
    const root = await contextFolder({
      Dockerfile: `FROM ${env.images.busybox}\nCOPY app.txt /app.txt\n`,
      'app.txt': 'v1',
    });
    const target = registryTarget();
    const first = countingDocker();
    const built = await dockerImageBuilder({ builder: kind, docker: first.docker }).build(
      buildRequest(root, target),
      providerContext().context,
    );
    await track(`${target.registry}/${target.repository}:${fingerprintTag(built.fingerprint)}`);
    expect([built.skipped, first.counts.builds, first.counts.pushes]).toEqual([false, 1, 1]);
    expect(await registryDigest(target.repository, fingerprintTag(built.fingerprint))).toBe(built.digest);

    const second = countingDocker();
    const builder = dockerImageBuilder({ builder: kind, docker: second.docker });
    const inspection = await builder.inspect(buildRequest(root, target), providerContext().context);
    expect(inspection.existing?.ref).toBe(built.ref);
    const again = await builder.build(buildRequest(root, target), providerContext().context);
    expect(again).toMatchObject({
      ref: built.ref,
      digest: built.digest,
      fingerprint: built.fingerprint,
      skipped: true,
    });
    expect(second.counts).toEqual({ builds: 0, pushes: 0 });

    // A changed file is a new fingerprint: built and pushed again.
    await writeFile(join(root, 'app.txt'), 'v2');
    const third = countingDocker();
    const changed = await dockerImageBuilder({ builder: kind, docker: third.docker }).build(
      buildRequest(root, target),
      providerContext().context,
    );
    await track(`${target.registry}/${target.repository}:${fingerprintTag(changed.fingerprint)}`);
    expect(changed.skipped).toBe(false);
    expect(changed.digest).not.toBe(built.digest);
    expect(third.counts.builds).toBe(1);
  });

  it('pushes with the credentials and returns the registry digest', async () => {
    const root = await contextFolder({
      Dockerfile: `FROM ${env.images.busybox}\nRUN echo built > /built.txt\n`,
    });
    const target = registryTarget();
    const { context, progress, logs } = providerContext();
    const built = await dockerImageBuilder({ builder: kind, docker, git: false }).build(
      buildRequest(root, target),
      context,
    );
    const tag = fingerprintTag(built.fingerprint);
    await track(`${target.registry}/${target.repository}:${tag}`);

    expect(built.ref).toBe(`${target.registry}/${target.repository}@${built.digest}`);
    expect(built.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await registryDigest(target.repository, tag)).toBe(built.digest);
    expect(await registryDigest(target.repository, 'latest')).toBe(built.digest);
    const pushes = progress.filter((update) => update.step === 'push');
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.every((update) => update.unit === 'bytes')).toBe(true);
    expect(JSON.stringify({ progress, logs })).not.toContain(env.registry.password);

    const resolved = await dockerImageBuilder({ builder: kind, docker }).resolve!(
      `${target.registry}/${target.repository}:${tag}`,
      target,
      context,
    );
    expect(resolved).toEqual({ ref: built.ref, digest: built.digest });
  });

  it('reports a wrong registry password as REGISTRY_AUTH_FAILED, without the password', async () => {
    const wrongPassword = `wrong-${unique()}`;
    const root = await contextFolder({
      Dockerfile: `FROM ${env.images.busybox}\nRUN echo auth > /auth.txt\n`,
    });
    const target = registryTarget(wrongPassword);
    const { context, logs, progress } = providerContext();

    // Through the builder: the registry check refuses the credentials before anything is built.
    const error = await dockerImageBuilder({ builder: kind, docker, git: false })
      .build(buildRequest(root, target), context)
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('REGISTRY_AUTH_FAILED');
    expect((error as BerthError).hint).toMatch(/credentials/);
    expect(JSON.stringify(error)).not.toContain(wrongPassword);

    // Through the engine's push stream: build locally, then push with the wrong password.
    const local = await dockerImageBuilder({ builder: kind, docker, git: false }).build(
      buildRequest(root),
      context,
    );
    await track(local.ref);
    const name = `${target.registry}/${target.repository}`;
    await docker.getImage(local.ref).tag({ repo: name, tag: 'refused' });
    const pushError = await runDockerPush({ docker, engine: 'test', target, tag: 'refused' }, context).catch(
      (caught: unknown) => caught,
    );
    expect(BerthError.isInstance(pushError) && pushError.code).toBe('REGISTRY_AUTH_FAILED');
    expect((pushError as BerthError).message).toMatch(/unauthorized|authentication required/);
    expect((pushError as BerthError).hint).toMatch(/credentials/);
    for (const text of [JSON.stringify(pushError), JSON.stringify(logs), JSON.stringify(progress)]) {
      expect(text).not.toContain(wrongPassword);
    }
  });

  it('reports a failing RUN as IMAGE_BUILD_FAILED with the build output', async () => {
    const root = await contextFolder({
      Dockerfile: `FROM ${env.images.busybox}\nRUN echo about-to-fail && false\n`,
    });
    const error = await dockerImageBuilder({ builder: kind, docker, git: false })
      .build(buildRequest(root), providerContext().context)
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('IMAGE_BUILD_FAILED');
    const details = (error as BerthError).details as { output: string[]; error: string };
    expect(details.error).toMatch(kind === 'buildkit' ? /exit code: 1/ : /non-zero code: 1/);
    expect(details.output.join('\n')).toContain('about-to-fail');
    expect((error as BerthError).hint).toMatch(/RUN step/);
  });

  it('reports a COPY of a missing or ignored file as IMAGE_BUILD_FAILED', async () => {
    const root = await contextFolder({
      Dockerfile: `FROM ${env.images.busybox}\nCOPY ignored.txt /ignored.txt\n`,
      '.dockerignore': 'ignored.txt\n',
      'ignored.txt': 'excluded from the context',
    });
    const error = await dockerImageBuilder({ builder: kind, docker, git: false })
      .build(buildRequest(root), providerContext().context)
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('IMAGE_BUILD_FAILED');
    expect((error as BerthError).hint).toMatch(/COPY or ADD/);
    expect(((error as BerthError).details as { output: string[] }).output.join('\n')).toContain(
      'COPY ignored.txt',
    );
  });

  it('passes preflight on the real engine, and reports DOCKER_UNAVAILABLE on a missing socket', async () => {
    const [check] = await dockerImageBuilder({ builder: kind, docker }).preflight!(providerContext().context);
    expect(check).toMatchObject({ name: 'docker-engine', ok: true });

    const missing = new Dockerode({ socketPath: join(tmpdir(), `berth-no-engine-${unique()}.sock`) });
    const [failed] = await dockerImageBuilder({ builder: kind, docker: missing }).preflight!(
      providerContext().context,
    );
    expect(failed).toMatchObject({ name: 'docker-engine', ok: false });
    expect(failed?.hint).toMatch(/dockerd &/);
    const root = await contextFolder({ Dockerfile: `FROM ${env.images.busybox}\n` });
    const error = await dockerImageBuilder({ builder: kind, docker: missing, git: false })
      .build(buildRequest(root), providerContext().context)
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('DOCKER_UNAVAILABLE');
  });
});
