import { describe, expect, it } from 'vitest';
import {
  idsOf,
  initialConfig,
  listenAddress,
  routeOf,
  serverKeyOf,
  serverOf,
  tlsPolicyOf,
  upstreamPortOf,
} from './caddy-config.js';

const base = { service: 'api-dev', bindAddress: '127.0.0.1', port: 8080, upstreamPort: 10123 };

describe('caddy config builders', () => {
  it('port routing: the service has a server of its own, plain HTTP, to its revision on loopback', () => {
    expect(serverKeyOf(base)).toBe('berth-api-dev');
    expect(serverOf(base, [routeOf(base)])).toEqual({
      listen: ['127.0.0.1:8080'],
      routes: [
        {
          '@id': 'berth-api-dev-route',
          handle: [
            {
              '@id': 'berth-api-dev-upstream',
              handler: 'reverse_proxy',
              upstreams: [{ dial: '127.0.0.1:10123' }],
            },
          ],
        },
      ],
      automatic_https: { disable: true },
    });
  });

  it('domain routing: a host match on the shared server of the port, redirects only on 443', () => {
    const route = { ...base, port: 8443, domain: 'api.example.com' };
    expect(serverKeyOf(route)).toBe('berth-port-8443');
    expect(routeOf(route)).toMatchObject({ match: [{ host: ['api.example.com'] }], terminal: true });
    expect(serverOf(route, []).automatic_https).toEqual({ disable_redirects: true });
    expect(serverOf({ ...route, port: 443 }, []).automatic_https).toEqual({ disable_redirects: false });
  });

  it('a TLS policy only for the internal CA or an ACME email, tagged with the service id', () => {
    const route = { ...base, domain: 'api.example.com' };
    expect(tlsPolicyOf(base)).toBeUndefined();
    expect(tlsPolicyOf({ ...route, tls: 'acme' })).toBeUndefined();
    expect(tlsPolicyOf({ ...route, tls: 'internal' })).toEqual({
      '@id': 'berth-api-dev-tls',
      subjects: ['api.example.com'],
      issuers: [{ module: 'internal' }],
    });
    expect(tlsPolicyOf({ ...route, acmeEmail: 'ops@example.com' })?.issuers).toEqual([
      { module: 'acme', email: 'ops@example.com' },
    ]);
  });

  it('listen addresses: a wildcard bind listens on every address, IPv6 in brackets', () => {
    expect(listenAddress('0.0.0.0', 80)).toBe(':80');
    expect(listenAddress('::', 80)).toBe(':80');
    expect(listenAddress('::1', 80)).toBe('[::1]:80');
  });

  it('reads the upstream port back from a handler', () => {
    expect(upstreamPortOf(routeOf(base).handle[0])).toBe(10123);
    expect(upstreamPortOf(undefined)).toBeUndefined();
    expect(upstreamPortOf({ upstreams: [] })).toBeUndefined();
  });

  it('starts with the admin API on a UNIX socket only and the CA out of the trust store', () => {
    const config = JSON.parse(initialConfig('/run/x/admin.sock'));
    expect(config.admin).toEqual({ listen: 'unix//run/x/admin.sock' });
    expect(config.apps.pki.certificate_authorities.local.install_trust).toBe(false);
    expect(idsOf('a').tls).toBe('berth-a-tls');
  });
});
