/** The base images, assembled from this machine's files (nothing is pulled): busybox, node, health service. */
import { ensureBusyboxImage } from './busybox-image.ts';
import type { Component } from './component.ts';
import { dockerPing, imagesExist, pruneReplacedImages, removeImage, requireDocker } from './docker-client.ts';
import { ensureHealthServiceImage } from './health-service-image.ts';
import { ensureNodeImage } from './node-image.ts';

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
