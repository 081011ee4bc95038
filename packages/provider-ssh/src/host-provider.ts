/**
 * The host provider: runs each revision of a service as a container on one Docker host, reached
 * through a `HostTransport` (the local engine, or a remote one). The one module that sequences
 * effects; every decision it takes comes from the pure builders beside it.
 */
import {
  type ApplyOutcome,
  BerthError,
  defineProvider,
  type ImageBuilder,
  type PreflightCheck,
  type Provider,
  ProviderError,
  type ServiceSpec,
  type ValidationIssue,
} from '@berth/core';
import { parseLabels } from './container-labels.js';
import { containerName, hostPortOf, serviceUrl } from './container-spec.js';
import { lastLines } from './docker-logs.js';
import { hostOperations, outcomeOf } from './host-operations.js';
import type { HostOptions } from './host-options.js';
import type { HostTransport } from './host-transport.js';
import type { LocalSecretStore } from './local-secret-store.js';
import type { ProxyFiles } from './proxy/proxy-files.js';
import { proxyMode } from './proxy/proxy-mode.js';
import type { ProxySettings } from './proxy/proxy-options.js';
import { livenessOf, newestFirst, observedFrom, pickCurrent, revisionInfoOf } from './revisions.js';

/** What `hostProvider` is made of. */
export interface HostProviderConfig {
  /** Provider id, e.g. `local-docker`. */
  name: string;
  transport: HostTransport;
  /** Validated options (`parseHostOptions`). */
  options: HostOptions;
  secrets: LocalSecretStore;
  /** A builder running on the same engine, when the provider brings one. */
  imageBuilder?: ImageBuilder;
  /**
   * The engine this provider runs containers on, as `describeDockerEngine()` names it, when an image
   * built there can run before its push ends (the local engine): becomes `ImageTarget.runsOn`.
   */
  runsOn?: () => Promise<string>;
  /** A lock that lives with the target (local Docker: a lock file in the local store). */
  lock?: Provider['lock'];
  /** Proxy mode (`options.proxy`): the proxy's settings and its folder on the host. */
  proxy?: { settings: ProxySettings; files: ProxyFiles; fetch?: typeof globalThis.fetch };
}

const LOG_LINES = 15;

/** Provider rules a single host adds to the spec. Pure. */
export function validateHostSpec(spec: ServiceSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const minInstances = spec.resources?.minInstances;
  if (minInstances !== undefined && minInstances > 1)
    issues.push({
      path: 'resources.minInstances',
      message: `a host runs one container per service, not ${minInstances}`,
      hint: 'Remove resources.minInstances or set it to 0 or 1 for this provider.',
    });
  return issues;
}

