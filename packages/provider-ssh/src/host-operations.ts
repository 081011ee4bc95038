/**
 * The effectful steps of the host provider, each a few transport calls: find a service's revision
 * containers, make sure an image is present, create a revision container, stop, prune, check ports.
 * `host-provider.ts` sequences them into the provider's methods.
 */
import {
  type ApplyOutcome,
  type DesiredService,
  ImageError,
  type PreflightCheck,
  type ProviderContext,
  ProviderError,
} from '@berth/core';
import { buildLabels, parseLabels, type RevisionLabels, serviceSelector } from './container-labels.js';
import { buildCreateBody, containerName, type HostSettings, hostPortOf } from './container-spec.js';
import type { HostOptions } from './host-options.js';
import type { ContainerSummary, HostTransport } from './host-transport.js';
import { recordedDigestOf, registryHostOf } from './image-ref.js';
import type { LocalSecretStore } from './local-secret-store.js';
import { portHolders } from './port-holders.js';
import { type RevisionContainer, selectPrunable, urlOf } from './revisions.js';

/** What every host operation works with. */
export interface HostContext {
  transport: HostTransport;
  options: HostOptions;
  secrets: LocalSecretStore;
}

/** A revision container just created. */
export interface CreatedRevision {
  id: string;
  name: string;
  labels: RevisionLabels;
}

/** The outcome the engine gets for a revision container. */
export function outcomeOf(
  labels: RevisionLabels,
  container: { id: string; name: string },
  urlHost?: string,
): ApplyOutcome {
  return {
    revision: labels.revision,
    url: urlOf(labels, urlHost),
    data: { container: container.name, containerId: container.id },
  };
}

