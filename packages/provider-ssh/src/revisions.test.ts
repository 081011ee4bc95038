import type { DesiredService } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { buildLabels, parseLabels } from './container-labels.js';
import type { ContainerDetails, ContainerSummary } from './host-transport.js';
import {
  envOf,
  livenessOf,
  observedFrom,
  pickCurrent,
  type RevisionContainer,
  revisionInfoOf,
  selectPrunable,
} from './revisions.js';

const desired: DesiredService = {
  service: 'hello-dev',
  name: 'hello',
  environment: 'dev',
  revision: '0002-abcde',
  image: { ref: 'berth/health-service:test' },
  port: 8000,
  env: { GREETING: 'hi=there' },
  secrets: { API_KEY: { ref: 'hello-dev/API_KEY.v1', fingerprint: 'hmac-sha256:aa' } },
  healthPath: '/.well-known/health',
  resources: {},
  public: true,
};

function details(overrides: Partial<ContainerDetails> = {}): ContainerDetails {
  return {
    id: 'c1',
    name: 'berth-hello-dev-0002-abcde',
    labels: buildLabels(desired, { hostPort: 18000, bindAddress: '127.0.0.1' }),
    imageId: 'sha256:' + 'c'.repeat(64),
    env: [
      'PATH=/bin',
      'GREETING=hi=there',
      'API_KEY=the-secret-value',
      'PORT=8000',
      'BERTH_REVISION=0002-abcde',
    ],
    status: 'running',
    running: true,
    restarting: false,
    exitCode: 0,
    oomKilled: false,
    restartCount: 0,
    createdAt: '2025-01-01T00:00:00Z',
    startedAt: '2025-01-01T00:00:01Z',
    finishedAt: '0001-01-01T00:00:00Z',
    ...overrides,
  };
}

function container(overrides: Partial<ContainerDetails> = {}): RevisionContainer {
  const value = details(overrides);
  return { details: value, labels: parseLabels(value.labels)! };
}

function summary(id: string, createdAt: number, state: string, revision = id): ContainerSummary {
  return {
    id,
    name: `berth-s-${revision}`,
    labels: { 'dev.berth.revision': revision },
    state,
    createdAt,
    ports: [],
  };
}

describe('envOf', () => {
  it('splits at the first =', () => {
    expect(envOf(['A=1', 'B=x=y', 'C=', 'broken'])).toEqual({ A: '1', B: 'x=y', C: '' });
  });
});

describe('observedFrom', () => {
  const observed = observedFrom(container());

  it('reports the spec’s env (not PATH, PORT or BERTH_REVISION) and the URL on the host port', () => {
    expect(observed).toMatchObject({
      service: 'hello-dev',
      url: 'http://127.0.0.1:18000',
      revision: '0002-abcde',
      image: { ref: 'berth/health-service:test' },
      port: 8000,
      env: { GREETING: 'hi=there' },
      ready: true,
      public: true,
    });
  });

  it('reports secrets by reference and fingerprint, never their values', () => {
    expect(observed.secrets).toEqual({
      API_KEY: { ref: 'hello-dev/API_KEY.v1', fingerprint: 'hmac-sha256:aa' },
    });
    expect(JSON.stringify(observed)).not.toContain('the-secret-value');
  });

  it('is not ready when the container is not running', () => {
    expect(observedFrom(container({ running: false, status: 'exited' })).ready).toBe(false);
  });
});

describe('pickCurrent', () => {
  it('prefers the running container over a newer stopped one', () => {
    const running = container({ id: 'old', startedAt: '2025-01-01T00:00:00Z' });
    const stopped = container({ id: 'new', running: false, startedAt: '2025-02-01T00:00:00Z' });
    expect(pickCurrent([stopped, running])?.details.id).toBe('old');
  });

  it('takes the one started last when none runs', () => {
    const first = container({ id: 'a', running: false, startedAt: '2025-01-01T00:00:00Z' });
    const second = container({ id: 'b', running: false, startedAt: '2025-03-01T00:00:00Z' });
    expect(pickCurrent([first, second])?.details.id).toBe('b');
  });

  it('is undefined without containers', () => {
    expect(pickCurrent([])).toBeUndefined();
  });
});

