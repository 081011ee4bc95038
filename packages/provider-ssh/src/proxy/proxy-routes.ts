/**
 * A service's routes on the proxy, each change one admin request on the service's own objects
 * (found by `@id`): read the live upstream, point the stable address at a revision, remove.
 */

import type { CaddyAdmin } from './caddy-admin.js';
import {
  idsOf,
  routeOf,
  type ServiceRoute,
  serverKeyOf,
  serverOf,
  tlsPolicyOf,
  upstreamPortOf,
  upstreamsOf,
} from './caddy-config.js';

const servers = '/config/apps/http/servers';

/** The route operations on one proxy. */
export function proxyRoutes(admin: CaddyAdmin) {
  /** The loopback port the service's stable address forwards to now; `undefined` without a route. */
  async function upstreamPort(service: string): Promise<number | undefined> {
    return upstreamPortOf(await admin.get(`/id/${idsOf(service).upstream}`));
  }

  /** Whether the proxy has a server for this route's listener (so the port is the proxy's). */
  async function hasServer(route: Pick<ServiceRoute, 'service' | 'port' | 'domain'>): Promise<boolean> {
    return (await admin.get(`${servers}/${serverKeyOf(route)}`)) != null;
  }

  /** Send the stable address of `route.service` to `route.upstreamPort`, creating the route if needed. */
  async function point(route: ServiceRoute): Promise<void> {
    const ids = idsOf(route.service);
    const policy = tlsPolicyOf(route);
    // The policy goes first: a host route without it would start a public ACME order at once.
    if (policy && (await admin.get(`/id/${ids.tls}`)) == null)
      await admin.send('POST', '/config/apps/tls/automation/policies', policy);
    if (!route.domain) {
      // The service's own server: replacing it is one request that touches nothing else.
      await admin.send('POST', `${servers}/${serverKeyOf(route)}`, serverOf(route, [routeOf(route)]));
      return;
    }
    const existing = (await admin.get(`/id/${ids.route}`)) as { match?: { host?: string[] }[] } | undefined;
    const sameHost = existing?.match?.[0]?.host?.[0] === route.domain;
    if (existing && sameHost && (await hasServer(route))) {
      await admin.send('PATCH', `/id/${ids.upstream}/upstreams`, upstreamsOf(route.upstreamPort));
      return;
    }
    if (existing) await admin.send('DELETE', `/id/${ids.route}`);
    await appendRoute(route);
  }

  /** Add a domain route to the shared server of its port, creating that server when it is missing. */
  async function appendRoute(route: ServiceRoute): Promise<void> {
    const key = serverKeyOf(route);
    if (await hasServer(route)) {
      await admin.send('POST', `${servers}/${key}/routes`, routeOf(route));
      return;
    }
    try {
      await admin.send('PUT', `${servers}/${key}`, serverOf(route, [routeOf(route)]));
    } catch (error) {
      // Another Berth process created the server meanwhile: add the route to it.
      if (!(await hasServer(route))) throw error;
      await admin.send('POST', `${servers}/${key}/routes`, routeOf(route));
    }
  }

  /** Remove the service's route (its server in port routing) and TLS policy; absent ones are fine. */
  async function remove(service: string, route: Pick<ServiceRoute, 'port' | 'domain'>): Promise<boolean> {
    const ids = idsOf(service);
    let removed = false;
    if (!route.domain && (await hasServer({ service, ...route }))) {
      await admin.send('DELETE', `${servers}/${serverKeyOf({ service, ...route })}`);
      removed = true;
    }
    if ((await admin.get(`/id/${ids.route}`)) != null) {
      await admin.send('DELETE', `/id/${ids.route}`);
      removed = true;
    }
    if ((await admin.get(`/id/${ids.tls}`)) != null) await admin.send('DELETE', `/id/${ids.tls}`);
    return removed;
  }

  return { upstreamPort, hasServer, point, remove };
}

/** The operations `proxyRoutes` returns. */
export type ProxyRoutes = ReturnType<typeof proxyRoutes>;
