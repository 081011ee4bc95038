import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ImageBuildRequest, ProgressUpdate, ProviderContext } from '@berth/core';
import { BerthError, systemClock } from '@berth/core';
import type Dockerode from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintTag } from './context-fingerprint.js';
import { dockerImageBuilder } from './docker-image-builder.js';
import { digestOf, fakeRegistry } from './fake-registry.test-support.js';
import type { FetchFunction } from './registry-auth.js';

const imageId = `sha256:${'1'.repeat(64)}`;
/** The manifest the fake engine pushes. */
const pushedManifest = '{"schemaVersion":2,"config":{"digest":"sha256:c0"}}';
const pushedDigest = digestOf(pushedManifest);
const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

const lines = (...messages: object[]) => messages.map((message) => `${JSON.stringify(message)}\r\n`);

interface FakeScript {
  build?: string[];
  push?: string[];
  buildError?: Error;
  pingError?: Error;
  /** `name:tag`s the engine already has (all pointing at `imageId`). */
  localImages?: string[];
  /** Where pushes land: the manifest is stored under the pushed tag. */
  registry?: ReturnType<typeof fakeRegistry>;
}

/** The query of a `POST /build`. */
type BuildQuery = Dockerode.ImageBuildOptions & { version?: string };

const notFound = () => Object.assign(new Error('(HTTP code 404) no such image'), { statusCode: 404 });

