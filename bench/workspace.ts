/**
 * The bench's throwaway resources: a unique copy of hello-agent's build context per deploy, and the
 * removal of everything a deploy left in the engine. Only names the bench made are ever touched.
 */
import { appendFile, cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';

/** hello-agent's build context. */
export const helloAgentApp = fileURLToPath(new URL('../examples/hello-agent/app', import.meta.url));

/** Where unique contexts are written: inside the repository (gitignored), so the git tag step runs as it would for a user. */
export const contextsRoot = fileURLToPath(new URL('./.contexts', import.meta.url));

/** Prefixes of every container and repository the bench creates. */
export const benchNames = {
  /** Berth's containers are `berth-<service>-<revision>`; bench services are `hello-agent-bench…`. */
  berthContainer: 'berth-hello-agent-bench',
  berthRepository: 'berth/hello-agent-bench',
  baselineContainer: 'bench-baseline-',
  baselineRepository: 'bench-baseline/',
} as const;

/**
 * Copy hello-agent's app to `<contextsRoot>/<label>` with a comment naming `label` appended to
 * `server.mjs`: the copied layer and every step after it miss the engine's layer cache, the context
 * fingerprint is new, and the pushed layer is new to the registry.
 */
export async function uniqueContext(label: string): Promise<string> {
  const folder = join(contextsRoot, label);
  await cp(helloAgentApp, folder, { recursive: true });
  await appendFile(join(folder, 'server.mjs'), `// bench deploy ${label}\n`);
  return folder;
}

/** Remove the unique contexts. */
export function removeContexts(): Promise<void> {
  return rm(contextsRoot, { recursive: true, force: true });
}

/** Remove containers whose name starts with `prefix`, running or not. */
export async function removeContainers(docker: Docker, prefix: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { name: [prefix] } });
  for (const container of containers) {
    if (!container.Names.some((name) => name.replace(/^\//, '').startsWith(prefix))) continue;
    await docker.getContainer(container.Id).remove({ force: true });
  }
}

/**
 * Remove images with a tag in a repository `registry/<repositoryPrefix>…`, with their untagged parent
 * layers (so no later build finds them in its cache).
 */
export async function removeImages(
  docker: Docker,
  registry: string,
  repositoryPrefix: string,
): Promise<void> {
  const wanted = `${registry}/${repositoryPrefix}`;
  for (const image of await docker.listImages()) {
    if (!(image.RepoTags ?? []).some((tag) => tag.startsWith(wanted))) continue;
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }
}
