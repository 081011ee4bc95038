import { resolve } from 'node:path';
import { BerthError } from '../errors/index.js';
import type { ImageBuilder } from '../ports/image-builder.js';
import type { Provider, ProviderContext, ServiceTarget } from '../provider/provider.js';
import type { ServiceSpec } from '../spec/service-spec.js';

/** The image to deploy, by digest when one is known. */
export interface ResolvedImage {
  ref: string;
  digest?: string;
  /** True when the build and push were skipped (unchanged context already in the registry). */
  skipped?: boolean;
  fingerprint?: string;
  /** The push the builder left to the run (the image runs from the builder's engine): the pushed image by digest. */
  push?: () => Promise<{ ref: string; digest: string }>;
}

/** Split a digest reference `repo@sha256:…`. */
export function digestOf(ref: string): string | undefined {
  const at = ref.lastIndexOf('@');
  return at >= 0 && ref.slice(at + 1).startsWith('sha256:') ? ref.slice(at + 1) : undefined;
}

/** Build and push (or find) the image. `mode: 'inspect'` is read-only, for plans. */
export async function resolveImage(input: {
  spec: ServiceSpec;
  target: ServiceTarget;
  provider: Provider;
  builder: ImageBuilder | undefined;
  context: ProviderContext;
  cwd: string;
  mode: 'build' | 'inspect';
}): Promise<ResolvedImage> {
  const { spec, builder, context } = input;
  const imageTarget = await input.provider.imageTarget?.(context, input.target);
  // Registry credentials are secrets too: redact them from everything the run emits.
  const credentials = imageTarget?.credentials;
  if (credentials)
    for (const value of 'password' in credentials ? [credentials.password] : [credentials.identityToken])
      context.redact?.(value);
  if ('ref' in spec.image) {
    const digest = digestOf(spec.image.ref);
    if (digest) return { ref: spec.image.ref, digest };
    if (!builder?.resolve) return { ref: spec.image.ref };
    const resolved = await builder.resolve(spec.image.ref, imageTarget, context);
    return { ref: resolved.ref, ...(resolved.digest ? { digest: resolved.digest } : {}) };
  }
  if (!builder)
    throw new BerthError('IMAGE_BUILDER_MISSING', 'The spec builds an image but no image builder was given');
  const build = spec.image.build;
  const request = {
    service: input.target,
    context: resolve(input.cwd, build.context),
    ...(build.dockerfile ? { dockerfile: build.dockerfile } : {}),
    ...(build.args ? { args: build.args } : {}),
    ...(build.platform ? { platform: build.platform } : {}),
    ...(imageTarget ? { target: imageTarget } : {}),
  };
  if (input.mode === 'inspect') {
    const found = await builder.inspect(request, context);
    return found.existing
      ? { ref: found.existing.ref, digest: found.existing.digest, fingerprint: found.fingerprint }
      : { ref: `(build ${found.fingerprint.slice(0, 12)})`, fingerprint: found.fingerprint };
  }
  const built = await builder.build(request, context);
  if (built.push) return { ref: built.ref, skipped: false, fingerprint: built.fingerprint, push: built.push };
  return { ref: built.ref, digest: built.digest, skipped: built.skipped, fingerprint: built.fingerprint };
}
