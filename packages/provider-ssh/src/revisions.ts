/**
 * Pure decisions about revision containers: which one is current, what it says about the live
 * service, which ones to prune, and why one is not alive.
 */
import type { ObservedService, RevisionInfo, RevisionLiveness } from '@berth/core';
import { parseLabels, type RevisionLabels } from './container-labels.js';
import { serviceUrl } from './container-spec.js';
import type { ContainerDetails, ContainerSummary } from './host-transport.js';

/** A container with its parsed labels. */
export interface RevisionContainer {
  details: ContainerDetails;
  labels: RevisionLabels;
}

/** `NAME=value` lines → a record (the first `=` splits). */
export function envOf(lines: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

/** The URL a revision container answers on. */
export function urlOf(labels: Pick<RevisionLabels, 'bindAddress' | 'hostPort'>, urlHost?: string): string {
  return serviceUrl(labels.bindAddress, labels.hostPort, urlHost);
}

/**
 * The live service as a container shows it. Plain env values come from the container (only the
 * names the spec set); secrets contribute their reference and fingerprint from the labels, never
 * the values the container holds.
 */
export function observedFrom(container: RevisionContainer, urlHost?: string): ObservedService {
  const { details, labels } = container;
  const all = envOf(details.env);
  const env = Object.fromEntries(
    labels.envKeys.filter((key) => key in all).map((key) => [key, all[key] ?? '']),
  );
  return {
    service: labels.service,
    url: urlOf(labels, urlHost),
    revision: labels.revision,
    image: labels.image,
    port: labels.port,
    env,
    secrets: Object.fromEntries(
      Object.entries(labels.secrets).map(([key, secret]) => [
        key,
        { ...(secret.ref ? { ref: secret.ref } : {}), fingerprint: secret.fingerprint },
      ]),
    ),
    resources: labels.resources,
    public: labels.public,
    ready: details.running && !details.restarting,
    running: details.running && !details.restarting,
    data: { container: details.name, containerId: details.id, status: details.status },
  };
}

function startedAtOf(details: ContainerDetails): number {
  const time = Date.parse(details.startedAt);
  return Number.isNaN(time) ? 0 : time;
}

/**
 * The current revision: a running container (the most recently started, should there be several),
 * else the one started last — e.g. the revision that crashed. `undefined` when there is none.
 */
export function pickCurrent(containers: RevisionContainer[]): RevisionContainer | undefined {
  const ranked = [...containers].sort((left, right) => {
    const running = Number(right.details.running) - Number(left.details.running);
    if (running !== 0) return running;
    const started = startedAtOf(right.details) - startedAtOf(left.details);
    if (started !== 0) return started;
    return Date.parse(right.details.createdAt) - Date.parse(left.details.createdAt);
  });
  return ranked[0];
}

/** Newest first, by creation time then revision id (ids sort by sequence). */
export function newestFirst(containers: ContainerSummary[]): ContainerSummary[] {
  return [...containers].sort((left, right) => {
    if (right.createdAt !== left.createdAt) return right.createdAt - left.createdAt;
    const leftRevision = left.labels['dev.berth.revision'] ?? '';
    const rightRevision = right.labels['dev.berth.revision'] ?? '';
    return rightRevision < leftRevision ? -1 : rightRevision > leftRevision ? 1 : 0;
  });
}

/**
 * Containers to remove after a deploy: the stopped ones beyond the `keep` newest. Never a running
 * one, nor one listed in `protect` (the revision that served before the deploy: the rollback target).
 */
export function selectPrunable(
  containers: ContainerSummary[],
  options: { keep: number; protect: string[] },
): ContainerSummary[] {
  return newestFirst(containers.filter((container) => container.state !== 'running'))
    .slice(options.keep)
    .filter((container) => !options.protect.includes(container.id));
}

/** A revision container as a `RevisionInfo`. */
export function revisionInfoOf(container: ContainerSummary): RevisionInfo | undefined {
  const labels = parseLabels(container.labels);
  if (!labels) return undefined;
  const running = container.state === 'running';
  return {
    revision: labels.revision,
    image: labels.image,
    createdAt: new Date(container.createdAt).toISOString(),
    traffic: running ? 100 : 0,
    status: running
      ? 'running'
      : container.state === 'exited' || container.state === 'created'
        ? 'stopped'
        : container.state,
  };
}

/**
 * Whether a revision's container is alive. A container the restart policy is bringing back, or
 * that restarted since it was started, counts as dead: it crashed. The reason carries the exit
 * code and the last log lines (never the container's environment).
 */
export function livenessOf(
  details: ContainerDetails | undefined,
  logLines: string[],
  exitCodes: number[] = [],
): RevisionLiveness {
  if (!details) return { alive: false, reason: 'the container does not exist' };
  if (details.running && !details.restarting && details.restartCount === 0) return { alive: true };
  // Once restarted, the state says exit code 0: the engine's events keep the real one.
  const lastExit = exitCodes[exitCodes.length - 1] ?? details.exitCode;
  const what = details.oomKilled
    ? 'was killed for using too much memory'
    : details.running || details.restarting
      ? `exited with code ${lastExit} and keeps restarting (${details.restartCount} restarts)`
      : details.status === 'created'
        ? 'was created but never started'
        : `exited with code ${details.exitCode}`;
  const error = details.error ? `; engine: ${details.error}` : '';
  const logs = logLines.length > 0 ? `; last log lines:\n${logLines.join('\n')}` : '';
  return { alive: false, reason: `container ${details.name} ${what}${error}${logs}` };
}
