import type { HookContext } from '@berth/core';
import { memoryProvider } from '@berth/core/testing';
import { describe, expect, it } from 'vitest';
import { recordingConnection } from '../../test/recording-connection.js';
import { pendingPhases, withAuditSettings } from './host-audit.js';
import { runLocks } from './host-run-lock.js';
import { sshHost } from './ssh-host.js';
import { sshHostHooks } from './ssh-host-hooks.js';

function setup(fetchStatuses: number[] = []) {
  const connection = recordingConnection();
  const pending = pendingPhases();
  const provider = withAuditSettings(memoryProvider(), {
    connection,
    operator: 'alice',
    lockTtlSeconds: 60,
    pending,
    runLocks: runLocks(),
    baseDir: '/opt/berth',
  });
  let time = 1_000;
  const statuses = [...fetchStatuses];
  const hooks = sshHostHooks(provider, {
    now: () => time,
    register: {
      url: 'http://registry.test/services',
      attempts: 2,
      sleep: async () => {},
      fetch: async () => new Response('{}', { status: statuses.shift() ?? 200 }),
    },
  });
  const context = (phase: HookContext['phase'], when: HookContext['when']): HookContext => ({
    service: 'api-dev',
    runId: 'run-1',
    phase,
    when,
    signal: new AbortController().signal,
    facts: { url: 'http://host:8000', revision: '4-abc' },
    log: () => {},
  });
  const run = async (phase: HookContext['phase'], when: HookContext['when'], advance = 0) => {
    time += advance;
    for (const hook of hooks.filter((item) => item[when] === phase)) await hook.run(context(phase, when));
  };
  return { connection, pending, hooks, run };
}

describe('sshHostHooks', () => {
  it('records verify and register, timed, in one line after the deploy', async () => {
    const { connection, run } = setup();
    await run('verify', 'before');
    await run('verify', 'after', 250);
    expect(connection.appended()).toEqual([
      expect.objectContaining({
        operation: 'verify',
        status: 'succeeded',
        service: 'api-dev',
        revision: '4-abc',
        operator: 'alice',
        phases: [
          { name: 'verify', status: 'succeeded', durationMs: 250 },
          { name: 'register', status: 'succeeded', durationMs: 0 },
        ],
      }),
    ]);
  });

  it('records a registry that keeps failing, and lets the deploy go on by default', async () => {
    const { connection, hooks, run } = setup([503, 503]);
    expect(hooks.find((hook) => hook.after === 'verify')?.onFailure).toBe('continue');
    await run('verify', 'before');
    await expect(run('verify', 'after', 10)).rejects.toThrow(/HTTP 503/);
    expect(connection.appended()).toEqual([
      expect.objectContaining({
        status: 'succeeded',
        phases: [
          { name: 'verify', status: 'succeeded', durationMs: 10 },
          { name: 'register', status: 'failed', durationMs: 0 },
        ],
        error: { code: 'HOOK_FAILED', message: expect.stringContaining('HTTP 503') },
      }),
    ]);
  });

  it('records a failed verify when the engine starts the rollback, and nothing for a manual rollback', async () => {
    const { connection, run } = setup();
    await run('rollback', 'before');
    expect(connection.appended()).toEqual([]);
    await run('verify', 'before');
    await run('rollback', 'before', 900);
    expect(connection.appended()).toEqual([
      expect.objectContaining({
        operation: 'verify',
        status: 'failed',
        phases: [{ name: 'verify', status: 'failed', durationMs: 900 }],
      }),
    ]);
  });

  it('times the deregistration for the down entry the provider writes next', async () => {
    const { pending, run } = setup();
    await run('destroy', 'before');
    expect(pending.take('api-dev', ['deregister'])).toEqual([
      { name: 'deregister', status: 'succeeded', durationMs: 0 },
    ]);
  });

  it.each([
    { method: 'docker' as const },
    { method: 'systemd' as const, start: ['node', 'server.js'] },
  ])('accepts the provider sshHost() returns, with its health-check fetch ($method)', (method) => {
    const provider = sshHost(
      {
        ...method,
        ssh: {
          host: 'vps.example.com',
          username: 'deploy',
          hostKey: 'SHA256:p8oC6iL4M0xji4keC6qP2b6ijYcRdjEDlo3x6F/CTpM',
        },
      },
      { connection: recordingConnection() },
    );
    expect(typeof provider.fetch).toBe('function');
    expect(sshHostHooks(provider).map((hook) => hook.name)).toContain('ssh-host:verified');
  });

  it('refuses a provider sshHost() did not make', () => {
    expect(() => sshHostHooks(memoryProvider())).toThrow(
      expect.objectContaining({ code: 'PROVIDER_OPTIONS_INVALID' }),
    );
  });
});
