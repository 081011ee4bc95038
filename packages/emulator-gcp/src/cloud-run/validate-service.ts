import { invalidArgument, type JsonObject } from '../rpc/rpc-error.js';

const serviceIdPattern = /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/;
const revisionPattern = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const envNamePattern = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const reservedEnv = new Set(['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION']);
const reservedPrefixes = [
  'run.googleapis.com/',
  'cloud.googleapis.com/',
  'serving.knative.dev/',
  'autoscaling.knative.dev/',
];
const labelKeyPattern = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const labelValuePattern = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;

/** Check a service id: begins with a letter, fewer than 50 characters, no trailing hyphen. */
export function validateServiceId(serviceId: string): void {
  if (!serviceIdPattern.test(serviceId))
    throw invalidArgument(
      'service_id',
      `service_id '${serviceId}' is invalid: it must begin with a letter, contain only lowercase letters, digits and hyphens, not end with a hyphen, and have fewer than 50 characters.`,
    );
}

/** CPU in cores of a Cloud Run limit (`1`, `2`, `1000m`, `0.5`), or NaN. */
export function cpuCores(value: string): number {
  if (/^\d+m$/.test(value)) return Number(value.slice(0, -1)) / 1000;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  return Number.NaN;
}

/** Memory in bytes of a limit (`512Mi`, `1Gi`, `512M`), or NaN. */
export function memoryBytes(value: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(value);
  if (!match) return Number.NaN;
  const units: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 };
  return Number(match[1]) * (match[2] ? (units[match[2]] ?? 1) : 1);
}

function validateMetadata(kind: 'labels' | 'annotations', values: unknown, field: string): void {
  for (const [key, value] of Object.entries((values as Record<string, string> | undefined) ?? {})) {
    if (reservedPrefixes.some((reserved) => key.startsWith(reserved)))
      throw invalidArgument(
        field,
        `${kind} with the '${key.split('/')[0]}/' namespace are not supported by Cloud Run Admin API v2.`,
      );
    if (kind === 'labels' && (!labelKeyPattern.test(key) || !labelValuePattern.test(value)))
      throw invalidArgument(
        field,
        `Invalid label '${key}': keys and values must be lowercase letters, digits, _ and -, at most 63 characters.`,
      );
  }
}

function validateContainer(container: JsonObject, index: number): void {
  const field = `service.template.containers[${index}]`;
  const ports = (container.ports as JsonObject[] | undefined) ?? [];
  if (ports.length > 1) throw invalidArgument(`${field}.ports`, 'A container may expose at most one port.');
  for (const port of ports) {
    const number = Number(port.containerPort ?? 0);
    if (number !== 0 && (number < 1 || number > 65535))
      throw invalidArgument(`${field}.ports`, 'container_port must be between 1 and 65535.');
    if (port.name && port.name !== 'http1' && port.name !== 'h2c')
      throw invalidArgument(`${field}.ports`, 'Port name must be "http1" or "h2c".');
  }
  const env = (container.env as JsonObject[] | undefined) ?? [];
  const seen = new Set<string>();
  const reserved: string[] = [];
  env.forEach((entry, envIndex) => {
    const name = String(entry.name ?? '');
    if (!envNamePattern.test(name))
      throw invalidArgument(`${field}.env[${envIndex}].name`, `Invalid environment variable name '${name}'.`);
    if (reservedEnv.has(name)) reserved.push(name);
    if (seen.has(name))
      throw invalidArgument(`${field}.env`, `Environment variable '${name}' is set more than once.`);
    seen.add(name);
  });
  if (reserved.length > 0)
    throw invalidArgument(
      `${field}.env`,
      `The following reserved env names were provided: ${reserved.join(', ')}. These values are automatically set by the system.`,
    );
  const limits =
    ((container.resources as JsonObject | undefined)?.limits as Record<string, string> | undefined) ?? {};
  for (const [key, value] of Object.entries(limits)) {
    if (key === 'cpu' && !(cpuCores(value) > 0 && cpuCores(value) <= 8))
      throw invalidArgument(
        `${field}.resources.limits`,
        `Invalid value for limit 'cpu': ${value}. CPU must be at most 8.`,
      );
    if (key === 'memory') {
      const bytes = memoryBytes(value);
      if (!(bytes >= 128 * 1024 ** 2 && bytes <= 32 * 1024 ** 3))
        throw invalidArgument(
          `${field}.resources.limits`,
          `Invalid value for limit 'memory': ${value}. Memory must be between 128Mi and 32Gi.`,
        );
    }
    if (key !== 'cpu' && key !== 'memory' && key !== 'nvidia.com/gpu')
      throw invalidArgument(`${field}.resources.limits`, `Unsupported resource limit '${key}'.`);
  }
}

