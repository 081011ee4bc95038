import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors/index.js';
import { type ServiceSpec, serviceSpecSchema } from './service-spec.js';

/** Extra rules a provider adds (name length, characters, sizes it supports). Pure; no I/O. */
export type SpecRule = (spec: ServiceSpec) => ValidationIssue[];

const hints: Record<string, string> = {
  name: 'Use lowercase letters, digits and -, starting with a letter, e.g. "hello-agent".',
  environment: 'Use dev, staging, prod, or another short lowercase label.',
  image: 'Give either { build: { context } } or { ref: "registry/repo:tag" }.',
  port: 'Use the port your container listens on, 1 to 65535 (default 8000).',
  env: 'Use valid environment variable names with string values.',
  secrets: 'Give each secret one source: { generate }, { value }, { fromEnv } or { fromFile }.',
  health: 'See docs/concepts.md#health for the health fields and their defaults.',
  resources: 'Give cpu as a number of vCPUs, memory like "512Mi", and whole instance counts.',
  rollback: 'Use "auto" or "never".',
  publicUrlEnv: 'Name an environment variable, e.g. "SUPERVAIZER_PUBLIC_URL".',
};

function hintFor(path: (string | number | symbol)[], issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `Remove ${issue.keys.map((key) => `"${key}"`).join(', ')}: not a field here.`;
  const top = String(path[0] ?? '');
  return hints[top] ?? 'Check the field against docs/concepts.md#the-service-spec.';
}

function toIssue(issue: z.core.$ZodIssue): ValidationIssue {
  const path = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'invalid_key')
    message = 'is not a valid environment variable name (letters, digits and _, not starting with a digit)';
  if (issue.code === 'invalid_union' && issue.path[0] === 'image')
    message = 'must be { build: { context } } or { ref }';
  if (issue.code === 'invalid_union' && issue.path[0] === 'secrets')
    message = 'must have exactly one source: generate, value, fromEnv or fromFile';
  return { path, message, hint: hintFor(issue.path, issue) };
}

function crossFieldIssues(spec: ServiceSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(spec.secrets)) {
    if (key in spec.env)
      issues.push({
        path: `secrets.${key}`,
        message: `is also set in env`,
        hint: `Keep ${key} in either env or secrets, not both.`,
      });
  }
  if (spec.publicUrlEnv && spec.publicUrlEnv in spec.secrets)
    issues.push({
      path: 'publicUrlEnv',
      message: `${spec.publicUrlEnv} is a secret`,
      hint: 'The public URL is not secret: pick a name that is not in secrets.',
    });
  const checkHeaders = [
    { prefix: 'health', headers: spec.health.headers },
    ...spec.health.checks.map((check, index) => ({
      prefix: `health.checks.${index}`,
      headers: check.headers,
    })),
  ];
  for (const { prefix, headers } of checkHeaders) {
    for (const [header, value] of Object.entries(headers ?? {})) {
      if (typeof value === 'object' && !(value.secret in spec.secrets))
        issues.push({
          path: `${prefix}.headers.${header}`,
          message: `refers to secret ${value.secret}, which the spec does not define`,
          hint: `Add ${value.secret} to secrets, or fix the name.`,
        });
    }
  }
  const { minInstances, maxInstances } = spec.resources ?? {};
  if (minInstances !== undefined && maxInstances !== undefined && minInstances > maxInstances)
    issues.push({
      path: 'resources.minInstances',
      message: `is greater than maxInstances (${maxInstances})`,
      hint: 'Make minInstances at most maxInstances.',
    });
  if (spec.health.maxIntervalMs !== undefined && spec.health.maxIntervalMs < spec.health.intervalMs)
    issues.push({
      path: 'health.maxIntervalMs',
      message: 'is smaller than intervalMs',
      hint: 'Make maxIntervalMs at least intervalMs.',
    });
  return issues;
}

/**
 * Validate a service spec and fill in its defaults. Pure: no I/O. Throws a `ValidationError` listing
 * every rejected field, including those the provider's own rules reject.
 */
export function validateSpec(input: unknown, rules: SpecRule[] = []): ServiceSpec {
  const parsed = serviceSpecSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map(toIssue));
  const spec = parsed.data;
  const issues = [...crossFieldIssues(spec), ...rules.flatMap((rule) => rule(spec))];
  if (issues.length > 0) throw new ValidationError(issues);
  return spec;
}
