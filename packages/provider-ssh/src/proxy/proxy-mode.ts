/**
 * Proxy mode of the host provider: the proxy owns the service's stable address; each revision
 * runs on its own loopback port. `apply` starts the new revision beside the serving one and
 * returns its candidate URL; the engine verifies it there and only then calls `shiftTraffic`,
 * which points the proxy at it (one admin request), lets the previous revision drain, and stops
 * it. A revision that fails verification never served: the proxy was never switched.
 */
import {
  type ApplyOutcome,
  type DesiredService,
  type ObservedService,
  type ProviderContext,
  ProviderError,
  type RevisionRecord,
  type ServiceTarget,
} from '@berth/core';
import { parseLabels, type RevisionLabels } from '../container-labels.js';
import { containerName, serviceUrl } from '../container-spec.js';
import type { HostOperations } from '../host-operations.js';
import type { HostOptions } from '../host-options.js';
import type { ContainerSummary, HostTransport } from '../host-transport.js';
import { observedFrom, pickCurrent, type RevisionContainer } from '../revisions.js';
import { caddyAdmin } from './caddy-admin.js';
import { INTERNAL_ROOT_CERTIFICATE, type ServiceRoute } from './caddy-config.js';
import { connectionMigrationCheck } from './connection-migration.js';
import { ensureDockerProxy } from './docker-proxy.js';
import type { ProxyFiles } from './proxy-files.js';
import type { ProxySettings } from './proxy-options.js';
import { proxyRoutes } from './proxy-routes.js';
import { pickRevisionPort } from './revision-port.js';
import { waitUntilAnswers } from './wait-until-answers.js';

/** What proxy mode works with. */
export interface ProxyModeConfig {
  transport: HostTransport;
  options: HostOptions;
  host: HostOperations;
  files: ProxyFiles;
  settings: ProxySettings;
  /** Random numbers in [0, 1) for revision ports. Default `Math.random`. */
  random?: () => number;
  /** How a restored revision is checked on its own port before the switch (from the host). Default global `fetch`. */
  fetch?: typeof globalThis.fetch;
}

const LOOPBACK = '127.0.0.1';

