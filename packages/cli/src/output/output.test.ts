import { Redactor } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { forcedExitLines } from '../run/forced-exit.js';
import { formatPlan } from './format-plan.js';
import { summaryLines } from './format-result.js';
import { createReporter, lockTakeoverText } from './reporter.js';
import { ANSI_PATTERN, outputMode, palette } from './terminal.js';

describe('outputMode', () => {
  it('is live only on a TTY outside CI; NO_COLOR turns colours off; --json wins', () => {
    expect(outputMode({ stdout: { write: () => {}, isTTY: true }, env: {} }, false)).toEqual({
      kind: 'live',
      color: true,
    });
    expect(outputMode({ stdout: { write: () => {}, isTTY: true }, env: { NO_COLOR: '1' } }, false)).toEqual({
      kind: 'live',
      color: false,
    });
    expect(outputMode({ stdout: { write: () => {}, isTTY: true }, env: { CI: 'true' } }, false).kind).toBe(
      'plain',
    );
    expect(outputMode({ stdout: { write: () => {} }, env: {} }, false)).toEqual({
      kind: 'plain',
      color: false,
    });
    expect(outputMode({ stdout: { write: () => {}, isTTY: true }, env: {} }, true)).toEqual({
      kind: 'json',
      color: false,
    });
  });
});

describe('formatPlan', () => {
  it('shows +/~/- per field and keeps the masked secret values as given', () => {
    const lines = formatPlan(
      {
        service: 'api-dev',
        action: 'update',
        changes: [
          { path: 'env.NEW', kind: 'add', before: null, after: 'x' },
          { path: 'image.digest', kind: 'change', before: 'sha256:aaa', after: 'sha256:bbb' },
          { path: 'secrets.API_KEY', kind: 'change', before: 'hmac…1234', after: '******(new)' },
          { path: 'env.OLD', kind: 'remove', before: 'y', after: null },
        ],
        drift: [{ path: 'env.X', recorded: '1', observed: '2' }],
      },
      palette(false),
      'local',
    );
    expect(lines).toEqual([
      'api-dev  update  (target local)',
      '  + env.NEW          x',
      '  ~ image.digest     sha256:aaa → sha256:bbb',
      '  ~ secrets.API_KEY  hmac…1234 → ******(new)',
      '  - env.OLD          y',
      '  ! drift env.X: recorded 1, live 2',
    ]);
  });
});

describe('reporter', () => {
  const events = [
    { type: 'phase-start', phase: 'image' },
    { type: 'progress', phase: 'image', step: 'build', current: 1, total: 4, unit: 'steps' },
    { type: 'progress', phase: 'image', step: 'build', current: 4, total: 4, unit: 'steps' },
    { type: 'phase-end', phase: 'image', status: 'succeeded', durationMs: 1200 },
    { type: 'log', level: 'warn', message: 'token s3cr3t-token-value leaked?' },
  ].map((event, index) => ({
    ...event,
    sequence: index + 1,
    timestamp: '2026-01-01T00:00:00.000Z',
    runId: 'r',
    service: 'api-dev',
  }));

  it('prints plain lines without escape codes, redacting what the CLI knows is secret', () => {
    let stdout = '';
    const redactor = new Redactor();
    redactor.add('s3cr3t-token-value');
    const reporter = createReporter({
      io: {
        stdout: {
          write: (text: string) => {
            stdout += text;
          },
        },
        stderr: { write: () => {} },
        env: {},
        cwd: '/',
      },
      mode: { kind: 'plain', color: false },
      redactor,
      verbose: false,
    });
    for (const event of events) reporter.event(event as never);
    reporter.finish(
      [
        {
          service: 'api-dev',
          status: 'succeeded',
          url: 'http://127.0.0.1:8080',
          revision: 'r1',
          secrets: { API_KEY: 'qK3x…(43 chars)' },
        },
      ],
      [],
    );
    expect(stdout).not.toMatch(ANSI_PATTERN);
    expect(stdout).toContain('api-dev  image: build [####------------] 25% 1/4 steps');
    expect(stdout).toContain('api-dev  image succeeded 1.2s');
    expect(stdout).toContain('[redacted]');
    expect(stdout).not.toContain('s3cr3t-token-value');
    expect(stdout).toContain('secret API_KEY = qK3x…(43 chars)');
  });

  it('prints JSON Lines only, events then results', () => {
    let stdout = '';
    const reporter = createReporter({
      io: {
        stdout: {
          write: (text: string) => {
            stdout += text;
          },
        },
        stderr: { write: () => {} },
        env: {},
        cwd: '/',
      },
      mode: { kind: 'json', color: false },
      redactor: new Redactor(),
      verbose: false,
    });
    for (const event of events) reporter.event(event as never);
    reporter.info('a note for people');
    reporter.finish([], [{ type: 'result', service: 'api-dev', status: 'noop' }]);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.type)).toEqual([
      'phase-start',
      'progress',
      'progress',
      'phase-end',
      'log',
      'result',
    ]);
  });
});

describe('summaryLines', () => {
  it('shows each service with its outcome, and the error with its hint', () => {
    const lines = summaryLines(
      [
        {
          service: 'api-dev',
          status: 'rolled-back',
          revision: 'r1',
          error: { code: 'HEALTH_CHECK_FAILED', message: 'health failed', hint: 'look at the logs' },
        },
        { service: 'web-dev', status: 'skipped', note: 'dependency api did not succeed' },
      ],
      palette(false),
    );
    expect(lines.join('\n')).toContain('✗ api-dev  rolled-back     revision r1');
    expect(lines.join('\n')).toContain('HEALTH_CHECK_FAILED: health failed');
    expect(lines.join('\n')).toContain('hint: look at the logs');
    expect(lines.join('\n')).toContain('- web-dev  skipped');
  });
});

describe('forcedExitLines', () => {
  it('names the services that may be mid-change, what stays behind, what to run and the log', () => {
    expect(forcedExitLines(['api-dev', 'web-dev'], { logPath: '/app/.deployment/logs/x.log' })).toEqual([
      'berth: forced exit before a safe point: api-dev, web-dev may be mid-change.',
      '  Locks of this run stay behind: the next berth run on this machine takes them over (its process is gone); elsewhere they wait until they expire.',
      '  Run `berth status` to see what is live, then `berth up` to converge (or `berth rollback`).',
      '  log: /app/.deployment/logs/x.log',
    ]);
  });

  it('says nothing was changing for a read-only command', () => {
    expect(forcedExitLines(['api-dev'], { readOnly: true })).toEqual([
      'berth: forced exit; nothing was changing (a read-only command)',
    ]);
  });
});

describe('lockTakeoverText', () => {
  it('names the previous owner and why its lock could be taken', () => {
    const previousOwner = {
      user: 'ci',
      host: 'runner-1',
      pid: 4242,
      runId: 'run-1',
      startedAt: '2026-12-01T10:00:00.000Z',
    };
    expect(
      lockTakeoverText({
        type: 'lock-takeover',
        previousOwner,
        expiresAt: '2026-12-01T10:10:00.000Z',
        reason: 'expired',
      } as Parameters<typeof lockTakeoverText>[0]),
    ).toBe(
      'took over the lock left by ci@runner-1 (pid 4242, run run-1): it expired at 2026-12-01T10:10:00.000Z',
    );
  });
});
