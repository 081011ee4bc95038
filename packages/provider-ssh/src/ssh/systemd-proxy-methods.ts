/**
 * The systemd method's provider methods in proxy mode (see systemd-proxy.ts): `apply` starts the
 * revision in the free slot unit on a loopback port and returns its candidate URL; `shiftTraffic`
 * points the proxy at it, names it `current`, drains and stops the other slot; `restoreRevision`
 * starts a kept revision in the free slot and switches; `observe` reads the proxy's upstream.
 */
import {
  type ApplyOutcome,
  type DesiredService,
  type ObservedService,
  type ProviderContext,
  ProviderError,
  type RevisionLiveness,
  type RevisionRecord,
  type ServiceTarget,
} from '@berth/core';
import type { LocalSecretStore } from '../local-secret-store.js';
import { waitUntilAnswers } from '../proxy/wait-until-answers.js';
import { type AuditEntry, type AuditOptions, timedPhase } from './host-audit.js';
import type { HistoryPhase } from './host-history.js';
import type { HostLayout } from './host-layout.js';
import { sh } from './remote-command.js';
import { readRemoteFile, writeRemoteFiles } from './remote-files.js';
import type { SshConnection } from './ssh-connection.js';
import { sshFetch } from './ssh-fetch.js';
import type { SshSystemdOptions } from './ssh-host-options.js';
import { freeSlot, type SystemdProxy, slotService } from './systemd-proxy.js';
import { pruneSystemdReleases } from './systemd-prune.js';
import {
  observedOf,
  type ProxySlot,
  type SystemdRevisionRecord,
  serviceEnvironment,
  withoutSecretValues,
} from './systemd-records.js';
import type { SnapshotParts, SystemdSnapshot } from './systemd-snapshot.js';
import { parseUnitStart, type SystemdUnits, unitLiveness } from './systemd-units.js';
import { renderEnvironmentFile, unitName } from './unit-file.js';

/** What the systemd provider lends its proxy mode. */
export interface SystemdProxyKit {
  connection: SshConnection;
  options: SshSystemdOptions;
  units: SystemdUnits;
  proxy: SystemdProxy;
  secrets: LocalSecretStore;
  layoutOf(target: ServiceTarget): HostLayout;
  readRecord(layout: HostLayout, revision: string): Promise<SystemdRevisionRecord | undefined>;
  snapshot(layout: HostLayout, service: string, parts?: SnapshotParts): Promise<SystemdSnapshot>;
  unitFor(
    layout: HostLayout,
    desired: DesiredService,
    releaseId: string,
    plain: Record<string, string>,
  ): string;
  pointCurrent(layout: HostLayout, record: SystemdRevisionRecord): Promise<void>;
  audited<T>(
    context: ProviderContext,
    layout: HostLayout,
    entry: AuditEntry,
    body: (phases: HistoryPhase[]) => Promise<T>,
    options?: AuditOptions,
  ): Promise<T>;
}

const journalLines = 15;

