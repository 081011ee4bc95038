import { describe, expect, it } from 'vitest';
import { parseHostOptions } from '../host-options.js';
import { proxyContainerBody } from './proxy-container.js';
import { proxySettingsOf } from './proxy-options.js';

describe('the proxy option', () => {
  it('is off by default (direct mode) and `true` takes the defaults', () => {
    expect(proxySettingsOf(parseHostOptions({}, 'localDocker').proxy, '/d')).toBeUndefined();
    expect(proxySettingsOf(parseHostOptions({ proxy: true }, 'localDocker').proxy, '/d')).toEqual({
      image: 'caddy:2.6',
      name: 'berth-proxy',
      directory: '/d',
      drainSeconds: 2,
      tls: 'acme',
      caddyPath: '/usr/bin/caddy',
    });
  });

  it('rejects a bad domain, TLS mode or container name naming the option', () => {
    for (const proxy of [{ domain: 'https://x.example.com' }, { tls: 'self' }, { name: '-x' }])
      expect(() => parseHostOptions({ proxy }, 'sshHost')).toThrow(/options\.proxy\./);
  });

  it('refuses a proxy folder a bind mount or a unit file cannot name, before any I/O', () => {
    for (const directory of ['relative/proxy', '/srv/a:b', '/srv/with space'])
      expect(() => proxySettingsOf({ ...proxySettingsOf(true, '/d')!, directory }, '/d')).toThrow(
        expect.objectContaining({
          code: 'PROVIDER_OPTIONS_INVALID',
          hint: expect.stringContaining('proxy.directory'),
        }),
      );
  });

  it('the container runs caddy explicitly, on the host network, as the folder owner, resuming its config', () => {
    const settings = proxySettingsOf(
      { image: 'caddy:2.6', name: 'p', drainSeconds: 1, tls: 'acme', caddyPath: '/usr/bin/caddy' },
      '/srv/proxy',
    )!;
    const body = proxyContainerBody(settings, '1000:1000');
    expect(body.Cmd).toEqual(['caddy', 'run', '--config', '/etc/berth-proxy/init.json', '--resume']);
    expect(body.User).toBe('1000:1000');
    expect(body.HostConfig.NetworkMode).toBe('host');
    expect(body.HostConfig.Binds).toEqual([
      '/srv/proxy/run:/run/berth-proxy',
      '/srv/proxy/data:/data',
      '/srv/proxy/config:/config',
      '/srv/proxy/init.json:/etc/berth-proxy/init.json:ro',
    ]);
    expect(body.HostConfig.PortBindings).toEqual({});
  });
});