/** The host operations bound to one transport and set of options. */
export function hostOperations(host: HostContext) {
  const { transport, options } = host;
  const settings: HostSettings = {
    bindAddress: options.bindAddress,
    restartPolicy: options.restartPolicy,
    ...(options.hostPort !== undefined ? { hostPort: options.hostPort } : {}),
  };

  /** Every revision container of `service`, in any state. */
  async function managed(service: string): Promise<ContainerSummary[]> {
    const containers = await transport.listContainers(serviceSelector(service));
    return containers.filter((container) => parseLabels(container.labels)?.service === service);
  }

  /** Inspect `service`'s revision containers (skipping any removed meanwhile). */
  async function inspectManaged(service: string): Promise<RevisionContainer[]> {
    const inspected = await Promise.all(
      (await managed(service)).map(async (summary) => {
        const details = await transport.inspectContainer(summary.id);
        const labels = details ? parseLabels(details.labels) : undefined;
        return details && labels ? withPushedDigest({ details, labels }) : undefined;
      }),
    );
    return inspected.filter((container) => container !== undefined);
  }

  /**
   * A revision created from its image's tag while the push to the registry was still running has no
   * digest label: the engine's record of that push (the image's `RepoDigests`) gives the digest, and
   * the ref stays the tag the container was created from. Without one (the push failed), the revision
   * has no digest, so a plan by digest never takes it for the pushed image.
   */
  async function withPushedDigest(container: RevisionContainer): Promise<RevisionContainer> {
    const { details, labels } = container;
    if (labels.image.digest || !registryHostOf(labels.image.ref)) return container;
    const image = await transport.inspectImage(details.imageId);
    const digest = image?.repoDigests ? recordedDigestOf(labels.image.ref, image.repoDigests) : undefined;
    return digest ? { details, labels: { ...labels, image: { ref: labels.image.ref, digest } } } : container;
  }

  /** Pull `ref` unless the engine has it; credentials go only to the configured registry. */
  async function ensureImage(context: ProviderContext, ref: string): Promise<void> {
    if (await transport.inspectImage(ref)) return;
    const registry = registryHostOf(ref);
    if (!registry)
      throw new ImageError('IMAGE_NOT_FOUND', `Image ${ref} is not in the ${transport.description}`, {
        hint: 'The image was built in another engine or removed: build it again (deploy with `build`), or configure `registry` so images are pushed and pulled.',
      });
    const auth =
      options.registry && options.registry.host === registry
        ? {
            serverAddress: registry,
            credentials: { username: options.registry.username, password: options.registry.password },
          }
        : undefined;
    context.log('info', `Pulling ${ref}`, { registry });
    await transport.pullImage(ref, auth, (message) => context.progress({ step: 'pull', message }));
    if (!(await transport.inspectImage(ref)))
      throw new ImageError('IMAGE_NOT_FOUND', `Image ${ref} is still missing after the pull`);
  }

  /**
   * Create (not start) the container of `desired` (on `placement`, default the service port),
   * replacing a leftover container of the same revision.
   */
  async function createRevision(
    context: ProviderContext,
    desired: DesiredService,
    placement?: { bindAddress: string; hostPort: number },
  ): Promise<CreatedRevision> {
    // Independent reads side by side: the image (pulled if missing), the secret values, a leftover.
    const [, secretValues, leftover] = await Promise.all([
      ensureImage(context, desired.image.ref),
      host.secrets.resolve(desired, desired.secrets),
      transport.inspectContainer(containerName(desired.service, desired.revision)),
    ]);
    // Proxy mode places each revision on its own loopback port; direct mode on the service port.
    const placed = placement ? { ...settings, ...placement } : settings;
    const hostPort = hostPortOf(placed, desired.port);
    const labels = buildLabels(desired, { hostPort, bindAddress: placed.bindAddress });
    const body = buildCreateBody({ desired, secretValues, settings: placed, labels });
    if (leftover) {
      if (!parseLabels(leftover.labels))
        throw new ProviderError(
          'PROVIDER_CONFLICT',
          `A container named ${body.name} exists and is not managed by Berth`,
          {
            hint: `Rename or remove the container ${body.name}; Berth only touches containers labelled dev.berth.managed-by=berth.`,
          },
        );
      await transport.removeContainer(leftover.id);
    }
    const id = await transport.createContainer(body);
    context.log('info', `Created container ${body.name}`, { revision: desired.revision });
    return { id, name: body.name, labels: parseLabels(labels)! };
  }

  /** Stop containers (kept for rollback). */
  async function stopAll(context: ProviderContext, containers: ContainerSummary[]): Promise<void> {
    for (const container of containers) {
      context.log('info', `Stopping container ${container.name}`);
      await transport.stopContainer(container.id, options.stopTimeoutSeconds);
    }
  }

  /** Remove the stopped revision containers beyond `keepRevisions`; returns their names. */
  async function prune(context: ProviderContext, service: string, protect: string[]): Promise<string[]> {
    const doomed = selectPrunable(await managed(service), { keep: options.keepRevisions, protect });
    for (const container of doomed) {
      context.log('info', `Removing old revision container ${container.name}`);
      await transport.removeContainer(container.id);
    }
    return doomed.map((container) => container.name);
  }

  /** Whether `service` may publish `hostPort`: free, or held by one of its own containers. */
  async function checkPort(service: string, hostPort: number): Promise<PreflightCheck> {
    const placement = { bindAddress: settings.bindAddress, hostPort };
    const where = `${placement.bindAddress}:${hostPort}`;
    const containers = await transport.listContainers({});
    const holders = portHolders(
      containers,
      placement,
      (container) => parseLabels(container.labels)?.service === service,
    );
    const other = holders.others[0];
    if (other)
      return {
        name: 'host-port',
        ok: false,
        message: `${where} is published by container ${other.name}`,
        hint: `Stop container ${other.name}, or set the \`hostPort\` option to a free port.`,
      };
    if (holders.own.length > 0)
      return { name: 'host-port', ok: true, message: `${where} is held by this service` };
    if (await transport.isPortFree(placement.bindAddress, hostPort))
      return { name: 'host-port', ok: true, message: `${where} is free` };
    // A container of this service the daemon is still starting (its run was killed during the start)
    // holds the port before it lists it: it is this service's, and the deploy replaces it.
    const starting = containers.find((container) => {
      const labels = parseLabels(container.labels);
      return labels?.service === service && labels.hostPort === hostPort && container.ports.length === 0;
    });
    if (starting)
      return {
        name: 'host-port',
        ok: true,
        message: `${where} is held by this service (${starting.name}, starting)`,
      };
    return {
      name: 'host-port',
      ok: false,
      message: `${where} is in use by another process`,
      hint: 'Stop the process listening on that port, or set the `hostPort` option to a free port.',
    };
  }

  return {
    settings,
    managed,
    inspectManaged,
    ensureImage,
    createRevision,
    stopAll,
    prune,
    checkPort,
    containerName,
  };
}

/** The operations object `hostOperations` returns. */
export type HostOperations = ReturnType<typeof hostOperations>;
