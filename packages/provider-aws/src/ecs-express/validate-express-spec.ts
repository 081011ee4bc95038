import { type ServiceSpec, serviceNameOf, type ValidationIssue } from '@berth/core';
import { fargateSize } from './fargate-sizes.js';

/** ECS Express's limits, checked before anything changes. Pure. */
export function validateExpressSpec(spec: ServiceSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const service = serviceNameOf(spec);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/.test(service))
    issues.push({
      path: 'name',
      message: `'${service}' is not an ECS service name`,
      hint: 'Use letters, digits, - and _.',
    });
  const resources = spec.resources ?? {};
  if (!fargateSize(resources))
    issues.push({
      path: resources.cpu === undefined ? 'resources.memory' : 'resources.cpu',
      message: `Fargate has no task size with cpu ${resources.cpu ?? '(any)'} and memory ${resources.memory ?? '(any)'}`,
      hint: 'e.g. 0.25 vCPU with 512Mi–2Gi, 0.5 with 1Gi–4Gi, 1 with 2Gi–8Gi, 2 with 4Gi–16Gi, 4 with 8Gi–30Gi.',
    });
  if (resources.minInstances === 0)
    issues.push({
      path: 'resources.minInstances',
      message: 'ECS Express runs at least one task',
      hint: 'Set `resources.minInstances` to 1 or more.',
    });
  return issues;
}