describe('selectPrunable', () => {
  const containers = [
    summary('r1', 1000, 'exited'),
    summary('r2', 2000, 'exited'),
    summary('r3', 3000, 'exited'),
    summary('r4', 4000, 'exited'),
    summary('r5', 5000, 'running'),
  ];

  it('keeps the newest stopped revisions and the running one', () => {
    expect(selectPrunable(containers, { keep: 2, protect: [] }).map((c) => c.id)).toEqual(['r2', 'r1']);
  });

  it('never removes a protected container (the previous revision)', () => {
    expect(selectPrunable(containers, { keep: 1, protect: ['r1'] }).map((c) => c.id)).toEqual(['r3', 'r2']);
  });

  it('removes nothing while under the limit', () => {
    expect(selectPrunable(containers, { keep: 5, protect: [] })).toEqual([]);
  });

  it('orders equal creation times by revision id', () => {
    const same = [summary('a', 1, 'exited', '0001-aaaaa'), summary('b', 1, 'exited', '0002-bbbbb')];
    expect(selectPrunable(same, { keep: 1, protect: [] }).map((c) => c.id)).toEqual(['a']);
  });
});

describe('revisionInfoOf', () => {
  it('describes a stopped revision', () => {
    const labels = buildLabels(desired, { hostPort: 8000, bindAddress: '127.0.0.1' });
    expect(
      revisionInfoOf({
        id: 'x',
        name: 'n',
        labels,
        state: 'exited',
        createdAt: Date.UTC(2025, 0, 2),
        ports: [],
      }),
    ).toEqual({
      revision: '0002-abcde',
      image: { ref: 'berth/health-service:test' },
      createdAt: '2025-01-02T00:00:00.000Z',
      traffic: 0,
      status: 'stopped',
    });
  });

  it('skips containers that are not revisions', () => {
    expect(revisionInfoOf(summary('x', 1, 'running'))).toBeUndefined();
  });
});

describe('livenessOf', () => {
  it('is alive while running without restarts', () => {
    expect(livenessOf(details(), [])).toEqual({ alive: true });
  });

  it('reports the exit code and the last log lines of an exited container', () => {
    const liveness = livenessOf(details({ running: false, status: 'exited', exitCode: 1 }), [
      'starting',
      'boom',
    ]);
    expect(liveness.alive).toBe(false);
    expect(liveness.reason).toBe(
      'container berth-hello-dev-0002-abcde exited with code 1; last log lines:\nstarting\nboom',
    );
  });

  it('counts a crash-looping container as dead, with the exit code the engine’s events kept', () => {
    const liveness = livenessOf(details({ running: true, restartCount: 3, exitCode: 0 }), [], [1, 1, 2]);
    expect(liveness).toEqual({
      alive: false,
      reason: 'container berth-hello-dev-0002-abcde exited with code 2 and keeps restarting (3 restarts)',
    });
  });

  it('falls back to the state’s exit code without events', () => {
    const liveness = livenessOf(
      details({ restarting: true, running: false, restartCount: 1, exitCode: 3 }),
      [],
    );
    expect(liveness.reason).toBe(
      'container berth-hello-dev-0002-abcde exited with code 3 and keeps restarting (1 restarts)',
    );
  });

  it('names an OOM kill and the engine error', () => {
    const liveness = livenessOf(
      details({ running: false, oomKilled: true, exitCode: 137, error: 'oom' }),
      [],
    );
    expect(liveness.reason).toBe(
      'container berth-hello-dev-0002-abcde was killed for using too much memory; engine: oom',
    );
  });

  it('never includes the container environment', () => {
    const liveness = livenessOf(details({ running: false, status: 'exited', exitCode: 1 }), []);
    expect(liveness.reason).not.toContain('the-secret-value');
  });

  it('reports a missing container', () => {
    expect(livenessOf(undefined, [])).toEqual({ alive: false, reason: 'the container does not exist' });
  });
});
