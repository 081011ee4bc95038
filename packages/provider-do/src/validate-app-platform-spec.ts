import { type ServiceSpec, serviceNameOf, type ValidationIssue } from '@berth/core';
import { isAppName } from './app-names.js';
import { instanceSizeFor } from './instance-sizes.js';

const nameHint =
  'App Platform app and component names are 2–32 characters: a lowercase letter, then lowercase letters, digits or -, not ending with -. Shorten `name` or `environment`.';

/** App Platform's rules on top of the core ones. Pure. */
export function validateAppPlatformSpec(spec: ServiceSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const app = serviceNameOf(spec);
  if (!isAppName(app))
    issues.push({
      path: 'name',
      message: `the app name "${app}" is not a valid App Platform app name`,
      hint: nameHint,
    });
  else if (!isAppName(spec.name))
    issues.push({
      path: 'name',
      message: `"${spec.name}" is not a valid App Platform component name`,
      hint: nameHint,
    });
  if (!spec.public)
    issues.push({
      path: 'public',
      message: 'App Platform serves an HTTP service publicly at its live URL',
      hint: 'Remove `public: false`: appPlatform() deploys public HTTP services only.',
    });
  const resources = spec.resources ?? {};
  if (!instanceSizeFor(resources))
    issues.push({
      path: 'resources',
      message: 'no App Platform instance size has that much CPU and memory',
      hint: 'The largest is apps-d-8vcpu-32gb: at most cpu 8 and memory 32Gi.',
    });
  if (resources.minInstances === 0)
    issues.push({
      path: 'resources.minInstances',
      message: 'App Platform does not scale a service to zero',
      hint: 'Use minInstances of 1 or more.',
    });
  for (const key of ['maxInstances', 'concurrency'] as const)
    if (resources[key] !== undefined)
      issues.push({
        path: `resources.${key}`,
        message: `appPlatform() runs a fixed instance count and does not apply ${key}`,
        hint: 'Remove it; set `minInstances` for the instance count.',
      });
  return issues;
}
