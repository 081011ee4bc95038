/**
 * `.deployment/` (state, history, run logs) sits beside the config, often inside a service's build
 * context. Unless `.dockerignore` leaves it out, every run changes the context, so `plan` never
 * says noop and `up` rebuilds: `berth init` writes the entry; this finds configs that lack it.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { filterContextPaths } from '@berth/core/docker';
import type { ResolvedService } from './resolve-service.js';

/** Services whose build context would send `.deployment/` to the builder. */
export async function contextsSendingDeploymentDir(
  services: ResolvedService[],
  configDir: string,
): Promise<ResolvedService[]> {
  const found: ResolvedService[] = [];
  for (const service of services) {
    if (!('build' in service.spec.image)) continue;
    const context = service.spec.image.build.context;
    const inside = relative(context, join(configDir, '.deployment', 'logs', 'run.log'));
    if (inside.startsWith('..') || isAbsolute(inside)) continue;
    const ignore = await readFile(join(context, '.dockerignore'), 'utf8').catch(() => '');
    if (filterContextPaths([inside], ignore, []).length > 0) found.push(service);
  }
  return found;
}

/** The warning for one such service. */
export function deploymentDirWarning(service: ResolvedService): string {
  return `warning: ${service.service}: the build context includes .deployment/ (state and run logs), so every run changes the image; add ".deployment" to its .dockerignore`;
}
