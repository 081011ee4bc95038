import { describe, expect, it } from 'vitest';
import { proxySettingsOf } from '../proxy/proxy-options.js';
import { freeSlot, renderProxyUnit, slotService } from './systemd-proxy.js';

const settings = proxySettingsOf(true, '/opt/berth/proxy')!;

describe('systemd proxy mode', () => {
  it('the proxy unit runs the host caddy, resuming its config, with its folders for data and config', () => {
    const text = renderProxyUnit(settings, undefined);
    expect(text).toContain('ExecStart=/usr/bin/caddy run --config /opt/berth/proxy/init.json --resume');
    expect(text).toContain(
      'Environment=XDG_DATA_HOME=/opt/berth/proxy/data XDG_CONFIG_HOME=/opt/berth/proxy/config HOME=/opt/berth/proxy/data',
    );
    expect(text).not.toContain('User=');
  });

  it('as a non-root SSH user, the proxy runs as that user and may bind ports below 1024', () => {
    const text = renderProxyUnit(settings, 'deploy');
    expect(text).toContain('User=deploy');
    expect(text).toContain('AmbientCapabilities=CAP_NET_BIND_SERVICE');
  });

  it('a new revision goes to the slot the serving one is not in', () => {
    const record = (slot: 'a' | 'b') => ({ proxy: { slot, port: 10_001 } }) as never;
    expect(freeSlot(undefined)).toBe('a');
    expect(freeSlot(record('a'))).toBe('b');
    expect(freeSlot(record('b'))).toBe('a');
    expect(slotService('api-dev', 'b')).toBe('api-dev--b');
  });
});
