/** The base images, assembled from this machine's files (nothing is pulled): busybox, node, health service. */
import { ensureBusyboxImage } from './busybox-image.ts';
import type { Component, Context } from './component.ts';
import { dockerPing, imageInspect, pruneReplacedImages, removeImage } from './docker-client.ts';
import { ensureHealthServiceImage } from './health-service-image.ts';
import { TestEnvError } from './log.ts';
import { ensureNodeImage } from './node-image.ts';

/** Throws the usual hint when a component that builds images runs without the engine. */
export async function requireDocker(context: Context, section: string): Promise<void> {
  if (!(await dockerPing(context.docker))) {
    throw new TestEnvError(
      `the docker engine does not answer on ${context.config.docker.socketPath}: run without --only, or with --only docker,${section}`,
    );
  }
}

/** True when every image exists. */
export async function imagesExist(context: Context, images: readonly string[]): Promise<boolean> {
  if (!(await dockerPing(context.docker))) return false;
  for (const image of images) if ((await imageInspect(context.docker, image)) === undefined) return false;
  return true;
}

export const images: Component = {
  name: 'images',
  packages: ['docker.io', 'busybox-static'],
  async ensure(context) {
    await requireDocker(context, 'images');
    await ensureBusyboxImage(context);
    await ensureNodeImage(context);
    await ensureHealthServiceImage(context);
    await pruneReplacedImages(context.docker, context.config.images.hashLabel);
  },
  async envSections(context) {
    const { busybox, node, healthService } = context.config.images;
    if (!(await imagesExist(context, [busybox, node, healthService]))) return undefined;
    return { images: { busybox, node, healthService } };
  },
  async reset(context) {
    if (!(await dockerPing(context.docker))) return;
    // Children before parents: the health service is built FROM the busybox image.
    const { busybox, node, healthService } = context.config.images;
    for (const image of [healthService, node, busybox]) await removeImage(context.docker, image);
  },
};
