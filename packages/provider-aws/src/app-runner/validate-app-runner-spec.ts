import { type ServiceSpec, serviceNameOf, type ValidationIssue } from '@berth/core';
import { appRunnerInstance } from './app-runner-sizes.js';
import { secondsOf } from './build-app-runner-request.js';

/** App Runner's `ServiceName` pattern. */
export const appRunnerServiceName = /^[A-Za-z0-9][A-Za-z0-9-_]{3,39}$/;

/** App Runner's limits, checked before anything changes. Pure. */
export function validateAppRunnerSpec(spec: ServiceSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const service = serviceNameOf(spec);
  if (!appRunnerServiceName.test(service))
    issues.push({
      path: 'name',
      message: `the App Runner service name '${service}' must be 4–40 letters, digits, - or _ (it has ${service.length} characters)`,
      hint: 'Shorten `name` or `environment` (the service is `<name>-<environment>`).',
    });
  const health = spec.health;
  const inRange = (path: string, value: number, what: string) => {
    if (value < 1 || value > 20)
      issues.push({
        path,
        message: `App Runner's health check ${what} must be 1–20; the spec gives ${value}`,
        hint: `Set \`${path}\` within App Runner's limits (seconds for times).`,
      });
  };
  inRange('health.intervalMs', secondsOf(health.intervalMs), 'interval (seconds)');
  inRange('health.attemptTimeoutMs', secondsOf(health.attemptTimeoutMs), 'timeout (seconds)');
  inRange('health.successThreshold', health.successThreshold, 'healthy threshold');
  const resources = spec.resources ?? {};
  if (!appRunnerInstance(resources))
    issues.push({
      path: resources.cpu === undefined ? 'resources.memory' : 'resources.cpu',
      message: `App Runner has no instance with cpu ${resources.cpu ?? '(any)'} and memory ${resources.memory ?? '(any)'}`,
      hint: 'Use 0.25 vCPU with 512Mi/1Gi, 0.5 with 1Gi, 1 with 2Gi–4Gi, 2 with 4Gi/6Gi, or 4 with 8Gi–12Gi.',
    });
  return issues;
}
