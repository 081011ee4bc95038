import type {
  BuiltImage,
  Clock,
  ImageBuilder,
  ImageBuildRequest,
  ImageTarget,
  ProviderContext,
} from '@berth/core';
import { ImageError } from '@berth/core';
import type Dockerode from 'dockerode';
import { type BuildContext, readBuildContext } from './build-context.js';
import { fingerprintContext, fingerprintTag } from './context-fingerprint.js';
import { type DockerBuilderKind, runDockerBuild } from './docker-build.js';
import { checkDockerEngine, describeDockerEngine, dockerEngine } from './docker-engine.js';
import { runDockerPush } from './docker-push.js';
import { computeGitTag, fallbackTag } from './git-tag.js';
import {
  isDigestReference,
  localRepositoryName,
  parseImageReference,
  sameRegistry,
} from './image-reference.js';
import { mapDockerError } from './map-docker-error.js';
import type { FetchFunction, RegistryChallenges } from './registry-auth.js';
import { headManifestDigest } from './registry-digest.js';
import { tagManifest } from './registry-tag.js';

/** Options of `dockerImageBuilder`. */
export interface DockerImageBuilderOptions {
  /** The Docker Engine client. Default: `dockerEngine()` (`DOCKER_HOST`, else `/var/run/docker.sock`), created on first use. */
  docker?: Dockerode;
  /** Tag images with the git commit (short SHA, `-dirty` with uncommitted changes). Default true; false tags `latest`. */
  git?: boolean;
  /** Folder git runs in. Default: the build context. */
  cwd?: string;
  /** Platform to build for when neither the request nor the target names one, e.g. `linux/amd64`. */
  platform?: string;
  /** Let the engine pull newer base images while building. Default false: base images must be local. */
  pull?: boolean;
  /** Clock used to time builds and pushes in logs. Default: the run's clock. */
  clock?: Clock;
  /** `fetch` for registry manifest requests. Default: Berth's own client over `node:http`/`node:https` (`registry-fetch.ts`; the global `fetch` would load all of undici). */
  fetch?: FetchFunction;
  /**
   * The engine's builder: `buildkit` (default; through the Engine API, no session, so no
   * `RUN --mount=type=secret|ssh`) or `classic`. An engine without BuildKit falls back to classic
   * once, with a warning, and this builder remembers it. See docs/image-pipeline.md#builders.
   */
  builder?: DockerBuilderKind;
}

/** What makes two build requests the same: their context, build inputs and target. */
function requestKey(request: ImageBuildRequest): string {
  const { service, context, dockerfile, args, platform, target } = request;
  return JSON.stringify([
    service.service,
    context,
    dockerfile,
    args,
    platform,
    target?.registry,
    target?.repository,
  ]);
}

interface PreparedBuild {
  context: BuildContext;
  platform?: string;
  fingerprint: string;
  fingerprintTag: string;
}

/**
 * The `ImageBuilder` on the Docker Engine API. Builds the context (honouring `.dockerignore`),
 * fingerprints it, and skips build and push when the fingerprint's image is already at the target
 * (or in the local engine without a target). Pushes with the target's credentials and returns a
 * digest reference, `registry/repository@sha256:…`. See docs/image-pipeline.md.
 */
