/** From a validated config to one service's spec in one environment. Pure. */
import { isAbsolute, resolve } from 'node:path';
import type { Hook, ServiceSpecInput } from '@berth/core';
import type { BerthConfig } from './config-schema.js';

/** One service, ready for the engine. */
export interface ResolvedService {
  /** The service's key in `services`. */
  key: string;
  /** The deployed service, `${name}-${environment}`. */
  service: string;
  targetName: string;
  spec: ServiceSpecInput;
  hooks: Hook[];
  dependsOn: string[];
}

function absolute(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** The spec of service `key` in `environment`, overrides applied and paths made absolute. */
export function resolveService(
  config: BerthConfig,
  key: string,
  environment: string,
  baseDir: string,
): ResolvedService {
  const service = config.services[key];
  if (!service) throw new Error(`unknown service ${key}`);
  const override = service.environments[environment] ?? {};
  const { name, ...spec } = service.spec;
  const secrets = Object.fromEntries(
    Object.entries({ ...spec.secrets, ...override.secrets }).map(([secret, source]) => [
      secret,
      'fromFile' in source ? { fromFile: absolute(baseDir, source.fromFile) } : source,
    ]),
  );
  const image =
    'build' in spec.image
      ? { build: { ...spec.image.build, context: absolute(baseDir, spec.image.build.context) } }
      : spec.image;
  const resources =
    spec.resources || override.resources ? { ...spec.resources, ...override.resources } : undefined;
  const resolved: ServiceSpecInput = {
    ...spec,
    name: name ?? key,
    environment,
    image,
    env: { ...spec.env, ...override.env },
    secrets,
    ...(resources ? { resources } : {}),
    ...(override.public !== undefined ? { public: override.public } : {}),
    ...(override.rollback !== undefined ? { rollback: override.rollback } : {}),
  };
  return {
    key,
    service: `${resolved.name}-${environment}`,
    targetName: override.target ?? service.target ?? config.defaults.target,
    spec: resolved,
    hooks: [...config.hooks, ...service.hooks],
    dependsOn: service.dependsOn,
  };
}