/** A provider running revisions as containers on one Docker host. */
export function hostProvider(config: HostProviderConfig): Provider {
  const { transport, options } = config;
  const host = hostOperations({ transport, options, secrets: config.secrets });
  const proxy = config.proxy
    ? proxyMode({
        transport,
        options,
        host,
        files: config.proxy.files,
        settings: config.proxy.settings,
        ...(config.proxy.fetch ? { fetch: config.proxy.fetch } : {}),
      })
    : undefined;

  const provider: Provider = {
    specificationVersion: 'v1',
    name: config.name,
    secrets: config.secrets,
    // The convergence ledger lives beside the secrets, with the target.
    ledger: config.secrets.ledger,
    ...(config.lock ? { lock: config.lock } : {}),
    ...(config.imageBuilder ? { imageBuilder: config.imageBuilder } : {}),

    validateSpec: validateHostSpec,

    predictUrl: (_target, spec) =>
      proxy
        ? proxy.stableUrl(spec.port)
        : serviceUrl(options.bindAddress, hostPortOf(host.settings, spec.port), options.urlHost),

    async imageTarget(_context, target) {
      if (!options.registry) return undefined;
      const runsOn = await config.runsOn?.();
      return {
        registry: options.registry.host,
        repository: `berth/${target.service}`,
        credentials: { username: options.registry.username, password: options.registry.password },
        ...(runsOn ? { runsOn } : {}),
      };
    },

    async preflight(_context, target, spec) {
      const checks: PreflightCheck[] = [];
      try {
        await transport.ping();
        checks.push({ name: 'docker-engine', ok: true, message: `${transport.description} answers` });
      } catch (error) {
        const berthError = BerthError.isInstance(error) ? error : undefined;
        checks.push({
          name: 'docker-engine',
          ok: false,
          message: berthError?.message ?? `${transport.description} does not answer`,
          hint: berthError?.hint ?? 'Start the Docker engine or set DOCKER_HOST.',
        });
        return checks;
      }
      if (proxy && spec) checks.push(await proxy.preflight(target.service, spec.port));
      const hostPort = options.hostPort ?? spec?.port;
      if (!proxy && hostPort !== undefined) checks.push(await host.checkPort(target.service, hostPort));
      return checks;
    },

    async observe(_context, target) {
      if (proxy) {
        const containers = await host.inspectManaged(target.service);
        if (containers.length === 0) return undefined;
        return proxy.observedFrom(containers, await proxy.upstreamOf(target.service));
      }
      const current = pickCurrent(await host.inspectManaged(target.service));
      return current ? observedFrom(current, options.urlHost) : undefined;
    },

    async apply(context, desired) {
      if (proxy) return proxy.apply(context, desired);
      const before = await host.managed(desired.service);
      const serving = before.filter(
        (container) => container.state === 'running' || container.state === 'restarting',
      );
      const port = await host.checkPort(desired.service, hostPortOf(host.settings, desired.port));
      if (!port.ok)
        throw new ProviderError('PROVIDER_CONFLICT', port.message ?? 'The host port is taken', {
          hint: port.hint,
        });
      // The old revision keeps serving until the new container exists; both cannot hold the port.
      const created = await host.createRevision(context, desired);
      await host.stopAll(
        context,
        serving.filter((container) => container.id !== created.id),
      );
      try {
        await transport.startContainer(created.id);
      } catch (error) {
        context.log('warn', `Container ${created.name} did not start; restarting the previous revision`);
        for (const container of serving) await transport.startContainer(container.id).catch(() => {});
        throw error;
      }
      context.log('info', `Started container ${created.name}`, { revision: desired.revision });
      // The new revision runs: a failed clean-up of old ones must not fail (and roll back) the deploy.
      await host
        .prune(
          context,
          desired.service,
          serving.map((container) => container.id),
        )
        .catch((error: unknown) =>
          context.log(
            'warn',
            `Could not prune old revisions of ${desired.service}: ${(error as Error).message}`,
          ),
        );
      return outcomeOf(created.labels, created, options.urlHost);
    },

    ...(proxy
      ? {
          shiftTraffic: proxy.shiftTraffic,
        }
      : {}),

    async restoreRevision(context, target, record): Promise<ApplyOutcome> {
      if (proxy) return proxy.restoreRevision(context, target, record);
      const name = containerName(target.service, record.revision);
      const containers = await host.managed(target.service);
      let wanted = containers.find((container) => container.name === name);
      if (wanted && wanted.state === 'dead') {
        await transport.removeContainer(wanted.id);
        wanted = undefined;
      }
      await host.stopAll(
        context,
        containers.filter(
          (container) =>
            container.id !== wanted?.id && container.state !== 'exited' && container.state !== 'created',
        ),
      );
      let started: { id: string; name: string };
      if (wanted) started = wanted;
      else {
        context.log('info', `The container of ${record.revision} was pruned; creating it again`);
        started = await host.createRevision(context, record.desired);
      }
      await transport.startContainer(started.id);
      const details = await transport.inspectContainer(started.id);
      const labels = details ? parseLabels(details.labels) : undefined;
      if (!labels)
        throw new ProviderError(
          'PROVIDER_NOT_FOUND',
          `Container ${started.name} vanished while it was restored`,
        );
      context.log('info', `Restored revision ${record.revision} (container ${started.name})`);
      return outcomeOf(labels, started, options.urlHost);
    },

    async listRevisions(_context, target) {
      const containers = newestFirst(await host.managed(target.service));
      // Proxy mode: the revision with traffic is the one the proxy forwards to, not any that runs.
      const upstream = proxy ? await proxy.upstreamOf(target.service) : undefined;
      return containers.flatMap((container) => {
        const info = revisionInfoOf(container);
        if (!info || !proxy) return info ?? [];
        const routed = upstream !== undefined && parseLabels(container.labels)?.hostPort === upstream;
        return { ...info, traffic: routed ? 100 : 0 };
      });
    },

    async probeRevision(_context, target, revision) {
      const details = await transport.inspectContainer(containerName(target.service, revision));
      const first = livenessOf(details, []);
      if (first.alive || !details) return first;
      const logs = await transport.containerLogs(details.id, LOG_LINES * 2).catch(() => '');
      const restarted = details.restarting || details.restartCount > 0;
      const exitCodes = restarted
        ? await transport.containerExitCodes(details.id, Date.parse(details.createdAt) || 0).catch(() => [])
        : [];
      return livenessOf(details, lastLines(logs, LOG_LINES), exitCodes);
    },

    async destroy(context, target, destroyOptions) {
      const containers = await host.managed(target.service);
      const removed: string[] = [];
      if (proxy) {
        const port = containers.map((container) => parseLabels(container.labels)?.port).find(Boolean);
        if (await proxy.removeRoutes(context, target.service, port))
          removed.push(`proxy-route:${target.service}`);
      }
      const images = new Set<string>();
      for (const container of containers) {
        const labels = parseLabels(container.labels);
        if (labels) images.add(labels.image.ref);
        await transport.removeContainer(container.id);
        removed.push(container.name);
      }
      if (destroyOptions.deleteImages)
        for (const image of images) if (await transport.removeImage(image)) removed.push(`image:${image}`);
      context.log('info', `Removed ${containers.length} container(s) of ${target.service}`);
      return { removed };
    },

    async close() {
      await transport.close?.();
    },
  };
  return defineProvider(provider);
}