/** A dockerode stand-in that records calls and answers with scripted engine streams. */
function fakeDocker(script: FakeScript = {}) {
  const calls = {
    builds: [] as BuildQuery[],
    pushes: [] as { name: string; options: Dockerode.ImagePushOptions }[],
    tags: [] as string[],
    inspected: [] as string[],
  };
  const names = new Set(script.localImages ?? []);
  /** `POST /build` as the builder sends it, through the modem (the query in `options`, the tar in `file`). */
  const build = async (tar: Readable, options: BuildQuery) => {
    calls.builds.push(options);
    if (script.buildError) throw script.buildError;
    if (options.t) names.add(options.t);
    for await (const _chunk of tar) {
      // Drain the context like the engine would.
    }
    return Readable.from(
      script.build ??
        lines(
          { stream: 'Step 1/2 : FROM busybox\n' },
          { stream: 'Step 2/2 : COPY . /app\n' },
          { aux: { ID: imageId } },
        ),
    );
  };
  const docker = {
    modem: {
      socketPath: '/var/run/docker.sock',
      dial(
        request: { path: string; file: Readable; options: BuildQuery },
        callback: (error: unknown, data?: unknown) => void,
      ) {
        if (request.path !== '/build?') throw new Error(`unexpected dial ${request.path}`);
        build(request.file, request.options).then(
          (stream) => callback(null, stream),
          (error: unknown) => callback(error),
        );
      },
    },
    getImage(name: string) {
      return {
        inspect: async () => {
          calls.inspected.push(name);
          if (name.startsWith('sha256:')) return { Id: name };
          if (!names.has(name)) throw notFound();
          return { Id: imageId };
        },
        tag: async (options: { repo: string; tag: string }) => {
          calls.tags.push(`${options.repo}:${options.tag}`);
          names.add(`${options.repo}:${options.tag}`);
        },
        push: async (options: Dockerode.ImagePushOptions) => {
          calls.pushes.push({ name, options });
          if (!script.push && script.registry && options.tag)
            script.registry.store(name.replace(/^[^/]+\//, ''), options.tag, pushedManifest);
          return Readable.from(
            script.push ??
              lines(
                { status: 'Pushing', id: 'l1', progressDetail: { current: 50, total: 100 } },
                { status: 'Pushing', id: 'l2', progressDetail: { current: 10, total: 300 } },
                { status: 'Pushed', id: 'l1' },
                { status: 'Layer already exists', id: 'l2' },
                { progressDetail: {}, aux: { Tag: options.tag, Digest: pushedDigest, Size: 527 } },
              ),
          );
        },
      };
    },
    ping: async () => {
      if (script.pingError) throw script.pingError;
      return 'OK';
    },
    version: async () => ({ Version: '27.0.0', ApiVersion: '1.47' }),
  };
  return { docker: docker as unknown as Dockerode, calls };
}

function providerContext() {
  const progress: ProgressUpdate[] = [];
  const logs: string[] = [];
  const context: ProviderContext = {
    signal: new AbortController().signal,
    clock: systemClock,
    progress: (update) => progress.push(update),
    log: (_level, message, data) => logs.push(`${message} ${JSON.stringify(data ?? {})}`),
  };
  return { context, progress, logs };
}

async function request(target?: ImageBuildRequest['target']): Promise<ImageBuildRequest> {
  const root = await mkdtemp(join(tmpdir(), 'berth-builder-'));
  folders.push(root);
  await writeFile(join(root, 'Dockerfile'), 'FROM busybox\nCOPY . /app\n');
  await writeFile(join(root, 'app.sh'), 'echo hi\n');
  return {
    service: { service: 'hello-dev', name: 'hello', environment: 'dev' },
    context: root,
    ...(target ? { target } : {}),
  };
}

const target = {
  registry: '127.0.0.1:5000',
  repository: 'team/app',
  credentials: { username: 'berth', password: 'pa55-word-xyz' },
};
/** The target's registry, empty, with Basic auth for the target's credentials. */
const targetRegistry = () => fakeRegistry({ scheme: 'basic', password: 'pa55-word-xyz' });

/** A BuildKit trace message: one started step named `name` (a protobuf StatusResponse, base64). */
function traceOf(name: string, digest: string): string {
  const field = (number: number, bytes: Buffer) =>
    Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);
  const vertex = Buffer.concat([
    field(1, Buffer.from(digest)),
    field(3, Buffer.from(name)),
    field(5, Buffer.from([0x08, 0x01])),
  ]);
  return field(1, vertex).toString('base64');
}

describe('dockerImageBuilder builders', () => {
  it('builds with BuildKit by default and reports its steps as build progress', async () => {
    const { docker, calls } = fakeDocker({
      build: lines(
        {
          id: 'moby.buildkit.trace',
          aux: traceOf('[internal] load build definition from Dockerfile', 'sha256:a'),
        },
        { id: 'moby.buildkit.trace', aux: traceOf('[1/2] FROM docker.io/library/busybox', 'sha256:b') },
        { id: 'moby.buildkit.trace', aux: traceOf('[2/2] COPY . /app', 'sha256:c') },
        // A step is reported again when it completes: counted once.
        { id: 'moby.buildkit.trace', aux: traceOf('[2/2] COPY . /app', 'sha256:c') },
        { id: 'moby.image.id', aux: { ID: imageId } },
      ),
    });
    const { context, progress } = providerContext();
    const built = await dockerImageBuilder({ docker, git: false }).build(await request(), context);
    expect(built.ref).toBe(imageId);
    expect(calls.builds[0]?.version).toBe('2');
    expect(
      progress.filter((update) => update.step === 'build').map((update) => [update.message, update.current]),
    ).toEqual([
      ['[1/2] FROM docker.io/library/busybox', 1],
      ['[2/2] COPY . /app', 2],
    ]);
  });

  it('builds with the classic builder when asked, and when the engine has no BuildKit (once, with a warning)', async () => {
    const classic = fakeDocker();
    await dockerImageBuilder({ docker: classic.docker, git: false, builder: 'classic' }).build(
      await request(),
      providerContext().context,
    );
    expect(classic.calls.builds[0]?.version).toBeUndefined();

    const { docker, calls } = fakeDocker();
    const refusing = docker as unknown as {
      modem: {
        dial: (request: { options: BuildQuery }, callback: (error: unknown, data?: unknown) => void) => void;
      };
    };
    const dial = refusing.modem.dial.bind(refusing.modem);
    refusing.modem.dial = (request, callback) => {
      if (request.options.version === '2') {
        calls.builds.push(request.options);
        callback(
          Object.assign(new Error('(HTTP code 400) bad parameter - buildkit not supported by daemon'), {
            statusCode: 400,
          }),
        );
      } else dial(request, callback);
    };
    const { context, logs } = providerContext();
    const builder = dockerImageBuilder({ docker, git: false });
    const built = await builder.build(await request(), context);
    expect(built.ref).toBe(imageId);
    expect(calls.builds.map((build) => build.version)).toEqual(['2', undefined]);
    expect(logs.some((line) => /has no BuildKit; building with the classic builder/.test(line))).toBe(true);
    const changed = await request();
    await writeFile(join(changed.context, 'app.sh'), 'echo changed\n');
    await builder.build(changed, providerContext().context);
    expect(calls.builds.map((build) => build.version)).toEqual(['2', undefined, undefined]);
  });
});

describe('dockerImageBuilder inspect, then build', () => {
  it('reuses the fingerprint of an inspect in the same run, and reads the context again in another', async () => {
    const { docker } = fakeDocker();
    const builder = dockerImageBuilder({ docker, git: false });
    const buildRequest = await request();
    const run = providerContext().context;
    const { fingerprint } = await builder.inspect(buildRequest, run);
    // Edited after the inspect: the same run builds what it fingerprinted a moment ago ...
    await writeFile(join(buildRequest.context, 'app.sh'), 'echo edited\n');
    expect((await builder.build(buildRequest, run)).fingerprint).toBe(fingerprint);
    // ... and a new run (another signal) fingerprints the context as it is now.
    await builder.inspect(buildRequest, run);
    const next = await builder.build(buildRequest, providerContext().context);
    expect(next.fingerprint).not.toBe(fingerprint);
  });
});

describe('dockerImageBuilder without a target', () => {
  it('builds with the fingerprint tag and no label, adds the git tag, and returns the local image ID', async () => {
    const { docker, calls } = fakeDocker();
    const { context, progress } = providerContext();
    const built = await dockerImageBuilder({ docker, git: false }).build(await request(), context);
    const tag = fingerprintTag(built.fingerprint);
    expect(built).toEqual({
      ref: imageId,
      digest: imageId,
      tags: ['latest', tag],
      fingerprint: built.fingerprint,
      skipped: false,
    });
    expect(calls.builds[0]).toMatchObject({ t: `berth/hello-dev:${tag}`, pull: false });
    // A label would cost the classic builder one more step (a container created and committed).
    expect(calls.builds[0]?.labels).toBeUndefined();
    expect(calls.tags).toEqual(['berth/hello-dev:latest']);
    expect(
      progress.filter((update) => update.step === 'build').map((update) => [update.current, update.total]),
    ).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  it('skips the build when the engine already has the fingerprint tag', async () => {
    const { docker, calls } = fakeDocker();
    const builder = dockerImageBuilder({ docker, git: false });
    const buildRequest = await request();
    await builder.build(buildRequest, providerContext().context);
    const again = await dockerImageBuilder({ docker, git: false }).build(
      buildRequest,
      providerContext().context,
    );
    expect(again).toMatchObject({ ref: imageId, digest: imageId, skipped: true });
    expect(again.tags).toEqual([fingerprintTag(again.fingerprint)]);
    expect(calls.builds).toHaveLength(1);
  });

  it('builds again when only another service has an image with the same content', async () => {
    const { docker } = fakeDocker();
    const buildRequest = await request();
    const { fingerprint } = await dockerImageBuilder({ docker }).inspect(
      buildRequest,
      providerContext().context,
    );
    const other = fakeDocker({ localImages: [`berth/other-dev:${fingerprintTag(fingerprint)}`] });
    const built = await dockerImageBuilder({ docker: other.docker, git: false }).build(
      buildRequest,
      providerContext().context,
    );
    expect(built.skipped).toBe(false);
    expect(other.calls.builds).toHaveLength(1);
  });

  it('turns an error inside the build stream into IMAGE_BUILD_FAILED with the output tail', async () => {
    const output = Array.from({ length: 30 }, (_, index) => ({ stream: `line ${index}\n` }));
    const { docker } = fakeDocker({
      build: lines(...output, {
        errorDetail: { code: 1, message: "The command '/bin/sh -c false' returned a non-zero code: 1" },
        error: "The command '/bin/sh -c false' returned a non-zero code: 1",
      }),
    });
    const error = await dockerImageBuilder({ docker, git: false })
      .build(await request(), providerContext().context)
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('IMAGE_BUILD_FAILED');
    const details = (error as BerthError).details as { output: string[] };
    expect(details.output).toHaveLength(20);
    expect(details.output.at(-1)).toBe('line 29');
    expect((error as BerthError).hint).toMatch(/RUN step failed/);
  });

  it('maps an unreachable engine to DOCKER_UNAVAILABLE with how to start it', async () => {
    const refused = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), {
      code: 'ENOENT',
      syscall: 'connect',
    });
    const { docker } = fakeDocker({ buildError: refused });
    const error = await dockerImageBuilder({ docker, git: false })
      .build(await request(), providerContext().context)
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('DOCKER_UNAVAILABLE');
    expect((error as BerthError).hint).toMatch(/dockerd|systemctl start docker|DOCKER_HOST/);
  });
});

describe('dockerImageBuilder with a target', () => {
  it('pushes the git tag with the credentials, then adds the fingerprint tag in the registry', async () => {
    const registry = targetRegistry();
    const { docker, calls } = fakeDocker({ registry });
    const { context, progress } = providerContext();
    const built = await dockerImageBuilder({ docker, git: false, fetch: registry.fetch }).build(
      await request(target),
      context,
    );
    const tag = fingerprintTag(built.fingerprint);
    expect(built).toMatchObject({
      ref: `127.0.0.1:5000/team/app@${pushedDigest}`,
      digest: pushedDigest,
      tags: ['latest', tag],
    });
    // One push through the engine; the fingerprint tag is added to the pushed manifest afterwards.
    expect(calls.pushes.map((push) => [push.name, push.options.tag])).toEqual([
      ['127.0.0.1:5000/team/app', 'latest'],
    ]);
    expect(calls.pushes[0]?.options.authconfig).toEqual({
      username: 'berth',
      password: 'pa55-word-xyz',
      serveraddress: '127.0.0.1:5000',
    });
    expect(registry.tagged('team/app', 'latest')).toBe(pushedDigest);
    expect(registry.tagged('team/app', tag)).toBe(pushedDigest);
    const pushProgress = progress.filter((update) => update.step === 'push');
    expect(pushProgress.at(-1)).toMatchObject({ current: 400, total: 400, unit: 'bytes' });
    expect(pushProgress[1]).toMatchObject({ current: 60, total: 400 });
  });

  it('sends the registry credentials up front once the registry has asked for Basic auth', async () => {
    const registry = targetRegistry();
    const { docker } = fakeDocker({ registry });
    await dockerImageBuilder({ docker, git: false, fetch: registry.fetch }).build(
      await request(target),
      providerContext().context,
    );
    expect(
      registry.calls.map((call) => `${call.method} ${call.headers.Authorization ? 'with' : 'without'}`),
    ).toEqual(['HEAD without', 'HEAD with', 'GET with', 'PUT with']);
  });

  it('skips build and push when the registry already has the fingerprint tag', async () => {
    const registry = targetRegistry();
    const { docker, calls } = fakeDocker({ registry });
    const buildRequest = await request(target);
    const builder = dockerImageBuilder({ docker, git: false, fetch: registry.fetch });
    const { fingerprint } = await builder.inspect(buildRequest, providerContext().context);
    registry.store('team/app', fingerprintTag(fingerprint), pushedManifest);
    const built = await builder.build(buildRequest, providerContext().context);
    expect(built).toMatchObject({ ref: `127.0.0.1:5000/team/app@${pushedDigest}`, skipped: true });
    expect(calls.builds).toHaveLength(0);
    expect(calls.pushes).toHaveLength(0);
  });

  it('reuses a local image with the fingerprint that was never pushed, without rebuilding', async () => {
    const buildRequest = await request(target);
    const { fingerprint } = await dockerImageBuilder({
      docker: fakeDocker().docker,
      fetch: targetRegistry().fetch,
    }).inspect(buildRequest, providerContext().context);
    // Built for this target but never pushed, or built for a deploy without a target.
    for (const name of ['127.0.0.1:5000/team/app', 'berth/hello-dev']) {
      const registry = targetRegistry();
      const { docker, calls } = fakeDocker({
        registry,
        localImages: [`${name}:${fingerprintTag(fingerprint)}`],
      });
      const built = await dockerImageBuilder({ docker, git: false, fetch: registry.fetch }).build(
        buildRequest,
        providerContext().context,
      );
      expect(built.skipped).toBe(false);
      expect(calls.builds).toHaveLength(0);
      expect(calls.pushes).toHaveLength(1);
      expect(registry.tagged('team/app', fingerprintTag(fingerprint))).toBe(pushedDigest);
    }
  });

  it('leaves the fingerprint tag out of the registry when adding it fails, so the next run pushes again', async () => {
    const registry = targetRegistry();
    const { docker } = fakeDocker({ registry });
    const failingPut: FetchFunction = async (input, init) =>
      init?.method === 'PUT' ? new Response(null, { status: 503 }) : registry.fetch(input, init);
    const buildRequest = await request(target);
    const error = await dockerImageBuilder({ docker, git: false, fetch: failingPut })
      .build(buildRequest, providerContext().context)
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && [error.code, error.retryable]).toEqual([
      'IMAGE_PUSH_FAILED',
      true,
    ]);
    const again = await dockerImageBuilder({ docker, git: false, fetch: registry.fetch }).inspect(
      buildRequest,
      providerContext().context,
    );
    expect(again.existing).toBeUndefined();
  });

  it('reports a refused push as REGISTRY_AUTH_FAILED without the password', async () => {
    const { docker } = fakeDocker({
      push: lines(
        { status: 'The push refers to repository [127.0.0.1:5000/team/app]' },
        {
          errorDetail: { message: 'unauthorized: authentication required' },
          error: 'unauthorized: authentication required',
        },
      ),
    });
    const { context, logs, progress } = providerContext();
    const error = await dockerImageBuilder({ docker, git: false, fetch: targetRegistry().fetch })
      .build(await request(target), context)
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('REGISTRY_AUTH_FAILED');
    expect((error as BerthError).hint).toMatch(/credentials/);
    for (const text of [
      JSON.stringify(error),
      (error as Error).message,
      JSON.stringify(logs),
      JSON.stringify(progress),
    ]) {
      expect(text).not.toContain('pa55-word-xyz');
    }
  });
});

