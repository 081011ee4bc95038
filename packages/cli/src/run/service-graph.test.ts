import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf, exitCodeOfRun } from './exit-codes.js';
import { runServices } from './run-services.js';
import { dependenciesAmong, serviceOrder } from './service-graph.js';

const graph = {
  services: {
    web: { dependsOn: ['api'] },
    api: { dependsOn: ['db', 'cache'] },
    db: { dependsOn: [] },
    cache: { dependsOn: [] },
    docs: { dependsOn: [] },
  },
};

describe('serviceOrder', () => {
  it('puts dependencies first, config order among equals', () => {
    expect(serviceOrder(graph)).toEqual(['db', 'cache', 'api', 'web', 'docs']);
  });
  it('keeps only the selected services, and reverses for down', () => {
    expect(serviceOrder(graph, ['web', 'db'])).toEqual(['db', 'web']);
    expect(serviceOrder(graph, [], true)).toEqual(['docs', 'web', 'api', 'cache', 'db']);
  });
});

describe('runServices', () => {
  const dependencies = (service: string) => dependenciesAmong(graph, service, serviceOrder(graph));

  it('runs independent services at once, never more than the bound, dependencies before dependents', async () => {
    let running = 0;
    let peak = 0;
    const started: string[] = [];
    const finished: string[] = [];
    const outcomes = await runServices({
      order: serviceOrder(graph),
      dependencies,
      concurrency: 2,
      run: async (service) => {
        started.push(service);
        for (const dependency of graph.services[service as keyof typeof graph.services].dependsOn)
          expect(finished).toContain(dependency);
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        finished.push(service);
        return { ok: true, result: service };
      },
    });
    expect(peak).toBe(2);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(started.indexOf('api')).toBeGreaterThan(started.indexOf('cache'));
  });

  it('skips the dependents of a failed service and runs the rest', async () => {
    const ran: string[] = [];
    const outcomes = await runServices({
      order: serviceOrder(graph),
      dependencies,
      concurrency: 1,
      run: async (service) => {
        ran.push(service);
        return { ok: service !== 'cache', result: service };
      },
    });
    expect(ran).toEqual(['db', 'cache', 'docs']);
    expect(outcomes.find((outcome) => outcome.service === 'api')).toEqual({
      service: 'api',
      kind: 'skipped',
      reason: 'dependency cache did not succeed',
    });
    expect(outcomes.find((outcome) => outcome.service === 'web')?.kind).toBe('skipped');
  });

  it('starts nothing new once aborted', async () => {
    const controller = new AbortController();
    const ran: string[] = [];
    const outcomes = await runServices({
      order: ['db', 'docs'],
      dependencies: () => [],
      concurrency: 1,
      signal: controller.signal,
      run: async (service) => {
        ran.push(service);
        controller.abort();
        return { ok: false, result: service };
      },
    });
    expect(ran).toEqual(['db']);
    expect(outcomes[1]).toMatchObject({ kind: 'skipped', reason: 'interrupted before it started' });
  });
});

describe('exit codes', () => {
  it.each([
    ['succeeded', undefined, EXIT.ok],
    ['noop', undefined, EXIT.ok],
    ['failed', 'DEPLOY_FAILED', EXIT.failed],
    ['failed', 'SPEC_INVALID', EXIT.usage],
    ['failed', 'DEPLOY_ABORTED', EXIT.interrupted],
    ['rolled-back', 'HEALTH_CHECK_FAILED', EXIT.rolledBack],
    ['rollback-failed', 'ROLLBACK_FAILED', EXIT.rollbackFailed],
  ])('%s (%s) → %i', (status, code, expected) => {
    expect(exitCodeOf({ status, ...(code ? { error: { code } } : {}) })).toBe(expected);
  });

  it('a run takes its most serious outcome; interrupted wins', () => {
    expect(exitCodeOfRun([{ status: 'succeeded' }, { status: 'rolled-back' }])).toBe(3);
    expect(
      exitCodeOfRun([{ status: 'rolled-back' }, { status: 'failed', error: { code: 'DEPLOY_FAILED' } }]),
    ).toBe(1);
    expect(exitCodeOfRun([{ status: 'failed' }, { status: 'rollback-failed' }])).toBe(4);
    expect(exitCodeOfRun([{ status: 'noop' }, { status: 'skipped' }])).toBe(0);
    expect(exitCodeOfRun([{ status: 'succeeded' }], true)).toBe(130);
  });
});
