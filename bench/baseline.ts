/**
 * The baseline: the steps of a deploy written straight against the Docker Engine API (dockerode),
 * with nothing Berth adds — no spec validation, lock, state, secrets, fingerprint or extra checks.
 * Build the context (tarred whole with tar-fs) with the engine's classic builder or with BuildKit →
 * push one tag with auth → create and start the container by digest on 127.0.0.1 → poll the health
 * path until it answers 200.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { pack } from 'tar-fs';

/**
 * Which of the engine's builders builds the image. `classic`: `POST /build` as the Engine API
 * defaults to (dockerode's `buildImage`). `buildkit`: `POST /build?version=2` with the context as
 * the body and no session, as Berth's `dockerImageBuilder()` builds by default.
 */
export type BaselineBuilder = 'classic' | 'buildkit';

/** One baseline deploy. */
export interface BaselineInput {
  docker: Docker;
  builder: BaselineBuilder;
  /** Folder holding the Dockerfile. */
  context: string;
  buildArgs: Record<string, string>;
  registry: { host: string; username: string; password: string };
  /** Repository inside the registry, e.g. `bench-baseline/hello-agent-x1`. */
  repository: string;
  tag: string;
  containerName: string;
  containerPort: number;
  hostPort: number;
  env: Record<string, string>;
  healthPath: string;
  /** Fixed wait between health polls. */
  intervalMs: number;
  timeoutMs: number;
}

/** What one baseline deploy did and how long each step took. */
export interface BaselineResult {
  imageId: string;
  /** `registry/repository@sha256:…`, what the container runs. */
  ref: string;
  containerId: string;
  healthPolls: number;
  /**
   * Milliseconds per step: prepare (context upload until the engine's first build output), build,
   * push, run (create + start), health.
   */
  steps: { prepare: number; build: number; push: number; run: number; health: number };
}

interface StreamMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  id?: string;
  /**
   * Classic build: `{ ID }`; push: `{ Digest }`; BuildKit: `{ ID }` on the `moby.image.id` message,
   * and a base64 protobuf string on each `moby.buildkit.trace` progress message.
   */
  aux?: string | { ID?: string; Digest?: string };
}

const auxOf = (message: StreamMessage) => (typeof message.aux === 'object' ? message.aux : undefined);

/**
 * Start a build and return its progress stream once the engine answers. BuildKit goes through the
 * modem: dockerode's `buildImage` with `version: '2'` would open a gRPC session first.
 */
function startBuild(
  docker: Docker,
  builder: BaselineBuilder,
  context: NodeJS.ReadableStream,
  query: { t: string; buildargs: Record<string, string> },
): Promise<NodeJS.ReadableStream> {
  if (builder === 'classic') return docker.buildImage(context, { ...query, rm: true, forcerm: true });
  const modem = docker.modem as {
    dial(options: object, callback: (error: unknown, data: unknown) => void): void;
  };
  return new Promise((resolve, reject) => {
    modem.dial(
      {
        path: '/build?',
        method: 'POST',
        file: context,
        options: { ...query, version: '2' },
        isStream: true,
        statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
      },
      (error, data) => (error ? reject(error) : resolve(data as NodeJS.ReadableStream)),
    );
  });
}

/** Drain an engine JSON progress stream; rejects on an error message inside it. */
function followStream(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onMessage: (message: StreamMessage) => void = () => {},
): Promise<StreamMessage[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: StreamMessage[]) => {
        const failed = output?.find((message) => message.error || message.errorDetail);
        if (error) reject(error);
        else if (failed) reject(new Error(failed.error ?? failed.errorDetail?.message));
        else resolve(output);
      },
      onMessage,
    );
  });
}

async function pollHealth(url: string, intervalMs: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let polls = 1; ; polls += 1) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.status === 200) return polls;
    } catch {
      // Not listening yet.
    }
    if (Date.now() + intervalMs > deadline)
      throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Deploy once, straight through the Engine API. Leaves the container running and the image in the engine. */
export async function deployBaseline(input: BaselineInput): Promise<BaselineResult> {
  const { docker, registry } = input;
  const repo = `${registry.host}/${input.repository}`;
  const mark = (() => {
    let last = performance.now();
    return () => {
      const now = performance.now();
      const elapsed = now - last;
      last = now;
      return elapsed;
    };
  })();

  const buildStream = await startBuild(docker, input.builder, pack(input.context), {
    t: `${repo}:${input.tag}`,
    buildargs: input.buildArgs,
  });
  let prepare: number | undefined;
  const built = await followStream(docker, buildStream, () => {
    prepare ??= mark();
  });
  const imageId =
    built.map(auxOf).find((aux) => aux?.ID)?.ID ??
    (await docker.getImage(`${repo}:${input.tag}`).inspect()).Id;
  const build = mark();

  const pushStream = await docker.getImage(repo).push({
    tag: input.tag,
    authconfig: { username: registry.username, password: registry.password, serveraddress: registry.host },
  });
  const pushed = await followStream(docker, pushStream);
  const digest = pushed.map(auxOf).find((aux) => aux?.Digest)?.Digest;
  if (!digest) throw new Error(`The push of ${repo}:${input.tag} reported no digest`);
  const ref = `${repo}@${digest}`;
  const push = mark();

  const portKey = `${input.containerPort}/tcp`;
  const container = await docker.createContainer({
    name: input.containerName,
    Image: ref,
    Env: Object.entries(input.env).map(([key, value]) => `${key}=${value}`),
    ExposedPorts: { [portKey]: {} },
    HostConfig: {
      PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(input.hostPort) }] },
      RestartPolicy: { Name: 'unless-stopped' },
    },
  });
  await container.start();
  const run = mark();

  const healthPolls = await pollHealth(
    `http://127.0.0.1:${input.hostPort}${input.healthPath}`,
    input.intervalMs,
    input.timeoutMs,
  );
  const health = mark();
  return {
    imageId,
    ref,
    containerId: container.id,
    healthPolls,
    steps: { prepare: prepare ?? 0, build, push, run, health },
  };
}