/** Validate a service as Cloud Run does before it accepts a create or update. */
export function validateService(service: JsonObject, serviceId: string): void {
  validateMetadata('labels', service.labels, 'service.labels');
  validateMetadata('annotations', service.annotations, 'service.annotations');
  if (typeof service.description === 'string' && service.description.length > 512)
    throw invalidArgument('service.description', 'Description must be at most 512 characters.');
  const template = (service.template as JsonObject | undefined) ?? {};
  validateMetadata('labels', template.labels, 'service.template.labels');
  validateMetadata('annotations', template.annotations, 'service.template.annotations');
  const revision = typeof template.revision === 'string' ? template.revision : '';
  if (revision !== '') {
    if (!revision.startsWith(`${serviceId}-`))
      throw invalidArgument(
        'service.template.revision',
        `Revision name '${revision}' must be prefixed by the name of the enclosing Service with a trailing -: '${serviceId}-'.`,
      );
    if (!revisionPattern.test(revision))
      throw invalidArgument(
        'service.template.revision',
        `Revision name '${revision}' must be a DNS label of at most 63 characters.`,
      );
  }
  const containers = (template.containers as JsonObject[] | undefined) ?? [];
  if (containers.length === 0)
    throw invalidArgument('service.template.containers', 'A revision template needs at least one container.');
  if (containers.length > 10)
    throw invalidArgument('service.template.containers', 'A revision can have at most 10 containers.');
  const ingress = containers.filter(
    (container) => ((container.ports as JsonObject[] | undefined) ?? []).length > 0,
  );
  if (containers.length > 1 && ingress.length !== 1)
    throw invalidArgument(
      'service.template.containers',
      'Exactly one container must expose a port when a revision has several containers.',
    );
  containers.forEach(validateContainer);
  const concurrency = Number(template.maxInstanceRequestConcurrency ?? 0);
  if (concurrency < 0 || concurrency > 1000)
    throw invalidArgument(
      'service.template.max_instance_request_concurrency',
      'Concurrency must be between 1 and 1000.',
    );
  const cpu = cpuCores(
    String(
      ((containers[0]?.resources as JsonObject | undefined)?.limits as Record<string, string> | undefined)
        ?.cpu ?? '1',
    ),
  );
  if (cpu < 1 && concurrency > 1)
    throw invalidArgument(
      'service.template.max_instance_request_concurrency',
      'Total cpu < 1 is not supported with concurrency > 1.',
    );
  const scaling = (template.scaling as JsonObject | undefined) ?? {};
  const min = Number(scaling.minInstanceCount ?? 0);
  const max = Number(scaling.maxInstanceCount ?? 0);
  if (min < 0 || max < 0)
    throw invalidArgument('service.template.scaling', 'Instance counts must not be negative.');
  if (max > 0 && min > max)
    throw invalidArgument(
      'service.template.scaling',
      'min_instance_count must be less than or equal to max_instance_count.',
    );
  const timeout = typeof template.timeout === 'string' ? Number.parseFloat(template.timeout) : 0;
  if (timeout > 3600)
    throw invalidArgument('service.template.timeout', 'Request timeout must be at most 3600s.');
}
