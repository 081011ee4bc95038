import type { ProviderContext } from '@berth/core';
import type Dockerode from 'dockerode';
import { type BuildContext, packBuildContext } from './build-context.js';
import { buildFailedError, mapDockerError } from './map-docker-error.js';
import { readDockerStream, streamErrorMessage } from './read-docker-stream.js';

/** How many trailing lines of build output an IMAGE_BUILD_FAILED error keeps in `details.output`. */
export const buildOutputTail = 20;

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
  /**
   * Called once the engine has taken the whole context and started building: a moment to start
   * other work on this thread without delaying the upload.
   */
  onStarted?: () => void;
}

/** The steps of a build line `Step 3/7 : RUN …`, when it is one. */
export function parseBuildStep(line: string): { current: number; total: number } | undefined {
  const match = /^Step (\d+)\/(\d+) :/.exec(line);
  return match ? { current: Number(match[1]), total: Number(match[2]) } : undefined;
}

/**
 * Build the image with the engine's classic builder, streaming the context as a tar. Reports
 * `Step n/m` lines as `build` progress and turns an error inside the stream into IMAGE_BUILD_FAILED
 * with the last lines of output. Resolves the image ID.
 *
 * Passes no `labels`: the classic builder turns them into one more `LABEL` step, a container created
 * and committed on every build (tens of milliseconds). Images are found again by their tag instead.
 */
export async function runDockerBuild(input: DockerBuildInput, context: ProviderContext): Promise<string> {
  const options: Dockerode.ImageBuildOptions = {
    t: input.tag,
    dockerfile: input.context.dockerfile,
    pull: input.pull,
    rm: true,
    forcerm: true,
    abortSignal: context.signal,
  };
  if (input.args && Object.keys(input.args).length > 0) options.buildargs = input.args;
  if (input.platform) options.platform = input.platform;

  const output: string[] = [];
  let partialLine = '';
  let imageId: string | undefined;
  const addLine = (line: string) => {
    output.push(line);
    if (output.length > buildOutputTail) output.shift();
    const step = parseBuildStep(line);
    if (step) context.progress({ step: 'build', message: line, ...step, unit: 'steps' });
    const built = /^Successfully built ([0-9a-f]+)$/.exec(line);
    if (built?.[1] && !imageId) imageId = built[1];
    context.log('debug', line, { step: 'build' });
  };

  try {
    const stream = await input.docker.buildImage(packBuildContext(input.context), options);
    input.onStarted?.();
    for await (const message of readDockerStream(stream)) {
      const error = streamErrorMessage(message);
      if (error !== undefined) {
        if (partialLine) addLine(partialLine);
        throw buildFailedError(error.trim(), [...output]);
      }
      if (message.aux?.ID) imageId = message.aux.ID;
      if (message.stream) {
        const lines = (partialLine + message.stream).split(/\r?\n/);
        partialLine = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') addLine(line);
      }
    }
    if (partialLine.trim() !== '') addLine(partialLine);
    // The stream's `aux.ID` is the full ID; only an engine that reports a short one needs asking.
    if (imageId && /^sha256:[0-9a-f]{64}$/.test(imageId)) return imageId;
    const inspected = await input.docker.getImage(imageId ?? input.tag).inspect();
    return inspected.Id;
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    throw mapDockerError(error, 'build', input.engine);
  }
}
