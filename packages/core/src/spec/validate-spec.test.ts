import { describe, expect, it } from 'vitest';
import { BerthError, ValidationError } from '../errors/index.js';
import { serviceNameOf } from './service-spec.js';
import { validateSpec } from './validate-spec.js';

const valid = { name: 'hello-agent', image: { ref: 'repo/app:1' } };

function issuesOf(input: unknown, rules: Parameters<typeof validateSpec>[1] = []) {
  try {
    validateSpec(input, rules);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect(BerthError.isInstance(error)).toBe(true);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('validateSpec', () => {
  it('fills every default', () => {
    const spec = validateSpec(valid);
    expect(spec).toMatchObject({
      environment: 'dev',
      port: 8000,
      env: {},
      secrets: {},
      rollback: 'auto',
      public: true,
      health: {
        path: '/.well-known/health',
        checks: [],
        timeoutMs: 120_000,
        intervalMs: 25,
        successThreshold: 1,
      },
    });
    expect(serviceNameOf(spec)).toBe('hello-agent-dev');
  });

  it.each([
    [{ ...valid, name: 'Hello_Agent' }, 'name', /lowercase/],
    [{ ...valid, port: 70000 }, 'port', /65535|less than or equal/],
    [{ ...valid, image: { build: {} } }, 'image', /build|ref/],
    [{ ...valid, env: { '1BAD': 'x' } }, 'env.1BAD', /environment variable name/],
    [{ ...valid, secrets: { KEY: { generate: 'password' } } }, 'secrets.KEY', /exactly one source/],
    [{ ...valid, secrets: { KEY: { value: 'a', fromEnv: 'B' } } }, 'secrets.KEY', /exactly one source/],
    [{ ...valid, rollback: 'sometimes' }, 'rollback', /auto|never/],
    [{ ...valid, health: { path: 'health' } }, 'health.path', /start with \//],
    [{ ...valid, resources: { memory: '512MB' } }, 'resources.memory', /512Mi/],
    [{ ...valid, imagee: 'typo' }, '', /imagee/],
  ])('rejects %j naming the field and a fix', (input, path, message) => {
    const issues = issuesOf(input);
    const issue = issues.find((candidate) => candidate.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
    expect(issue!.hint.length).toBeGreaterThan(10);
  });

  it('checks fields against each other', () => {
    const issues = issuesOf({
      ...valid,
      env: { API_KEY: 'x' },
      secrets: { API_KEY: { value: 'secret-value' } },
      publicUrlEnv: 'API_KEY',
      resources: { minInstances: 3, maxInstances: 1 },
      health: {
        headers: { Authorization: { secret: 'ALSO_MISSING' } },
        checks: [{ path: '/agents/health', headers: { 'X-API-Key': { secret: 'MISSING' } } }],
      },
    });
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      'health.checks.0.headers.X-API-Key',
      'health.headers.Authorization',
      'publicUrlEnv',
      'resources.minInstances',
      'secrets.API_KEY',
    ]);
  });

  it('applies provider rules at validation time', () => {
    const issues = issuesOf({ ...valid, name: 'a-very-long-service-name-for-this-provider' }, [
      (spec) =>
        spec.name.length > 20 ? [{ path: 'name', message: 'is longer than 20', hint: 'Shorten it.' }] : [],
    ]);
    expect(issues).toEqual([{ path: 'name', message: 'is longer than 20', hint: 'Shorten it.' }]);
  });

  it('never echoes a secret value in its error', () => {
    try {
      validateSpec({ ...valid, secrets: { API_KEY: { value: 'top-secret-value', extra: 1 } } });
    } catch (error) {
      expect(JSON.stringify((error as BerthError).toJSON())).not.toContain('top-secret-value');
      expect((error as BerthError).message).not.toContain('top-secret-value');
      return;
    }
    throw new Error('expected a ValidationError');
  });
});