/** Proxy mode bound to one host. */
export function proxyMode(config: ProxyModeConfig) {
  const { transport, options, host, files, settings } = config;
  const admin = caddyAdmin(files.openAdmin, files.adminDescription);
  const routes = proxyRoutes(admin);

  /** The proxy's port for the service: `hostPort`, else 443 with a domain, else the spec's port. */
  const stablePort = (specPort: number) => options.hostPort ?? (settings.domain ? 443 : specPort);

  /** The service URL clients use. */
  function stableUrl(specPort: number): string {
    const port = stablePort(specPort);
    if (settings.domain) return `https://${settings.domain}${port === 443 ? '' : `:${port}`}`;
    return serviceUrl(options.bindAddress, port, options.urlHost);
  }

  const routeFor = (labels: RevisionLabels): ServiceRoute => ({
    service: labels.service,
    bindAddress: options.bindAddress,
    port: stablePort(labels.port),
    ...(settings.domain ? { domain: settings.domain, tls: settings.tls } : {}),
    ...(settings.acmeEmail ? { acmeEmail: settings.acmeEmail } : {}),
    upstreamPort: labels.hostPort,
  });

  const checkMigration = connectionMigrationCheck(files, `the proxy's host (${files.adminDescription})`);
  const ensureProxy = async (context: ProviderContext) => {
    await ensureDockerProxy({ transport, files, settings, admin }, context);
    await checkMigration(context);
  };

  /** A free loopback port for a new revision: not published or labelled by any container, nothing listening. */
  async function freeRevisionPort(): Promise<number> {
    const taken = new Set<number>();
    for (const container of await transport.listContainers({})) {
      for (const port of container.ports) taken.add(port.hostPort);
      const labels = parseLabels(container.labels);
      if (labels) taken.add(labels.hostPort);
    }
    return pickRevisionPort({
      taken,
      random: config.random ?? Math.random,
      isFree: (port) => transport.isPortFree(LOOPBACK, port),
    });
  }

  /** The stable port must be the proxy's already, free, or published by this service (direct mode before). */
  async function checkStablePort(service: string, specPort: number): Promise<void> {
    const port = stablePort(specPort);
    if (await routes.hasServer({ service, port, ...(settings.domain ? { domain: settings.domain } : {}) }))
      return;
    const check = await host.checkPort(service, port);
    if (!check.ok)
      throw new ProviderError('PROVIDER_CONFLICT', check.message ?? `Port ${port} is taken`, {
        hint: check.hint,
      });
  }

  const outcome = (labels: RevisionLabels, container: { id: string; name: string }): ApplyOutcome => ({
    revision: labels.revision,
    url: stableUrl(labels.port),
    data: { container: container.name, containerId: container.id, upstreamPort: labels.hostPort },
  });

  /** Stop `service`'s running revisions other than `keep`: the previous one after draining. */
  async function stopOthers(
    context: ProviderContext,
    service: string,
    keep: string,
    drain: boolean,
  ): Promise<ContainerSummary[]> {
    const others = (await host.managed(service)).filter(
      (container) =>
        container.id !== keep && (container.state === 'running' || container.state === 'restarting'),
    );
    if (others.length === 0) return [];
    if (drain && settings.drainSeconds > 0) {
      context.log(
        'info',
        `Draining ${others.map((container) => container.name).join(', ')} for ${settings.drainSeconds} s`,
      );
      await context.clock.sleep(settings.drainSeconds * 1000, context.signal);
    }
    await host.stopAll(context, others);
    return others;
  }

  /** Point the proxy at the revision of `labels`, timed; then the others drain and stop. */
  async function switchTo(
    context: ProviderContext,
    labels: RevisionLabels,
    container: { id: string; name: string },
  ): Promise<ApplyOutcome> {
    const route = routeFor(labels);
    const before = await routes.upstreamPort(labels.service);
    if (before === undefined) {
      // Moving from direct mode: the old container holds the stable port until it stops.
      const direct = (await host.managed(labels.service)).filter(
        (other) => other.state === 'running' && parseLabels(other.labels)?.hostPort === route.port,
      );
      if (direct.length > 0) {
        context.log(
          'warn',
          `Moving ${labels.service} from direct mode to the proxy: a short gap while the port changes hands`,
        );
        await host.stopAll(context, direct);
      }
    }
    const started = context.clock.now();
    await routes.point(route);
    const switchMs = context.clock.now() - started;
    context.log(
      'info',
      `Proxy ${settings.name} sends ${route.domain ?? `port ${route.port}`} to ${labels.revision} (switched in ${switchMs} ms)`,
      {
        revision: labels.revision,
        switchMs,
        upstreamPort: labels.hostPort,
      },
    );
    await stopOthers(context, labels.service, container.id, before !== undefined);
    return outcome(labels, container);
  }

  async function labelledContainer(service: string, revision: string) {
    const details = await transport.inspectContainer(containerName(service, revision));
    const labels = details ? parseLabels(details.labels) : undefined;
    if (!details || !labels)
      throw new ProviderError('PROVIDER_NOT_FOUND', `The container of revision ${revision} is gone`, {
        hint: 'Deploy again: Berth creates the revision anew.',
      });
    return { details, labels };
  }

  return {
    stableUrl,
    stablePort,

    async preflight(service: string, specPort: number) {
      const port = stablePort(specPort);
      const ours = await routes
        .hasServer({ service, port, ...(settings.domain ? { domain: settings.domain } : {}) })
        .catch(() => false);
      if (ours) return { name: 'host-port', ok: true, message: `port ${port} is the proxy's` };
      return host.checkPort(service, port);
    },

    /** Start the new revision beside the serving one; the engine verifies it on `candidateUrl`. */
    async apply(context: ProviderContext, desired: DesiredService): Promise<ApplyOutcome> {
      await ensureProxy(context);
      await checkStablePort(desired.service, desired.port);
      const serving = await routes.upstreamPort(desired.service);
      const before = await host.managed(desired.service);
      // A revision that failed verification earlier may still run beside the serving one.
      const stale = before.filter((container) => {
        const labels = parseLabels(container.labels);
        return (
          container.state === 'running' &&
          serving !== undefined &&
          labels?.hostPort !== serving &&
          labels?.hostPort !== stablePort(desired.port)
        );
      });
      if (stale.length > 0) await host.stopAll(context, stale);
      const port = await freeRevisionPort();
      const created = await host.createRevision(context, desired, { bindAddress: LOOPBACK, hostPort: port });
      await transport.startContainer(created.id);
      context.log(
        'info',
        `Started container ${created.name} on ${LOOPBACK}:${port}, beside the serving revision`,
        {
          revision: desired.revision,
        },
      );
      const protect = before
        .filter((container) => parseLabels(container.labels)?.hostPort === serving)
        .map((container) => container.id);
      await host
        .prune(context, desired.service, protect)
        .catch((error: unknown) =>
          context.log(
            'warn',
            `Could not prune old revisions of ${desired.service}: ${(error as Error).message}`,
          ),
        );
      return { ...outcome(created.labels, created), candidateUrl: `http://${LOOPBACK}:${port}` };
    },

    async shiftTraffic(context: ProviderContext, target: ServiceTarget, revision: string) {
      const { details, labels } = await labelledContainer(target.service, revision);
      return switchTo(context, labels, details);
    },

    /** Serve a kept revision again: start it if it is stopped, then switch the proxy to it. */
    async restoreRevision(context: ProviderContext, target: ServiceTarget, record: RevisionRecord) {
      await ensureProxy(context);
      const name = containerName(target.service, record.revision);
      let wanted = await transport.inspectContainer(name);
      let labels = wanted ? parseLabels(wanted.labels) : undefined;
      // A dead container, or one from direct mode (on the stable port), is made again on a loopback port.
      if (wanted && (wanted.status === 'dead' || !labels || labels.hostPort === stablePort(labels.port))) {
        await transport.removeContainer(wanted.id);
        wanted = undefined;
      }
      if (!wanted) {
        context.log('info', `The container of ${record.revision} is not kept; creating it again`);
        const port = await freeRevisionPort();
        const created = await host.createRevision(context, record.desired, {
          bindAddress: LOOPBACK,
          hostPort: port,
        });
        wanted = await transport.inspectContainer(created.id);
        labels = created.labels;
      }
      if (!wanted || !labels)
        throw new ProviderError('PROVIDER_NOT_FOUND', `Container ${name} vanished while it was restored`);
      if (!wanted.running) {
        await transport.startContainer(wanted.id);
        await waitUntilAnswers(
          context,
          config.fetch ?? globalThis.fetch,
          `http://${LOOPBACK}:${labels.hostPort}`,
          labels.healthPath,
        );
      }
      context.log('info', `Restoring revision ${record.revision} (container ${name})`);
      return switchTo(context, labels, wanted);
    },

    /** The live service: the revision the proxy's route forwards to, read from the proxy itself. */
    observedFrom(containers: RevisionContainer[], upstream: number | undefined): ObservedService | undefined {
      const serving = containers.find(
        (container) => upstream !== undefined && container.labels.hostPort === upstream,
      );
      const shown = serving ?? pickCurrent(containers);
      if (!shown) return undefined;
      const observed = observedFrom(shown);
      const ready = serving !== undefined && observed.ready;
      return {
        ...observed,
        url: stableUrl(shown.labels.port),
        ready,
        running: serving !== undefined && (observed.running ?? true),
        data: {
          ...observed.data,
          proxy: settings.name,
          ...(upstream !== undefined ? { upstreamPort: upstream } : {}),
        },
      };
    },

    /** The loopback port the proxy sends the service to; `undefined` without route or proxy. */
    async upstreamOf(service: string): Promise<number | undefined> {
      return routes.upstreamPort(service).catch(() => undefined);
    },

    /** Remove the service's routes (the proxy stays, for the other services and its certificates). */
    async removeRoutes(context: ProviderContext, service: string, specPort: number | undefined) {
      const running = await transport.inspectContainer(settings.name);
      if (!running?.running) return false;
      const port = specPort === undefined ? (options.hostPort ?? 443) : stablePort(specPort);
      const removed = await routes.remove(service, {
        port,
        ...(settings.domain ? { domain: settings.domain } : {}),
      });
      if (removed) context.log('info', `Removed the routes of ${service} from the proxy ${settings.name}`);
      return removed;
    },

    /** The proxy's internal CA root (PEM), for clients of a `tls: 'internal'` domain. */
    internalRootCertificate: () => files.readData(INTERNAL_ROOT_CERTIFICATE),
  };
}

/** The object `proxyMode` returns. */
export type ProxyMode = ReturnType<typeof proxyMode>;
