import type { ProviderContext, ServiceTarget } from '../provider/provider.js';

/** Credentials for a container registry. Never logged or stored. */
export type RegistryCredentials =
  | { username: string; password: string }
  /** An OAuth or identity token (sent as the registry's identity token). */
  | { identityToken: string };

/** Where the provider wants the image pushed. */
export interface ImageTarget {
  /** Registry host, e.g. `europe-west1-docker.pkg.dev` or `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `my-project/berth/hello-agent-dev`. */
  repository: string;
  credentials?: RegistryCredentials;
  /** Platform the target runs, e.g. `linux/amd64`. */
  platform?: string;
  /**
   * The Docker engine the provider runs containers on, named as `describeDockerEngine()` of
   * `@berth/docker` names it (`unix:///var/run/docker.sock`), for a provider that can run an image
   * straight from that engine (the local Docker target). A builder on the same engine may then return
   * as soon as the image is built and tagged there, leaving the push to the engine: see
   * `BuiltImage.push`. The engine starts the revision from that engine, pushes while it verifies it,
   * and waits for the push before traffic moves and anything is recorded.
   */
  runsOn?: string;
}

/** What to build. */
export interface ImageBuildRequest {
  service: ServiceTarget;
  /** Absolute path of the build context folder. */
  context: string;
  dockerfile?: string;
  args?: Record<string, string>;
  platform?: string;
  /** Push here; when absent the image stays in the builder's engine and is referenced by its ID. */
  target?: ImageTarget;
}

/** A built (or found) image. */
export interface BuiltImage {
  /** Immutable reference to deploy: `registry/repo@sha256:…`, or the local image ID when not pushed. */
  ref: string;
  /** `sha256:…` digest (the registry manifest digest, or the local image ID). */
  digest: string;
  /** Tags applied, e.g. the short git SHA. */
  tags: string[];
  /** Content fingerprint of the context and build inputs. */
  fingerprint: string;
  /** True when an identical image already existed and the build and push were skipped. */
  skipped: boolean;
  /**
   * Present when the build left the push to the caller (the target's `runsOn` is the builder's
   * engine): `ref` is then a tag that engine resolves to the new image (`registry/repository:fp-…`)
   * and `digest` the local image ID. Calling it (once) pushes and resolves to the pushed image by
   * digest (`registry/repository@sha256:…` and the manifest digest), or rejects with the push's error.
   * The engine calls it once the revision's container is started, so the push never slows the start.
   */
  push?: () => Promise<{ ref: string; digest: string }>;
}

/**
 * The image-builder port. `@berth/docker` supplies the Docker Engine implementation;
 * `@berth/core/testing` an in-memory one. A provider may bring its own (e.g. a remote engine).
 */
export interface ImageBuilder {
  /** Read-only: fingerprint the context and find an identical image already at the target. */
  inspect(
    request: ImageBuildRequest,
    context: ProviderContext,
  ): Promise<{ fingerprint: string; existing?: BuiltImage }>;
  /** Build and, when `request.target` is set, push. Skips both when the fingerprint's image exists. */
  build(request: ImageBuildRequest, context: ProviderContext): Promise<BuiltImage>;
  /** Resolve an existing reference to its digest (for `{ ref }` images). */
  resolve?(
    ref: string,
    target: ImageTarget | undefined,
    context: ProviderContext,
  ): Promise<{ ref: string; digest?: string }>;
  /** Checks such as "the engine is reachable", run in the preflight phase. */
  preflight?(context: ProviderContext): Promise<PreflightCheck[]>;
}

/** One preflight check's outcome. */
export interface PreflightCheck {
  /** e.g. `credentials`, `api:run.googleapis.com`, `docker-engine`. */
  name: string;
  ok: boolean;
  message?: string;
  /** The fix, when `ok` is false. */
  hint?: string;
}
