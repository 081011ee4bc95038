import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BerthError } from '../errors/index.js';
import type { BuiltImage, ImageBuilder, ImageBuildRequest } from '../ports/image-builder.js';

async function listFiles(root: string, folder = root): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else if (entry.isFile()) files.push(relative(root, path));
  }
  return files.sort();
}

/**
 * An image builder that "builds" by fingerprinting the context folder, and "pushes" into memory.
 * For engine tests without Docker: it skips unchanged contexts like the real one.
 */
export function memoryImageBuilder(): ImageBuilder & { builds: number; pushed: Set<string> } {
  const pushed = new Set<string>();
  const fingerprintOf = async (request: ImageBuildRequest) => {
    const hash = createHash('sha256');
    let files: string[];
    try {
      files = await listFiles(request.context);
    } catch (error) {
      throw new BerthError('IMAGE_BUILD_FAILED', `Cannot read build context ${request.context}`, {
        cause: error,
      });
    }
    for (const file of files)
      hash
        .update(file)
        .update('\0')
        .update(await readFile(join(request.context, file)))
        .update('\0');
    hash.update(
      JSON.stringify([request.dockerfile ?? 'Dockerfile', request.args ?? {}, request.platform ?? '']),
    );
    return `sha256:${hash.digest('hex')}`;
  };
  const imageFor = (request: ImageBuildRequest, fingerprint: string, skipped: boolean): BuiltImage => {
    const digest = `sha256:${createHash('sha256').update(`image:${fingerprint}`).digest('hex')}`;
    const repository = request.target
      ? `${request.target.registry}/${request.target.repository}`
      : `memory/${request.service.service}`;
    return { ref: `${repository}@${digest}`, digest, tags: ['latest'], fingerprint, skipped };
  };
  const builder = {
    builds: 0,
    pushed,
    async inspect(request: ImageBuildRequest) {
      const fingerprint = await fingerprintOf(request);
      const image = imageFor(request, fingerprint, true);
      return pushed.has(image.ref) ? { fingerprint, existing: image } : { fingerprint };
    },
    async build(request: ImageBuildRequest) {
      const fingerprint = await fingerprintOf(request);
      const image = imageFor(request, fingerprint, false);
      if (pushed.has(image.ref)) return { ...image, skipped: true };
      builder.builds += 1;
      pushed.add(image.ref);
      return image;
    },
  };
  return builder;
}
