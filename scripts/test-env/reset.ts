/** `--reset`: every component stops and removes what it made, then the state directory and the env file go. */
import { rmSync } from 'node:fs';
import type { Component, Context } from './component.ts';
import { dockerPing, removeImage } from './docker-client.ts';
import { log } from './log.ts';

/** Images this run's configuration owns: the namespace's, the registry self-check's, and untagged labelled ones. */
export function ownedLeftover(
  tags: readonly string[] | undefined,
  namespace: string,
  selfCheckRepository: string,
): boolean {
  const named = (tags ?? []).filter((tag) => tag !== '<none>:<none>');
  return (
    named.length === 0 ||
    named.every((tag) => tag.startsWith(`${namespace}/`) || tag.startsWith(`${selfCheckRepository}:`))
  );
}

export async function resetEnvironment(context: Context, components: readonly Component[]): Promise<void> {
  const { config, docker } = context;
  for (const component of [...components].reverse()) await component.reset?.(context);
  if (await dockerPing(docker)) {
    log('removing the images built by this script');
    const namespace = config.images.busybox.split('/')[0] ?? 'berth';
    const selfCheck = `${config.registry.host}/${config.registry.selfCheckRepo}`;
    const labelled = await docker.listImages({
      filters: JSON.stringify({ label: [config.images.hashLabel] }),
    } as object);
    for (const image of labelled) {
      if (ownedLeftover(image.RepoTags, namespace, selfCheck)) await removeImage(docker, image.Id);
    }
    for (const image of await docker.listImages({
      filters: JSON.stringify({ reference: [selfCheck] }),
    } as object)) {
      await removeImage(docker, image.Id);
    }
  }
  log(`removing ${config.stateDir} (registry data, password, SSH keys) and ${config.envFile}`);
  rmSync(config.stateDir, { recursive: true, force: true });
  rmSync(config.envFile, { force: true });
  log(
    `reset done; dockerd keeps running, ${config.docker.daemonJson} is left as is, and so are the user ` +
      `${config.sshd.user}, ${config.sshd.baseDir} and the caches in ${config.cacheDir}`,
  );
}
