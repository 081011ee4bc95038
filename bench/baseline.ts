/**
 * The baseline: the steps of a deploy written straight against the Docker Engine API (dockerode),
 * with nothing Berth adds — no spec validation, lock, state, secrets, fingerprint or extra checks.
 * Build the context (tarred whole with tar-fs) → push one tag with auth → create and start the
 * container by digest on 127.0.0.1 → poll the health path until it answers 200.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { pack } from 'tar-fs';

/** One baseline deploy. */
export interface BaselineInput {
  docker: Docker;
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
  aux?: { ID?: string; Digest?: string };
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

  const buildStream = await docker.buildImage(pack(input.context), {
    t: `${repo}:${input.tag}`,
    buildargs: input.buildArgs,
    rm: true,
    forcerm: true,
  });
  let prepare: number | undefined;
  const built = await followStream(docker, buildStream, () => {
    prepare ??= mark();
  });
  const imageId =
    built.find((message) => message.aux?.ID)?.aux?.ID ??
    (await docker.getImage(`${repo}:${input.tag}`).inspect()).Id;
  const build = mark();

  const pushStream = await docker.getImage(repo).push({
    tag: input.tag,
    authconfig: { username: registry.username, password: registry.password, serveraddress: registry.host },
  });
  const pushed = await followStream(docker, pushStream);
  const digest = pushed.find((message) => message.aux?.Digest)?.aux?.Digest;
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
