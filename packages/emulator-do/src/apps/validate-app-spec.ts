import { invalidField } from '../protocol/do-error.js';
import { appRegions, instanceSizes } from './app-spec.js';

const namePattern = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const keyPattern = /^[_A-Za-z][_A-Za-z0-9]*$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;
const scopes = ['UNSET', 'RUN_TIME', 'BUILD_TIME', 'RUN_AND_BUILD_TIME'];
const envTypes = ['GENERAL', 'SECRET'];
const registryTypes = ['DOCKER_HUB', 'DOCR', 'GHCR'];
const sources = ['image', 'git', 'github', 'gitlab', 'bitbucket'];
/** Component kinds of the spec the emulator does not run; a spec with one is refused, not ignored. */
const unmodelled = ['workers', 'jobs', 'static_sites', 'functions', 'databases'];

type Problem = [field: string, problem: string];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkName(field: string, value: unknown): Problem | undefined {
  if (typeof value !== 'string' || value === '') return [field, 'is required'];
  if (value.length < 2 || value.length > 32)
    return [field, `must be between 2 and 32 characters long, got ${value.length}`];
  if (!namePattern.test(value)) return [field, `must match ${namePattern.source}`];
  return undefined;
}

function checkInteger(field: string, value: unknown, min: number, max: number): Problem | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) return [field, 'must be an integer'];
  if (value < min || value > max) return [field, `must be between ${min} and ${max}, got ${value}`];
  return undefined;
}

function checkEnvs(field: string, envs: unknown): Problem | undefined {
  if (envs === undefined) return undefined;
  if (!Array.isArray(envs)) return [field, 'must be a list'];
  const seen = new Set<string>();
  for (const [index, env] of envs.entries()) {
    const at = `${field}[${index}]`;
    if (!isObject(env)) return [at, 'must be an object'];
    if (typeof env.key !== 'string' || env.key === '') return [`${at}.key`, 'is required'];
    if (!keyPattern.test(env.key)) return [`${at}.key`, `must match ${keyPattern.source}`];
    if (seen.has(env.key)) return [`${at}.key`, `duplicate key ${env.key}`];
    seen.add(env.key);
    if (env.scope !== undefined && !scopes.includes(String(env.scope)))
      return [`${at}.scope`, `must be one of ${scopes.join(', ')}`];
    if (env.type !== undefined && !envTypes.includes(String(env.type)))
      return [`${at}.type`, `must be one of ${envTypes.join(', ')}`];
    if (env.value !== undefined && typeof env.value !== 'string') return [`${at}.value`, 'must be a string'];
  }
  return undefined;
}

function checkImage(field: string, image: Record<string, unknown>): Problem | undefined {
  if (!registryTypes.includes(String(image.registry_type)))
    return [`${field}.registry_type`, `must be one of ${registryTypes.join(', ')}`];
  if (typeof image.repository !== 'string' || image.repository === '')
    return [`${field}.repository`, 'is required'];
  if (image.registry_type === 'DOCR' && image.registry)
    return [`${field}.registry`, 'must be empty for registry type DOCR'];
  if (image.registry_type !== 'DOCR' && !image.registry)
    return [`${field}.registry`, `is required for registry type ${String(image.registry_type)}`];
  if (image.tag !== undefined && image.digest !== undefined)
    return [`${field}.digest`, 'cannot be specified together with tag'];
  if (image.digest !== undefined && !digestPattern.test(String(image.digest)))
    return [`${field}.digest`, 'must be a sha256 digest (sha256:<64 hex characters>)'];
  if (isObject(image.deploy_on_push) && image.deploy_on_push.enabled === true) {
    if (image.registry_type !== 'DOCR')
      return [`${field}.deploy_on_push`, 'can only be used for images hosted in DOCR'];
    if (image.digest !== undefined)
      return [`${field}.deploy_on_push`, 'can only be used with an image tag, not a digest'];
  }
  return undefined;
}

function checkService(field: string, service: unknown, names: Set<string>): Problem | undefined {
  if (!isObject(service)) return [field, 'must be an object'];
  const name = checkName(`${field}.name`, service.name);
  if (name) return name;
  if (names.has(String(service.name)))
    return [`${field}.name`, `duplicate component name ${String(service.name)}`];
  names.add(String(service.name));
  const given = sources.filter((source) => service[source] !== undefined);
  if (given.length === 0) return [field, `requires a source: one of ${sources.join(', ')}`];
  if (given.length > 1)
    return [`${field}.${given[1]}`, `only one source may be set, got ${given.join(', ')}`];
  if (given[0] !== 'image')
    return [
      `${field}.${given[0]}`,
      'is not supported by this emulator (it builds nothing: use an image source)',
    ];
  if (!isObject(service.image)) return [`${field}.image`, 'must be an object'];
  const image = checkImage(`${field}.image`, service.image);
  if (image) return image;
  const problem =
    checkInteger(`${field}.http_port`, service.http_port, 1, 65535) ??
    checkInteger(`${field}.instance_count`, service.instance_count, 1, Number.MAX_SAFE_INTEGER);
  if (problem) return problem;
  if (service.instance_size_slug !== undefined && !(String(service.instance_size_slug) in instanceSizes))
    return [`${field}.instance_size_slug`, `unknown instance size ${String(service.instance_size_slug)}`];
  const envs = checkEnvs(`${field}.envs`, service.envs);
  if (envs) return envs;
  if (service.health_check !== undefined) {
    const at = `${field}.health_check`;
    const check = service.health_check;
    if (!isObject(check)) return [at, 'must be an object'];
    if (check.http_path !== undefined && !String(check.http_path).startsWith('/'))
      return [`${at}.http_path`, 'must start with /'];
    const bound =
      checkInteger(`${at}.port`, check.port, 1, 65535) ??
      checkInteger(`${at}.initial_delay_seconds`, check.initial_delay_seconds, 0, 3600) ??
      checkInteger(`${at}.period_seconds`, check.period_seconds, 1, 300) ??
      checkInteger(`${at}.timeout_seconds`, check.timeout_seconds, 1, 120) ??
      checkInteger(`${at}.success_threshold`, check.success_threshold, 1, 1) ??
      checkInteger(`${at}.failure_threshold`, check.failure_threshold, 1, 50);
    if (bound) return bound;
  }
  return undefined;
}

/** The first problem of `spec` as App Platform reports it, or `undefined` when the spec is valid. */
export function findSpecProblem(spec: unknown): Problem | undefined {
  if (!isObject(spec)) return ['spec', 'is required'];
  const name = checkName('name', spec.name);
  if (name) return name;
  if (spec.region !== undefined && !(appRegions as readonly string[]).includes(String(spec.region)))
    return ['region', `must be one of ${appRegions.join(', ')}`];
  const envs = checkEnvs('envs', spec.envs);
  if (envs) return envs;
  for (const kind of unmodelled)
    if (Array.isArray(spec[kind]) && (spec[kind] as unknown[]).length > 0)
      return [kind, 'is not supported by this emulator (it runs services only)'];
  if (spec.services !== undefined && !Array.isArray(spec.services)) return ['services', 'must be a list'];
  const services = (spec.services as unknown[] | undefined) ?? [];
  if (services.length === 0) return ['services', 'an app requires at least one component'];
  const names = new Set<string>();
  for (const [index, service] of services.entries()) {
    const problem = checkService(`services[${index}]`, service, names);
    if (problem) return problem;
  }
  return undefined;
}

/** Throws the 400 App Platform answers for an invalid spec. */
export function validateAppSpec(spec: unknown): void {
  const problem = findSpecProblem(spec);
  if (problem) throw invalidField(...problem);
}