/** The proxy-mode methods. */
export function systemdProxyMethods(kit: SystemdProxyKit) {
  const { connection, units, proxy } = kit;
  const startFileOf = (layout: HostLayout, slot: ProxySlot) => `${layout.unitStartFile}-${slot}`;
  const fetchOnHost = sshFetch(connection);

  /** Write the revision's files and start it in `slot` on `port`. */
  async function startInSlot(
    context: ProviderContext,
    layout: HostLayout,
    record: SystemdRevisionRecord,
    plain: Record<string, string>,
    secretText: string | undefined,
    phases: HistoryPhase[],
  ): Promise<void> {
    const { slot, port } = record.proxy!;
    const unitText = kit.unitFor(layout, record.desired, record.releaseId, { ...plain, PORT: String(port) });
    await connection.run(
      sh`umask 077 && mkdir -p -- ${layout.envDir} && umask 022 && mkdir -p -- ${layout.revisionsDir} ${layout.unitsDir}`,
    );
    await writeRemoteFiles(connection, [
      ...(secretText !== undefined
        ? [{ path: layout.envFile(record.revision), data: secretText, mode: 0o600 }]
        : []),
      { path: layout.unitCopy(record.revision), data: unitText, mode: 0o644 },
      { path: layout.revision(record.revision), data: `${JSON.stringify(record)}\n`, mode: 0o644 },
    ]);
    await timedPhase(context, phases, 'start', async () => {
      const service = slotService(record.desired.service, slot);
      await units.install(service, unitText);
      try {
        await units.restart(service, record.revision, startFileOf(layout, slot));
      } catch (error) {
        const journal = await units.journal(service, journalLines).catch(() => '');
        throw new ProviderError(
          'DEPLOY_FAILED',
          `${unitName(service)} did not start: ${(error as Error).message}`,
          {
            hint: 'Read the log lines in `details.journal`; check the `start` command and that it listens on $PORT.',
            cause: error,
            details: { journal: journal.slice(-2000) },
          },
        );
      }
      context.log(
        'info',
        `${unitName(service)} runs ${record.revision} on 127.0.0.1:${port}, beside the serving revision`,
      );
    });
  }

  /** Point the proxy at `record` (timed), name it current, then drain and stop the other slot. */
  async function switchTo(context: ProviderContext, layout: HostLayout, record: SystemdRevisionRecord) {
    const service = record.desired.service;
    const { slot, port } = record.proxy!;
    const before = await proxy.routes.upstreamPort(service);
    // From direct mode: the service's own unit holds the stable port until it stops.
    if (before === undefined) await proxy.stopUnit(unitName(service));
    const started = context.clock.now();
    await proxy.routes.point(proxy.routeFor(service, record.desired.port, port));
    const switchMs = context.clock.now() - started;
    context.log('info', `Proxy sends ${service} to ${record.revision} (switched in ${switchMs} ms)`, {
      revision: record.revision,
      switchMs,
      upstreamPort: port,
    });
    await kit.pointCurrent(layout, record);
    const other = unitName(slotService(service, slot === 'a' ? 'b' : 'a'));
    if (before !== undefined && proxy.settings.drainSeconds > 0)
      await context.clock.sleep(proxy.settings.drainSeconds * 1000, context.signal);
    await proxy.stopUnit(other);
  }

  const outcome = (record: SystemdRevisionRecord): ApplyOutcome => ({
    revision: record.revision,
    url: record.url,
    data: {
      releaseId: record.releaseId,
      unit: unitName(slotService(record.desired.service, record.proxy!.slot)),
      upstreamPort: record.proxy!.port,
    },
  });

  return {
    /** The body of `apply` (under the audit): start beside the serving revision, return the candidate URL. */
    async apply(
      context: ProviderContext,
      layout: HostLayout,
      desired: DesiredService,
      releaseId: string,
      host: SystemdSnapshot,
      phases: HistoryPhase[],
    ): Promise<ApplyOutcome> {
      await proxy.ensure(context);
      const serving = await proxy.routes.upstreamPort(desired.service);
      const values = await kit.secrets.resolve(desired, desired.secrets);
      const environment = serviceEnvironment(desired, values);
      const port = await proxy.freePort(host.sockets ?? [], serving === undefined ? [] : [serving]);
      const record: SystemdRevisionRecord = {
        version: 1,
        revision: desired.revision,
        releaseId,
        createdAt: new Date(context.clock.now()).toISOString(),
        url: proxy.stableUrl(desired.port),
        desired: withoutSecretValues(desired),
        proxy: { slot: freeSlot(serving === undefined ? undefined : host.record), port },
      };
      await startInSlot(
        context,
        layout,
        record,
        environment.plain,
        renderEnvironmentFile(environment.secret),
        phases,
      );
      await pruneSystemdReleases(
        connection,
        layout,
        kit.options,
        context,
        desired.revision,
        host.record?.releaseId,
      ).catch((error: unknown) =>
        context.log('warn', `Pruning old releases failed: ${(error as Error).message}`),
      );
      return { ...outcome(record), candidateUrl: `http://127.0.0.1:${port}` };
    },

    async shiftTraffic(context: ProviderContext, target: ServiceTarget, revision: string) {
      const layout = kit.layoutOf(target);
      return kit.audited(
        context,
        layout,
        { operation: 'switch', service: target.service, revision },
        (phases) =>
          timedPhase(context, phases, 'switch', async () => {
            const record = await kit.readRecord(layout, revision);
            if (!record?.proxy)
              throw new ProviderError(
                'REVISION_NOT_FOUND',
                `Revision ${revision} has no proxy slot on ${connection.target}`,
              );
            await proxy.ensure(context);
            await switchTo(context, layout, record);
            return outcome(record);
          }),
      );
    },

    async restoreRevision(context: ProviderContext, target: ServiceTarget, wanted: RevisionRecord) {
      const layout = kit.layoutOf(target);
      return kit.audited(
        context,
        layout,
        { operation: 'restore', service: target.service, revision: wanted.revision },
        async (phases) => {
          const kept = await kit.readRecord(layout, wanted.revision);
          const present =
            kept &&
            (
              await connection.run(
                sh`test -e ${layout.readyMarker(kept.releaseId)} && test -f ${layout.envFile(wanted.revision)}`,
                { allowExitCodes: [0, 1] },
              )
            ).exitCode === 0;
          if (!kept || !present)
            throw new ProviderError(
              'REVISION_NOT_FOUND',
              `Revision ${wanted.revision} is no longer kept on ${connection.target} (its release was pruned).`,
              { hint: 'Pick a revision from listRevisions(), or deploy that version again.' },
            );
          await proxy.ensure(context);
          const host = await kit.snapshot(layout, target.service, { sockets: true });
          const serving = await proxy.routes.upstreamPort(target.service);
          if (kept.proxy && serving === kept.proxy.port && host.currentRevision === kept.revision)
            return outcome(kept);
          const taken = serving === undefined ? [] : [serving];
          const port =
            kept.proxy &&
            !taken.includes(kept.proxy.port) &&
            !(host.sockets ?? []).some((socket) => socket.port === kept.proxy!.port)
              ? kept.proxy.port
              : await proxy.freePort(host.sockets ?? [], taken);
          const record: SystemdRevisionRecord = {
            ...kept,
            url: proxy.stableUrl(kept.desired.port),
            proxy: { slot: freeSlot(serving === undefined ? undefined : host.record), port },
          };
          // Plain variables only: its secret values stay in its own environment file.
          const secretKeys = Object.fromEntries(Object.keys(kept.desired.secrets).map((key) => [key, '']));
          const plain = serviceEnvironment(kept.desired, secretKeys).plain;
          await startInSlot(context, layout, record, plain, undefined, phases);
          await waitUntilAnswers(context, fetchOnHost, `http://127.0.0.1:${port}`, kept.desired.healthPath);
          await switchTo(context, layout, record);
          return outcome(record);
        },
      );
    },

    /** The live service: the revision the proxy's route forwards to (its slot unit's state). */
    async observe(target: ServiceTarget): Promise<ObservedService | undefined> {
      const layout = kit.layoutOf(target);
      const host = await kit.snapshot(layout, target.service);
      if (!host.record) return undefined;
      const upstream = await proxy.routes.upstreamPort(target.service).catch(() => undefined);
      const slot = host.record.proxy?.slot;
      const status = slot ? await units.status(slotService(target.service, slot)) : host.status;
      const observed = observedOf(host.record, status);
      const routed = host.record.proxy !== undefined && upstream === host.record.proxy.port;
      return {
        ...observed,
        ready: observed.ready && routed,
        running: status.activeState === 'active',
        data: { ...observed.data, ...(upstream !== undefined ? { upstreamPort: upstream } : {}) },
      };
    },

    /** Liveness of a revision in its slot (it is not `current` before the switch). */
    async probeRevision(target: ServiceTarget, revision: string): Promise<RevisionLiveness | undefined> {
      const layout = kit.layoutOf(target);
      const record = await kit.readRecord(layout, revision);
      if (!record?.proxy) return undefined;
      const service = slotService(target.service, record.proxy.slot);
      const [status, startText] = await Promise.all([
        units.status(service),
        readRemoteFile(connection, startFileOf(layout, record.proxy.slot)),
      ]);
      const start = parseUnitStart(startText);
      if (start && start.revision !== revision)
        return {
          alive: false,
          reason: `${unitName(service)} runs revision ${start.revision}, not ${revision}`,
        };
      const first = unitLiveness(status, '', start);
      if (first.alive) return first;
      const journal = await units.journal(service, journalLines, start?.since).catch(() => '');
      return unitLiveness(status, journal, start);
    },

    /** `down`: the service's routes and both slot units go (the proxy stays). */
    async destroy(
      context: ProviderContext,
      target: ServiceTarget,
      specPort: number | undefined,
    ): Promise<string[]> {
      const removed: string[] = [];
      const port = proxy.stablePort(specPort ?? 443);
      if (
        await proxy.routes
          .remove(target.service, {
            port,
            ...(proxy.settings.domain ? { domain: proxy.settings.domain } : {}),
          })
          .catch(() => false)
      )
        removed.push(`proxy-route:${target.service}`);
      for (const slot of ['a', 'b'] as const) {
        await units.remove(slotService(target.service, slot));
        removed.push(unitName(slotService(target.service, slot)));
      }
      context.log('info', `Removed the proxy routes and slot units of ${target.service}`);
      return removed;
    },
  };
}
