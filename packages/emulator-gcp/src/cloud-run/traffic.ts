import { invalidArgument, type JsonObject } from '../rpc/rpc-error.js';

/** A traffic target in canonical form. */
export interface Target {
  type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' | 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
  revision?: string;
  percent: number;
  tag?: string;
}

const latest = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
const byRevision = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
const dnsLabel = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** What the service's traffic defaults to when `traffic` is empty: 100% to the latest ready revision. */
export const defaultTraffic: Target[] = [{ type: latest, percent: 100 }];

/**
 * Validate `traffic` of a service request and return canonical targets. `knownRevisions` are the
 * short names of the service's revisions, including one the same request creates.
 */
export function validateTraffic(
  traffic: JsonObject[] | undefined,
  serviceId: string,
  knownRevisions: ReadonlySet<string>,
): Target[] {
  if (!traffic || traffic.length === 0) return defaultTraffic.map((target) => ({ ...target }));
  const tags = new Set<string>();
  let total = 0;
  const targets = traffic.map((entry, index) => {
    const field = `service.traffic[${index}]`;
    const revision = typeof entry.revision === 'string' && entry.revision !== '' ? entry.revision : undefined;
    const declared = entry.type === latest || entry.type === byRevision ? entry.type : undefined;
    const type = declared ?? (revision ? byRevision : latest);
    const percent = typeof entry.percent === 'number' ? entry.percent : 0;
    const tag = typeof entry.tag === 'string' && entry.tag !== '' ? entry.tag : undefined;
    if (percent < 0 || percent > 100)
      throw invalidArgument(`${field}.percent`, 'Traffic percent must be between 0 and 100.');
    if (type === latest && revision)
      throw invalidArgument(`${field}.revision`, 'A traffic target of type LATEST must not name a revision.');
    if (type === byRevision && !revision)
      throw invalidArgument(`${field}.revision`, 'A traffic target of type REVISION must name a revision.');
    if (revision && !knownRevisions.has(revision))
      throw invalidArgument(`${field}.revision`, `Revision '${revision}' referenced in traffic not found.`);
    if (tag !== undefined) {
      if (!dnsLabel.test(tag) || `${tag}---${serviceId}`.length > 63)
        throw invalidArgument(
          `${field}.tag`,
          `Tag '${tag}' is invalid: it must be a lowercase DNS label, and '${tag}---${serviceId}' at most 63 characters.`,
        );
      if (tags.has(tag))
        throw invalidArgument(`${field}.tag`, `Tag '${tag}' is used by more than one traffic target.`);
      tags.add(tag);
    }
    total += percent;
    return { type, percent, ...(revision ? { revision } : {}), ...(tag ? { tag } : {}) } as Target;
  });
  if (total !== 100)
    throw invalidArgument('service.traffic', `Traffic percents must sum to 100, got ${total}.`);
  return targets;
}

/** Revisions a traffic list references (by percent or tag), with LATEST resolved. */
export function referencedRevisions(targets: Target[], latestReady: string | undefined): Set<string> {
  const names = new Set<string>();
  for (const target of targets) {
    const revision = target.type === latest ? latestReady : target.revision;
    if (revision && (target.percent > 0 || target.tag)) names.add(revision);
  }
  return names;
}

/** `trafficStatuses` of a service that reconciled `targets`. `tagUri` gives each tag's URL. */
export function trafficStatuses(targets: Target[], tagUri: (tag: string) => string): JsonObject[] {
  return targets.map((target) => ({
    type: target.type,
    ...(target.revision ? { revision: target.revision } : {}),
    percent: target.percent,
    ...(target.tag ? { tag: target.tag, uri: tagUri(target.tag) } : {}),
  }));
}

/** The serving split: revision → percent, LATEST resolved, zero-percent targets dropped. */
export function servingSplit(
  targets: Target[],
  latestReady: string | undefined,
): { revision: string; percent: number }[] {
  const split = new Map<string, number>();
  for (const target of targets) {
    const revision = target.type === latest ? latestReady : target.revision;
    if (revision && target.percent > 0) split.set(revision, (split.get(revision) ?? 0) + target.percent);
  }
  return [...split].map(([revision, percent]) => ({ revision, percent }));
}

/** The revision a tag points at, LATEST resolved. */
export function tagTarget(
  targets: Target[],
  tag: string,
  latestReady: string | undefined,
): string | undefined {
  const target = targets.find((candidate) => candidate.tag === tag);
  if (!target) return undefined;
  return target.type === latest ? latestReady : target.revision;
}

/**
 * Smooth weighted round-robin (as nginx does): deterministic, and over any 100 requests each
 * revision gets exactly its percent.
 */
export function createWeightedPicker(): (
  split: { revision: string; percent: number }[],
) => string | undefined {
  const current = new Map<string, number>();
  return (split) => {
    if (split.length === 0) return undefined;
    let total = 0;
    let best: string | undefined;
    let bestWeight = Number.NEGATIVE_INFINITY;
    for (const { revision, percent } of split) {
      const weight = (current.get(revision) ?? 0) + percent;
      current.set(revision, weight);
      total += percent;
      if (weight > bestWeight) {
        bestWeight = weight;
        best = revision;
      }
    }
    if (best !== undefined) current.set(best, (current.get(best) ?? 0) - total);
    for (const revision of current.keys())
      if (!split.some((entry) => entry.revision === revision)) current.delete(revision);
    return best;
  };
}
