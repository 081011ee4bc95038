/**
 * The systemd method: each revision runs as the unit `berth-<service>.service` from a release
 * folder on the host. `apply` writes the revision's environment file (0600) and unit, switches the
 * `current` link atomically and restarts the unit; `restoreRevision` puts an earlier revision's
 * unit and release back. Every change holds the host lock (for an engine run, from its `lock`
 * phase to its end) and lands in the host history.
 */
import {
  type ApplyOutcome,
  type DesiredService,
  defineProvider,
  type PreflightCheck,
  type Provider,
  type ProviderContext,
  ProviderError,
  type ServiceTarget,
} from '@berth/core';
import { urlHostName } from '../container-spec.js';
import { validateHostSpec } from '../host-provider.js';
import type { LocalSecretStore } from '../local-secret-store.js';
import { proxySettingsOf } from '../proxy/proxy-options.js';
import {
  type AuditEntry,
  type AuditOptions,
  deployPhases,
  pendingPhases,
  runAudited,
  timedPhase,
  timedPreflight,
  withAuditSettings,
} from './host-audit.js';
import type { HistoryPhase } from './host-history.js';
import { type HostLayout, hostLayout } from './host-layout.js';
import { hostRunLock, runLocks } from './host-run-lock.js';
import { portTaken } from './proc-net.js';
import { joinCommands, sh } from './remote-command.js';
import { readRemoteFile, writeRemoteFile, writeRemoteFiles } from './remote-files.js';
import type { SshConnection } from './ssh-connection.js';
import type { SshSystemdOptions } from './ssh-host-options.js';
import { systemdProxy } from './systemd-proxy.js';
import { systemdProxyMethods } from './systemd-proxy-methods.js';
import { pruneSystemdReleases } from './systemd-prune.js';
import {
  memoryBytes,
  observedOf,
  parseRevisionRecord,
  revisionInfoOf,
  type SystemdRevisionRecord,
  serviceEnvironment,
  withoutSecretValues,
} from './systemd-records.js';
import { releaseIdOf, systemdReleaseBuilder } from './systemd-release-builder.js';
import {
  parseSnapshot,
  type SnapshotParts,
  type SystemdSnapshot,
  snapshotCommand,
} from './systemd-snapshot.js';
import { systemdUnits, unitLiveness } from './systemd-units.js';
import { renderEnvironmentFile, renderUnitFile, unitName } from './unit-file.js';

/** What the systemd provider is made of. */
export interface SystemdProviderConfig {
  connection: SshConnection;
  options: SshSystemdOptions;
  secrets: LocalSecretStore;
  operator: string;
}

const journalLines = 15;

