/**
 * Pure builders for the Caddy JSON config Berth writes through the admin API. Every object a
 * service owns carries an `@id` (`berth-<service>-…`), so each change is one request on that
 * service's own objects: several services and several Berth processes share one proxy and never
 * read-modify-write the whole config.
 */

/** Where the admin socket lives inside the proxy's container (a folder of the host, mounted). */
export const ADMIN_SOCKET_IN_CONTAINER = '/run/berth-proxy/admin.sock';

/** How a service's stable address is routed. */
export interface ServiceRoute {
  service: string;
  /** Address the proxy listens on for this service: `127.0.0.1`, `0.0.0.0`… */
  bindAddress: string;
  /** The service's stable port (the proxy's). */
  port: number;
  /** Route by host name on a listener shared with other services, with HTTPS. */
  domain?: string;
  /** Certificates for `domain`: a public ACME CA (default) or the proxy's own CA. */
  tls?: 'acme' | 'internal';
  /** ACME account email. */
  acmeEmail?: string;
  /** Port of the revision the stable address forwards to, on the host's loopback. */
  upstreamPort: number;
}

/** The `@id`s of a service's objects. */
export function idsOf(service: string) {
  return {
    route: `berth-${service}-route`,
    upstream: `berth-${service}-upstream`,
    tls: `berth-${service}-tls`,
  };
}

/** The key of the server a route lives in: its own for port routing, one per port for domains. */
export function serverKeyOf(route: Pick<ServiceRoute, 'service' | 'port' | 'domain'>): string {
  return route.domain ? `berth-port-${route.port}` : `berth-${route.service}`;
}

/** `127.0.0.1:8080`, or `:8080` for every address. */
export function listenAddress(bindAddress: string, port: number): string {
  if (bindAddress === '0.0.0.0' || bindAddress === '' || bindAddress === '::') return `:${port}`;
  return bindAddress.includes(':') ? `[${bindAddress}]:${port}` : `${bindAddress}:${port}`;
}

/** The upstream list that sends the stable address to `port` on loopback. */
export function upstreamsOf(port: number): { dial: string }[] {
  return [{ dial: `127.0.0.1:${port}` }];
}

/** The route of a service: optional host match, then a reverse proxy to the revision. */
export function routeOf(route: ServiceRoute) {
  const ids = idsOf(route.service);
  return {
    '@id': ids.route,
    ...(route.domain ? { match: [{ host: [route.domain] }], terminal: true } : {}),
    handle: [{ '@id': ids.upstream, handler: 'reverse_proxy', upstreams: upstreamsOf(route.upstreamPort) }],
  };
}

/** A server holding just `routes`, listening where the route says. */
export function serverOf(route: ServiceRoute, routes: unknown[]) {
  return {
    listen: [listenAddress(route.bindAddress, route.port)],
    routes,
    // Port routing is plain HTTP. Domains get certificates, but a redirect server on port 80 only
    // when the HTTPS port is the standard one (another port usually means 80 is not ours to take).
    automatic_https: route.domain ? { disable_redirects: route.port !== 443 } : { disable: true },
  };
}

/** The TLS automation policy of a domain, when it needs one (the proxy's CA, or an ACME email). */
export function tlsPolicyOf(route: ServiceRoute) {
  if (!route.domain) return undefined;
  if (route.tls === 'internal')
    return { '@id': idsOf(route.service).tls, subjects: [route.domain], issuers: [{ module: 'internal' }] };
  if (route.acmeEmail)
    return {
      '@id': idsOf(route.service).tls,
      subjects: [route.domain],
      issuers: [{ module: 'acme', email: route.acmeEmail }],
    };
  return undefined;
}

/**
 * The config the proxy starts with the first time (afterwards it resumes its autosaved config):
 * the admin API on a UNIX socket only, empty places for servers and TLS policies, and the internal
 * CA kept out of the container's trust store.
 */
export function initialConfig(adminSocket: string = ADMIN_SOCKET_IN_CONTAINER): string {
  return `${JSON.stringify({
    admin: { listen: `unix/${adminSocket}` },
    apps: {
      http: { servers: {} },
      tls: { automation: { policies: [] } },
      pki: { certificate_authorities: { local: { install_trust: false } } },
    },
  })}\n`;
}

/** The loopback port a reverse-proxy handler forwards to, from its `upstreams`; `undefined` if none. */
export function upstreamPortOf(handler: unknown): number | undefined {
  const upstreams = (handler as { upstreams?: { dial?: unknown }[] } | undefined)?.upstreams;
  const dial = upstreams?.[0]?.dial;
  if (typeof dial !== 'string') return undefined;
  const match = /:(\d+)$/.exec(dial);
  return match ? Number(match[1]) : undefined;
}

/** Where the proxy's internal CA keeps its root certificate, under the proxy's data folder. */
export const INTERNAL_ROOT_CERTIFICATE = 'caddy/pki/authorities/local/root.crt';