describe('dockerImageBuilder.preflight', () => {
  it('passes when the engine answers its ping', async () => {
    const [check] = await dockerImageBuilder({ docker: fakeDocker().docker }).preflight!(
      providerContext().context,
    );
    expect(check).toMatchObject({ name: 'docker-engine', ok: true });
  });

  it('fails with a hint when the socket refuses', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), {
      code: 'ECONNREFUSED',
    });
    const [check] = await dockerImageBuilder({ docker: fakeDocker({ pingError: refused }).docker })
      .preflight!(providerContext().context);
    expect(check).toMatchObject({ name: 'docker-engine', ok: false });
    expect(check?.hint).toMatch(/dockerd &|systemctl start docker/);
    expect(check?.hint).toMatch(/DOCKER_HOST/);
  });
});

describe('dockerImageBuilder.resolve', () => {
  const { context } = providerContext();

  it('returns a digest reference as it is', async () => {
    const ref = `127.0.0.1:5000/team/app@${pushedDigest}`;
    expect(
      await dockerImageBuilder({ docker: fakeDocker().docker }).resolve!(ref, undefined, context),
    ).toEqual({ ref, digest: pushedDigest });
  });

  it('asks the registry with the target credentials when the registry matches', async () => {
    const seen: string[] = [];
    const fetch: FetchFunction = async (input, init) => {
      const authorization = (init?.headers as Record<string, string>).Authorization;
      seen.push(String(input));
      return authorization
        ? new Response(null, { status: 200, headers: { 'Docker-Content-Digest': pushedDigest } })
        : new Response(null, { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="r"' } });
    };
    const resolved = await dockerImageBuilder({ docker: fakeDocker().docker, fetch }).resolve!(
      '127.0.0.1:5000/team/app:v2',
      target,
      context,
    );
    expect(resolved).toEqual({ ref: `127.0.0.1:5000/team/app@${pushedDigest}`, digest: pushedDigest });
    expect(seen[0]).toBe('http://127.0.0.1:5000/v2/team/app/manifests/v2');
  });

  it('uses the local image without a target, and leaves the digest undefined when nothing knows the ref', async () => {
    const builder = dockerImageBuilder({
      docker: fakeDocker({ localImages: ['berth/busybox:test'] }).docker,
      fetch: targetRegistry().fetch,
    });
    expect(await builder.resolve!('berth/busybox:test', undefined, context)).toEqual({
      ref: imageId,
      digest: imageId,
    });
    expect(await builder.resolve!('127.0.0.1:5000/team/app:missing', target, context)).toEqual({
      ref: '127.0.0.1:5000/team/app:missing',
    });
  });
});