export function dockerImageBuilder(options: DockerImageBuilderOptions = {}): ImageBuilder {
  let client: Dockerode | undefined;
  const docker = (): Dockerode => {
    client ??= options.docker ?? dockerEngine();
    return client;
  };

  const prepare = async (request: ImageBuildRequest): Promise<PreparedBuild> => {
    const context = await readBuildContext(request.context, request.dockerfile);
    const platform = request.platform ?? request.target?.platform ?? options.platform;
    const fingerprint = await fingerprintContext(context, {
      ...(request.args ? { args: request.args } : {}),
      ...(platform ? { platform } : {}),
    });
    return {
      context,
      ...(platform ? { platform } : {}),
      fingerprint,
      fingerprintTag: fingerprintTag(fingerprint),
    };
  };

  // The last `inspect`, which the next `build` of the same request in the same run reuses.
  let lastInspect:
    | { key: string; signal: AbortSignal; prepared: PreparedBuild; existing?: BuiltImage }
    | undefined;

  // Remembered: an engine that answered that it has no BuildKit is built on with the classic builder.
  let builderKind: DockerBuilderKind = options.builder ?? 'buildkit';

  // Remembered per builder: after the first challenge, requests to a Basic registry carry the credentials.
  const challenges: RegistryChallenges = new Map();
  const registryClient = (
    target: Pick<ImageTarget, 'registry' | 'repository' | 'credentials'>,
    context: ProviderContext,
  ) => ({
    registry: target.registry,
    repository: target.repository,
    ...(target.credentials ? { credentials: target.credentials } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    signal: context.signal,
    challenges,
  });

  /** The ID of the first of the `name:tag`s the engine has, checked side by side. */
  const findLocalImage = async (names: string[]): Promise<{ id: string; name: string } | undefined> => {
    const found = await Promise.all(
      names.map((name) =>
        docker()
          .getImage(name)
          .inspect()
          .then(
            (image) => ({ id: image.Id, name }),
            (error: unknown) => {
              if ((error as { statusCode?: unknown } | undefined)?.statusCode === 404) return undefined;
              throw mapDockerError(error, 'inspect', describeDockerEngine(docker()));
            },
          ),
      ),
    );
    return found.find((image) => image !== undefined);
  };

  const findExisting = async (
    request: ImageBuildRequest,
    prepared: PreparedBuild,
    context: ProviderContext,
  ): Promise<BuiltImage | undefined> => {
    const found = { tags: [prepared.fingerprintTag], fingerprint: prepared.fingerprint, skipped: true };
    const target = request.target;
    if (target) {
      const digest = await headManifestDigest({
        ...registryClient(target, context),
        reference: prepared.fingerprintTag,
      });
      return digest
        ? { ref: `${target.registry}/${target.repository}@${digest}`, digest, ...found }
        : undefined;
    }
    const local = await findLocalImage([
      `${localRepositoryName(request.service.service)}:${prepared.fingerprintTag}`,
    ]);
    return local ? { ref: local.id, digest: local.id, ...found } : undefined;
  };

  const tagImage = async (imageId: string, repo: string, tag: string): Promise<void> => {
    try {
      await docker().getImage(imageId).tag({ repo, tag });
    } catch (error) {
      throw mapDockerError(error, 'tag', describeDockerEngine(docker()));
    }
  };

  /**
   * Push the git tag through the engine, then add the fingerprint tag to the pushed manifest in the
   * registry itself: one engine push instead of two. The fingerprint tag goes last, so a registry
   * that has it has the whole image and its git tag, and later runs may skip the build.
   */
  const push = async (
    target: ImageTarget,
    tags: { git: string; fingerprint: string },
    context: ProviderContext,
  ): Promise<string> => {
    const engine = describeDockerEngine(docker());
    const client = registryClient(target, context);
    const digest =
      (await runDockerPush({ docker: docker(), engine, target, tag: tags.git }, context)) ??
      (await headManifestDigest({ ...client, reference: tags.git }));
    if (!digest) {
      throw new ImageError(
        'IMAGE_PUSH_FAILED',
        `The push to ${target.registry}/${target.repository} reported no digest.`,
        {
          retryable: true,
          details: { registry: target.registry, repository: target.repository },
        },
      );
    }
    await tagManifest({ ...client, digest, tag: tags.fingerprint });
    return digest;
  };

  return {
    async inspect(request, context) {
      const prepared = await prepare(request);
      const existing = await findExisting(request, prepared, context);
      lastInspect = {
        key: requestKey(request),
        signal: context.signal,
        prepared,
        ...(existing ? { existing } : {}),
      };
      return { fingerprint: prepared.fingerprint, ...(existing ? { existing } : {}) };
    },

    async build(request, context) {
      const clock = options.clock ?? context.clock;
      const started = clock.now();
      // The deploy engine inspects while its preflight checks run, then builds in the same run (the
      // same signal): the context read and its fingerprint of a moment ago are not computed again.
      // Another run (a `plan()`, then an `up()` after an edit) always reads the context afresh.
      const inspected =
        lastInspect?.key === requestKey(request) && lastInspect.signal === context.signal
          ? lastInspect
          : undefined;
      lastInspect = undefined;
      const prepared = inspected?.prepared ?? (await prepare(request));
      const target = request.target;
      const repo = target
        ? `${target.registry}/${target.repository}`
        : localRepositoryName(request.service.service);
      const fingerprintName = `${repo}:${prepared.fingerprintTag}`;
      // With a target, an image built earlier but never pushed (e.g. a refused login), or built for a
      // deploy without a target, needs no rebuild. Looked up in the engine while the registry is asked.
      const localLookup = target
        ? findLocalImage([
            fingerprintName,
            `${localRepositoryName(request.service.service)}:${prepared.fingerprintTag}`,
          ])
        : Promise.resolve(undefined);
      localLookup.catch(() => undefined);
      // The registry is asked again when the inspect found nothing: the image may have landed since.
      const existing = inspected?.existing ?? (await findExisting(request, prepared, context));
      if (existing) {
        context.log('info', `Image unchanged (${prepared.fingerprintTag}); build and push skipped.`, {
          ref: existing.ref,
        });
        return existing;
      }
      const local = await localLookup;
      // Git runs while the engine builds: its tag is needed only afterwards, and spawning git holds
      // this thread for a moment, so it starts once the context is uploaded.
      let gitTag: Promise<string> | undefined;
      const startGit = (): Promise<string> => {
        gitTag ??=
          options.git === false
            ? Promise.resolve(fallbackTag)
            : computeGitTag(options.cwd ?? request.context);
        return gitTag;
      };
      let imageId: string;
      if (local) {
        startGit();
        imageId = local.id;
        if (local.name !== fingerprintName) await tagImage(imageId, repo, prepared.fingerprintTag);
      } else {
        const result = await runDockerBuild(
          {
            docker: docker(),
            engine: describeDockerEngine(docker()),
            context: prepared.context,
            tag: fingerprintName,
            ...(request.args ? { args: request.args } : {}),
            ...(prepared.platform ? { platform: prepared.platform } : {}),
            pull: options.pull ?? false,
            builder: builderKind,
            onStarted: () => void startGit(),
          },
          context,
        );
        imageId = result.imageId;
        builderKind = result.builder;
        context.log('info', `Built ${fingerprintName} in ${clock.now() - started} ms.`, { imageId });
      }
      const git = await startGit();
      await tagImage(imageId, repo, git);
      const tags = [git, prepared.fingerprintTag];
      const built = { tags, fingerprint: prepared.fingerprint, skipped: false };
      if (!target) return { ref: imageId, digest: imageId, ...built };
      const pushImage = async () => {
        const digest = await push(target, { git, fingerprint: prepared.fingerprintTag }, context);
        context.log('info', `Pushed ${repo} (${tags.join(', ')}) in ${clock.now() - started} ms.`, {
          digest,
        });
        return { ref: `${repo}@${digest}`, digest };
      };
      // The provider runs containers on this engine: it can start the image and push it meanwhile.
      if (target.runsOn !== undefined && target.runsOn === describeDockerEngine(docker()))
        return { ref: fingerprintName, digest: imageId, ...built, push: pushImage };
      return { ...(await pushImage()), ...built };
    },

    async resolve(ref, target, context) {
      if (isDigestReference(ref)) return { ref, digest: ref.slice(ref.lastIndexOf('@') + 1) };
      const parsed = parseImageReference(ref);
      const fromRegistry = async () => {
        try {
          const credentials =
            target && sameRegistry(target.registry, parsed.registry) ? target.credentials : undefined;
          const digest = await headManifestDigest({
            ...registryClient({ ...parsed, ...(credentials ? { credentials } : {}) }, context),
            reference: parsed.tag ?? 'latest',
          });
          return digest ? { ref: `${parsed.registry}/${parsed.repository}@${digest}`, digest } : undefined;
        } catch (error) {
          context.log(
            'warn',
            `Could not resolve ${ref} in its registry: ${error instanceof Error ? error.message : String(error)}`,
          );
          return undefined;
        }
      };
      const fromEngine = async () => {
        try {
          const image = await docker().getImage(ref).inspect();
          return { ref: image.Id, digest: image.Id };
        } catch {
          return undefined;
        }
      };
      // A local deploy runs what the engine has; a remote one only what its registry has.
      const resolved = target ? await fromRegistry() : ((await fromEngine()) ?? (await fromRegistry()));
      return resolved ?? { ref };
    },

    async preflight() {
      return [await checkDockerEngine(docker())];
    },
  };
}
