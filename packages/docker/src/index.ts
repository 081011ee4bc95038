/**
 * `@berth/docker`: the Docker Engine implementation of the `ImageBuilder` port, and the pieces
 * it is made of. See docs/image-pipeline.md.
 */
export { type BuildContext, type ContextEntry, packBuildContext, readBuildContext } from './build-context.js';
export {
  composeFingerprint,
  fingerprintContext,
  fingerprintTag,
} from './context-fingerprint.js';
export type { DockerBuilderKind } from './docker-build.js';
export {
  checkDockerEngine,
  type DockerEngineOptions,
  describeDockerEngine,
  dockerEngine,
} from './docker-engine.js';
export { type ContextFilter, createContextFilter, filterContextPaths } from './docker-ignore.js';
export { type DockerImageBuilderOptions, dockerImageBuilder } from './docker-image-builder.js';
export { computeGitTag, fallbackTag, type RunGit } from './git-tag.js';
export { type ImageReference, parseImageReference } from './image-reference.js';
export {
  createDockerStreamParser,
  type DockerStreamMessage,
  readDockerStream,
} from './read-docker-stream.js';
export {
  type AuthChallenge,
  type FetchFunction,
  parseAuthChallenge,
  type RegistryChallenges,
  type RegistryClientOptions,
} from './registry-auth.js';
export { headManifestDigest, type ManifestLookup, registryBaseUrl } from './registry-digest.js';
export type { RegistryFetch, RegistryRequestInit, RegistryResponse } from './registry-fetch.js';
export { type ManifestTagging, tagManifest } from './registry-tag.js';