/** The provider of the systemd method (use `sshHost({ method: 'systemd', … })`). */
export function systemdProvider(config: SystemdProviderConfig): Provider {
  const { connection, options, operator } = config;
  const units = systemdUnits(connection, options.ssh.username);
  const auditSettings = {
    connection,
    operator,
    lockTtlSeconds: options.lockTtlSeconds,
    pending: pendingPhases(),
    runLocks: runLocks(),
  };
  const audit = { ...auditSettings, baseDir: options.baseDir };
  const imageBuilder = systemdReleaseBuilder({ options, units, audit: auditSettings });
  const layoutOf = (target: ServiceTarget): HostLayout => hostLayout(options.baseDir, target.service);
  const urlOf = (port: number) => `http://${options.urlHost ?? urlHostName(options.ssh.host)}:${port}`;

  const readRecord = async (layout: HostLayout, revision: string) =>
    parseRevisionRecord(await readRemoteFile(connection, layout.revision(revision)));

  /** The service's revision, record and unit (and what `parts` asks for), in one command. */
  const snapshot = async (layout: HostLayout, service: string, parts: SnapshotParts = {}) =>
    parseSnapshot(
      (
        await connection.run(snapshotCommand(layout, service, parts), {
          description: `read the state of ${unitName(service)}`,
        })
      ).stdout,
      parts,
    );

  /** Port free, or held by this service's running revision on that port (the restart frees it). */
  const checkPort = (host: SystemdSnapshot, service: string, port: number): PreflightCheck => {
    if (!portTaken(host.sockets ?? [], '0.0.0.0', port))
      return { name: 'host-port', ok: true, message: `port ${port} is free on ${connection.target}` };
    const active = host.status.activeState === 'active' || host.status.activeState === 'activating';
    if (active && host.record?.desired.port === port)
      return { name: 'host-port', ok: true, message: `port ${port} is held by ${unitName(service)}` };
    return {
      name: 'host-port',
      ok: false,
      message: `port ${port} is in use on ${connection.target} by another process`,
      hint: 'Stop the process that listens on that port, or change the service `port`.',
    };
  };

  const audited = <T>(
    context: ProviderContext,
    layout: HostLayout,
    entry: AuditEntry,
    body: (phases: HistoryPhase[]) => Promise<T>,
    auditOptions: AuditOptions = {},
  ): Promise<T> => runAudited(auditSettings, context, layout, entry, body, auditOptions);

  /** The start program to look for on the host (a relative one comes with the release, so it is not checked). */
  const startProgram = (): string | undefined => {
    const program = typeof options.start === 'string' ? undefined : options.start[0];
    return program === undefined || (program.includes('/') && !program.startsWith('/')) ? undefined : program;
  };
  /** The start program exists on the host (looked for on systemd's own search path, whatever the SSH session's PATH is). */
  const checkStartCommand = (program: string, host: SystemdSnapshot): PreflightCheck =>
    host.programPath !== undefined
      ? { name: 'start-command', ok: true, message: `${host.programPath} exists on ${connection.target}` }
      : {
          name: 'start-command',
          ok: false,
          message: `The start program ${program} is not on ${connection.target}.`,
          hint: 'Install it on the host, or give `start` the absolute path of a program that is there (or one inside the service folder, such as ./start.sh).',
        };

  /** Make `record` the running revision: its unit, the current link, a restart. */
  const activate = (
    context: ProviderContext,
    layout: HostLayout,
    record: SystemdRevisionRecord,
    unitText: string,
    phases: HistoryPhase[],
  ) => timedPhase(context, phases, 'start', () => switchTo(context, layout, record, unitText));

  /** `current` and `current-revision` name `record`: what runs (direct mode) or takes traffic (proxy mode). */
  const pointCurrent = async (layout: HostLayout, record: SystemdRevisionRecord) => {
    const next = `${layout.currentLink}.berth-tmp`;
    await connection.run(
      joinCommands([
        sh`ln -sfn -- ${`releases/${record.releaseId}`} ${next}`,
        sh`mv -Tf -- ${next} ${layout.currentLink}`,
      ]),
      { description: `switch ${layout.currentLink} to ${record.releaseId}` },
    );
    await writeRemoteFile(connection, layout.currentRevisionFile, `${record.revision}\n`, 0o644);
  };

  const switchTo = async (
    context: ProviderContext,
    layout: HostLayout,
    record: SystemdRevisionRecord,
    unitText: string,
  ) => {
    await units.install(record.desired.service, unitText);
    await pointCurrent(layout, record);
    try {
      await units.restart(record.desired.service, record.revision, layout.unitStartFile);
    } catch (error) {
      const journal = await units.journal(record.desired.service, journalLines).catch(() => '');
      throw new ProviderError(
        'DEPLOY_FAILED',
        `${unitName(record.desired.service)} did not start: ${(error as Error).message}`,
        {
          hint: 'Read the log lines in `details.journal`; check the `start` command and that it listens on $PORT.',
          cause: error,
          details: { journal: journal.slice(-2000) },
        },
      );
    }
    context.log('info', `${unitName(record.desired.service)} runs release ${record.releaseId}`);
  };

  const unitFor = (
    layout: HostLayout,
    desired: DesiredService,
    releaseId: string,
    plain: Record<string, string>,
  ) =>
    renderUnitFile({
      service: desired.service,
      releaseId,
      workingDirectory: layout.release(releaseId),
      command: options.start,
      environment: plain,
      environmentFile: layout.envFile(desired.revision),
      ...(options.user ? { user: options.user } : {}),
      restart: options.restart,
      stopTimeoutSeconds: options.stopTimeoutSeconds,
      ...(memoryBytes(desired.resources.memory) !== undefined
        ? { memoryMaxBytes: memoryBytes(desired.resources.memory) }
        : {}),
      ...(desired.resources.cpu !== undefined ? { cpuQuotaPercent: desired.resources.cpu * 100 } : {}),
    });

  const proxySettings = proxySettingsOf(options.proxy, `${options.baseDir}/proxy`);
  const proxy = proxySettings
    ? systemdProxy({
        connection,
        settings: proxySettings,
        username: options.ssh.username,
        urlHost: options.urlHost ?? urlHostName(options.ssh.host),
      })
    : undefined;
  const proxied = proxy
    ? systemdProxyMethods({
        connection,
        options,
        units,
        proxy,
        secrets: config.secrets,
        layoutOf,
        readRecord,
        snapshot,
        unitFor,
        pointCurrent,
        audited,
      })
    : undefined;

  const provider: Provider = {
    specificationVersion: 'v1',
    name: 'ssh-systemd',
    secrets: config.secrets,
    imageBuilder,
    validateSpec: validateHostSpec,
    predictUrl: (_target, spec) => (proxy ? proxy.stableUrl(spec.port) : urlOf(spec.port)),
    lock: hostRunLock(audit),

    preflight: timedPreflight(auditSettings.pending, async (context, target, spec) => {
      const program = startProgram();
      // The host's checks are reads: they run beside the SSH and systemd checks, in one command,
      // and count only when those pass.
      const [builderChecks, host] = await Promise.allSettled([
        imageBuilder.preflight?.(context) ?? Promise.resolve([]),
        connection.connect().then(() =>
          snapshot(layoutOf(target), target.service, {
            sockets: spec !== undefined,
            ...(program !== undefined ? { program } : {}),
          }),
        ),
      ]);
      if (builderChecks.status === 'rejected') throw builderChecks.reason;
      const checks = [...builderChecks.value];
      if (!checks.every((check) => check.ok)) return checks;
      if (host.status === 'rejected') throw host.reason;
      if (program !== undefined) checks.push(checkStartCommand(program, host.value));
      if (proxy) checks.push(await proxy.check());
      if (spec) {
        const port = proxy ? proxy.stablePort(spec.port) : spec.port;
        const ours =
          proxy &&
          (await proxy.routes
            .hasServer({
              service: target.service,
              port,
              ...(proxy.settings.domain ? { domain: proxy.settings.domain } : {}),
            })
            .catch(() => false));
        checks.push(
          ours
            ? { name: 'host-port', ok: true, message: `port ${port} is the proxy's` }
            : checkPort(host.value, target.service, port),
        );
      }
      return checks;
    }),

    async observe(_context, target) {
      if (proxied) return proxied.observe(target);
      const host = await snapshot(layoutOf(target), target.service);
      return host.record ? observedOf(host.record, host.status) : undefined;
    },

    async apply(context, desired) {
      const layout = layoutOf(desired);
      const releaseId = releaseIdOf(desired.image.ref);
      if (!releaseId)
        throw new ProviderError(
          'IMAGE_NOT_FOUND',
          `The systemd method runs release folders, not the image ${desired.image.ref}.`,
          {
            hint: 'Give the spec `image: { build: { context: "<service folder>" } }` and let sshHost() build it (do not pass another imageBuilder).',
          },
        );
      return audited(
        context,
        layout,
        { operation: 'deploy', service: desired.service, revision: desired.revision, releaseId },
        async (phases) => {
          const [ready, host] = await Promise.all([
            connection.run(sh`test -e ${layout.readyMarker(releaseId)}`, { allowExitCodes: [0, 1] }),
            snapshot(layout, desired.service, { sockets: true }),
          ]);
          if (ready.exitCode !== 0)
            throw new ProviderError(
              'IMAGE_NOT_FOUND',
              `Release ${releaseId} is not on ${connection.target}.`,
              { hint: 'Deploy again: the release is uploaded by the image phase.' },
            );
          const stable = proxy ? proxy.stablePort(desired.port) : desired.port;
          const proxyOwnsPort =
            proxy &&
            (await proxy.routes
              .hasServer({
                service: desired.service,
                port: stable,
                ...(proxy.settings.domain ? { domain: proxy.settings.domain } : {}),
              })
              .catch(() => false));
          const port = proxyOwnsPort
            ? { ok: true, message: undefined, hint: undefined }
            : checkPort(host, desired.service, stable);
          if (!port.ok)
            throw new ProviderError('PROVIDER_CONFLICT', port.message ?? 'The port is taken', {
              hint: port.hint,
            });
          if (proxied) return proxied.apply(context, layout, desired, releaseId, host, phases);
          const values = await config.secrets.resolve(desired, desired.secrets);
          const environment = serviceEnvironment(desired, values);
          const record: SystemdRevisionRecord = {
            version: 1,
            revision: desired.revision,
            releaseId,
            createdAt: new Date(context.clock.now()).toISOString(),
            url: urlOf(desired.port),
            desired: withoutSecretValues(desired),
          };
          const unitText = unitFor(layout, desired, releaseId, environment.plain);
          await connection.run(
            sh`umask 077 && mkdir -p -- ${layout.envDir} && umask 022 && mkdir -p -- ${layout.revisionsDir} ${layout.unitsDir}`,
          );
          await writeRemoteFiles(connection, [
            {
              path: layout.envFile(desired.revision),
              data: renderEnvironmentFile(environment.secret),
              mode: 0o600,
            },
            { path: layout.unitCopy(desired.revision), data: unitText, mode: 0o644 },
            { path: layout.revision(desired.revision), data: `${JSON.stringify(record)}\n`, mode: 0o644 },
          ]);
          // Read before anything changed; under the lock, only this run moves `current-revision`.
          const previous = host.currentRevision !== desired.revision ? host.record : undefined;
          await activate(context, layout, record, unitText, phases);
          await pruneSystemdReleases(
            connection,
            layout,
            options,
            context,
            desired.revision,
            previous?.releaseId,
          ).catch((error: unknown) =>
            context.log('warn', `Pruning old releases failed: ${(error as Error).message}`),
          );
          return {
            revision: desired.revision,
            url: record.url,
            data: { releaseId, unit: unitName(desired.service) },
          };
        },
        { pendingPhases: deployPhases },
      );
    },

    ...(proxied ? { shiftTraffic: proxied.shiftTraffic } : {}),

    async restoreRevision(context, target, wanted): Promise<ApplyOutcome> {
      if (proxied) return proxied.restoreRevision(context, target, wanted);
      const layout = layoutOf(target);
      return audited(
        context,
        layout,
        { operation: 'restore', service: target.service, revision: wanted.revision },
        async (phases) => {
          const record = await readRecord(layout, wanted.revision);
          const unitText = await readRemoteFile(connection, layout.unitCopy(wanted.revision));
          const present =
            record &&
            (
              await connection.run(
                sh`test -e ${layout.readyMarker(record.releaseId)} && test -f ${layout.envFile(wanted.revision)}`,
                { allowExitCodes: [0, 1] },
              )
            ).exitCode === 0;
          if (!record || !unitText || !present)
            throw new ProviderError(
              'REVISION_NOT_FOUND',
              `Revision ${wanted.revision} is no longer kept on ${connection.target} (its release was pruned).`,
              {
                hint: 'Pick a revision from listRevisions(), or deploy that version again.',
              },
            );
          await activate(context, layout, record, unitText, phases);
          return {
            revision: record.revision,
            url: record.url,
            data: { releaseId: record.releaseId, unit: unitName(target.service) },
          };
        },
      );
    },

    async listRevisions(_context, target) {
      const layout = layoutOf(target);
      const [listing, host] = await Promise.all([
        connection.run(sh`cat -- ${layout.revisionsDir}/*.json 2>/dev/null; true`),
        snapshot(layout, target.service),
      ]);
      const records = listing.stdout.split('\n').flatMap((line) => parseRevisionRecord(line) ?? []);
      return records
        .sort((left, right) => (left.createdAt < right.createdAt ? 1 : -1))
        .map((record) => revisionInfoOf(record, host.currentRevision, host.status));
    },

    async probeRevision(_context, target, revision) {
      const inSlot = proxied ? await proxied.probeRevision(target, revision) : undefined;
      if (inSlot) return inSlot;
      const layout = layoutOf(target);
      const {
        currentRevision: current,
        start,
        status,
      } = await snapshot(layout, target.service, { start: true });
      if (current !== revision)
        return { alive: false, reason: `the host runs revision ${current ?? 'none'}, not ${revision}` };
      // Only what happened since this revision's own start counts (a crashed release before it
      // leaves its restart count and log lines on the unit).
      const since = start?.revision === revision ? start : undefined;
      const first = unitLiveness(status, '', since);
      if (first.alive) return first;
      const journal = await units.journal(target.service, journalLines, since?.since).catch(() => '');
      return unitLiveness(status, journal, since);
    },

    async destroy(context, target) {
      const layout = layoutOf(target);
      return audited(
        context,
        layout,
        { operation: 'down', service: target.service },
        async () => {
          const specPort = proxied
            ? (await snapshot(layout, target.service)).record?.desired.port
            : undefined;
          const proxyRemoved = proxied ? await proxied.destroy(context, target, specPort) : [];
          await units.remove(target.service);
          // Everything but the history (kept for the audit trail) and the lock (released after).
          await connection.run(
            sh`cd -- ${layout.serviceDir} 2>/dev/null && find . -mindepth 1 -maxdepth 1 ! -name history.jsonl ! -name .lock -exec rm -rf -- {} + ; true`,
          );
          context.log('info', `Removed ${unitName(target.service)} and the releases in ${layout.serviceDir}`);
          return { removed: [unitName(target.service), layout.releasesDir, ...proxyRemoved] };
        },
        { pendingPhases: ['deregister'] },
      );
    },

    async close() {
      await connection.close();
    },
  };
  return withAuditSettings(defineProvider(provider), audit);
}
