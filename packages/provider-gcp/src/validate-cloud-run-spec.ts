import { type ServiceSpec, serviceNameOf, type ValidationIssue } from '@berth/core';

/** Cloud Run's own limits, checked before any I/O. Pure. */
export function validateCloudRunSpec(spec: ServiceSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const service = serviceNameOf(spec);
  if (service.length >= 50)
    issues.push({
      path: 'name',
      message: `the Cloud Run service name '${service}' has ${service.length} characters; Cloud Run allows fewer than 50`,
      hint: 'Shorten `name` or `environment`.',
    });
  const resources = spec.resources ?? {};
  if (resources.cpu !== undefined && resources.cpu > 8)
    issues.push({
      path: 'resources.cpu',
      message: 'Cloud Run allows at most 8 vCPUs',
      hint: 'Use 1, 2, 4, 6 or 8 (or less than 1).',
    });
  if (resources.cpu !== undefined && resources.cpu < 1 && (resources.concurrency ?? 80) > 1)
    issues.push({
      path: 'resources.concurrency',
      message: 'Cloud Run needs concurrency 1 when cpu is below 1',
      hint: 'Set `resources.concurrency: 1`, or cpu to 1 or more.',
    });
  if (resources.memory !== undefined) {
    const [, amount = '0', unit = 'Mi'] = /^(\d+)(Mi|Gi)$/.exec(resources.memory) ?? [];
    const mebibytes = Number(amount) * (unit === 'Gi' ? 1024 : 1);
    if (mebibytes < 128 || mebibytes > 32 * 1024)
      issues.push({
        path: 'resources.memory',
        message: 'Cloud Run memory must be between 128Mi and 32Gi',
        hint: 'e.g. 512Mi or 1Gi.',
      });
  }
  if (resources.concurrency !== undefined && resources.concurrency > 1000)
    issues.push({
      path: 'resources.concurrency',
      message: 'Cloud Run allows at most 1000 concurrent requests per instance',
      hint: 'Lower it.',
    });
  return issues;
}
