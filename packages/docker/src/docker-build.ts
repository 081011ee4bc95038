import type { ProviderContext } from '@berth/core';
import type Dockerode from 'dockerode';
import { type BuildContext, packBuildContext } from './build-context.js';
import { decodeBuildkitTrace, parseVertexStep } from './buildkit-trace.js';
import { buildFailedError, mapDockerError } from './map-docker-error.js';
import { type DockerStreamMessage, readDockerStream, streamErrorMessage } from './read-docker-stream.js';

/** How many trailing lines of build output an IMAGE_BUILD_FAILED error keeps in `details.output`. */
export const buildOutputTail = 20;

/**
 * Which of the engine's builders runs the build. `buildkit` (the default): BuildKit through the
 * Engine API (`POST /build?version=2`, the context as the request body, no session), as Docker's
 * own CLI has used by default since Docker 23; metadata steps (`USER`, `EXPOSE`, `CMD`, …) cost
 * nothing. `classic`: the legacy builder, which runs a container for every step. An engine without
 * BuildKit (e.g. Windows) is built on with the classic builder.
 */
export type DockerBuilderKind = 'buildkit' | 'classic';

/** One build on the engine. */
export interface DockerBuildInput {
  docker: Dockerode;
  /** Describes the engine in errors, e.g. `unix:///var/run/docker.sock`. */
  engine: string;
  context: BuildContext;
  /** The `name:tag` the engine gives the image. */
  tag: string;
  args?: Record<string, string>;
  platform?: string;
  /** Ask the engine to pull newer base images. */
  pull: boolean;
  builder: DockerBuilderKind;
  /**
   * Called once the engine has taken the whole context and started building: a moment to start
   * other work on this thread without delaying the upload.
   */
  onStarted?: () => void;
}

/** The image ID and the builder that built it (`classic` after a fallback). */
export interface DockerBuildResult {
  imageId: string;
  builder: DockerBuilderKind;
}

/** The steps of a build line `Step 3/7 : RUN …`, when it is one. */
export function parseBuildStep(line: string): { current: number; total: number } | undefined {
  const match = /^Step (\d+)\/(\d+) :/.exec(line);
  return match ? { current: Number(match[1]), total: Number(match[2]) } : undefined;
}

/** An engine's answer that it has no BuildKit. */
export function isBuildkitUnsupported(message: string): boolean {
  return /buildkit (?:is )?not supported|unsupported builder version|builder version 2 is not supported/i.test(
    message,
  );
}

/** `POST /build` through the client's modem (not `buildImage`, which opens a gRPC session for version 2). */
function postBuild(
  docker: Dockerode,
  body: NodeJS.ReadableStream,
  query: Record<string, unknown>,
  signal: AbortSignal,
): Promise<NodeJS.ReadableStream> {
  const modem = docker.modem as {
    dial(options: object, callback: (error: unknown, data: unknown) => void): void;
  };
  return new Promise((resolve, reject) => {
    modem.dial(
      {
        path: '/build?',
        method: 'POST',
        file: body,
        options: query,
        abortSignal: signal,
        isStream: true,
        statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
      },
      (error, data) => (error ? reject(error) : resolve(data as NodeJS.ReadableStream)),
    );
  });
}

/** The build's output: classic `stream` lines and BuildKit trace steps and logs, as lines and progress. */
function buildOutput(context: ProviderContext) {
  const output: string[] = [];
  let partialLine = '';
  const seen = new Set<string>();
  const addLine = (line: string) => {
    output.push(line);
    if (output.length > buildOutputTail) output.shift();
    const step = parseBuildStep(line);
    if (step) context.progress({ step: 'build', message: line, ...step, unit: 'steps' });
    context.log('debug', line, { step: 'build' });
  };
  const flush = () => {
    if (partialLine.trim() !== '') addLine(partialLine);
    partialLine = '';
  };
  const onTrace = (aux: string) => {
    const status = decodeBuildkitTrace(aux);
    if (!status) return;
    for (const vertex of status.vertexes) {
      // A step is reported again as it starts, completes or fails: announce it once.
      if (!vertex.name || !vertex.started || seen.has(vertex.digest)) continue;
      seen.add(vertex.digest);
      const step = parseVertexStep(vertex.name);
      const line = `${vertex.name}${vertex.cached ? ' (cached)' : ''}`;
      output.push(line);
      if (output.length > buildOutputTail) output.shift();
      if (step) context.progress({ step: 'build', message: line, ...step, unit: 'steps' });
      context.log('debug', line, { step: 'build' });
    }
    for (const log of status.logs)
      for (const line of log.text.split(/\r?\n/)) if (line.trim() !== '') addLine(line);
  };
  return {
    output,
    flush,
    take(message: DockerStreamMessage) {
      if (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string')
        return onTrace(message.aux);
      if (message.stream) {
        const lines = (partialLine + message.stream).split(/\r?\n/);
        partialLine = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') addLine(line);
      }
    },
  };
}

/**
 * Build the image on the engine, streaming the context as a tar: with BuildKit unless `builder` is
 * `classic` or the engine has none. Reports the steps (`Step n/m` or `[n/m]`) as `build` progress
 * and turns an error inside the stream into IMAGE_BUILD_FAILED with the last lines of output.
 *
 * Passes no `labels`: the classic builder turns them into one more `LABEL` step, a container created
 * and committed on every build (tens of milliseconds). Images are found again by their tag instead.
 */
export async function runDockerBuild(
  input: DockerBuildInput,
  context: ProviderContext,
): Promise<DockerBuildResult> {
  const query: Record<string, unknown> = {
    t: input.tag,
    dockerfile: input.context.dockerfile,
    pull: input.pull,
    rm: true,
    forcerm: true,
  };
  if (input.args && Object.keys(input.args).length > 0) query.buildargs = input.args;
  if (input.platform) query.platform = input.platform;
  if (input.builder === 'buildkit') query.version = '2';

  const output = buildOutput(context);
  let imageId: string | undefined;
  try {
    const stream = await postBuild(input.docker, packBuildContext(input.context), query, context.signal);
    input.onStarted?.();
    for await (const message of readDockerStream(stream)) {
      const error = streamErrorMessage(message);
      if (error !== undefined) {
        output.flush();
        if (input.builder === 'buildkit' && isBuildkitUnsupported(error)) return classicBuild(input, context);
        throw buildFailedError(error.trim(), [...output.output]);
      }
      if (typeof message.aux === 'object' && message.aux?.ID) imageId = message.aux.ID;
      output.take(message);
    }
    output.flush();
    // The stream's `aux.ID` is the full ID; only an engine that reports a short one needs asking.
    const built = output.output
      .map((line) => /^Successfully built ([0-9a-f]+)$/.exec(line)?.[1])
      .find(Boolean);
    imageId ??= built;
    if (imageId && /^sha256:[0-9a-f]{64}$/.test(imageId)) return { imageId, builder: input.builder };
    const inspected = await input.docker.getImage(imageId ?? input.tag).inspect();
    return { imageId: inspected.Id, builder: input.builder };
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    if (input.builder === 'buildkit' && isBuildkitUnsupported(error instanceof Error ? error.message : ''))
      return classicBuild(input, context);
    throw mapDockerError(error, 'build', input.engine);
  }
}

function classicBuild(input: DockerBuildInput, context: ProviderContext): Promise<DockerBuildResult> {
  context.log('warn', `${input.engine} has no BuildKit; building with the classic builder.`);
  return runDockerBuild({ ...input, builder: 'classic' }, context);
}
