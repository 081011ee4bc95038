/**
 * The systemd method's image builder: its "image" is a release folder on the host. `build` uploads
 * the service folder (incrementally, see sftp-transfer.ts) and runs the install command there;
 * the reference it returns, `release:<id>`, names that folder. The release id comes from the
 * content, so an unchanged folder is neither sent nor installed again.
 */
import { createHash } from 'node:crypto';
import {
  type BuiltImage,
  type ImageBuilder,
  type ImageBuildRequest,
  ImageError,
  type PreflightCheck,
  type ProviderContext,
} from '@berth/core';
import { type HostLayout, hostLayout } from './host-layout.js';
import { acquireHostLock } from './host-lock.js';
import { readServiceFolder } from './local-files.js';
import { joinCommands, sh } from './remote-command.js';
import { uploadRelease } from './sftp-transfer.js';
import type { SshConnection } from './ssh-connection.js';
import type { SshSystemdOptions } from './ssh-host-options.js';
import type { SystemdUnits } from './systemd-units.js';

/** `release:` references name release folders. */
export const releaseRefPrefix = 'release:';

/** The release id of a `release:<id>` reference, else `undefined`. Pure. */
export function releaseIdOf(ref: string): string | undefined {
  return ref.startsWith(releaseRefPrefix) ? ref.slice(releaseRefPrefix.length) : undefined;
}

/** Timings of the last transfer and install, for the host history. */
export interface ReleasePhases {
  transferMs: number;
  buildMs: number;
}

interface BuilderDeps {
  connection: SshConnection;
  options: SshSystemdOptions;
  units: SystemdUnits;
  operator: string;
  /** Told the phase timings of each build, by release id. */
  onPhases?: (releaseId: string, phases: ReleasePhases) => void;
}

function fingerprintOf(entries: unknown, install: SshSystemdOptions['install']): string {
  const hash = createHash('sha256').update('berth-systemd-release/v1\n');
  hash.update(`${JSON.stringify(entries)}\n${JSON.stringify(install ?? null)}\n`);
  return hash.digest('hex');
}

/** The builder of releases for the systemd method. */
export function systemdReleaseBuilder(deps: BuilderDeps): ImageBuilder {
  const { connection, options } = deps;
  const layoutOf = (request: ImageBuildRequest): HostLayout =>
    hostLayout(options.baseDir, request.service.service);

  const identify = async (request: ImageBuildRequest) => {
    const fingerprint = fingerprintOf(await readServiceFolder(request.context), options.install);
    const releaseId = `r-${fingerprint.slice(0, 16)}`;
    const built = (skipped: boolean): BuiltImage => ({
      ref: `${releaseRefPrefix}${releaseId}`,
      digest: `sha256:${fingerprint}`,
      tags: [releaseId],
      fingerprint: `sha256:${fingerprint}`,
      skipped,
    });
    const layout = layoutOf(request);
    const ready = await connection.run(
      sh`test -e ${layout.readyMarker(releaseId)} && test -d ${layout.release(releaseId)}`,
      {
        allowExitCodes: [0, 1],
        description: `look for release ${releaseId}`,
      },
    );
    return { fingerprint, releaseId, layout, built, exists: ready.exitCode === 0 };
  };

  const install = async (context: ProviderContext, layout: HostLayout, releaseId: string): Promise<void> => {
    if (options.install === undefined) return;
    const command =
      typeof options.install === 'string' ? sh`sh -c ${options.install}` : sh`${options.install}`;
    try {
      const result = await connection.run(sh`cd -- ${layout.release(releaseId)} && ${command}`, {
        signal: context.signal,
        description: `install in release ${releaseId}`,
      });
      const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-20);
      for (const line of output) if (line) context.log('debug', `install: ${line}`);
    } catch (error) {
      await connection
        .run(sh`rm -rf -- ${layout.release(releaseId)} ${layout.manifest(releaseId)}`)
        .catch(() => undefined);
      const stderr = (error as { details?: { stderr?: string } }).details?.stderr ?? '';
      throw new ImageError(
        'IMAGE_BUILD_FAILED',
        `The install command failed in release ${releaseId} on ${connection.target}: ${(error as Error).message}`,
        {
          hint: 'Run the install command in the service folder locally to see why; the release was removed so the next deploy starts clean.',
          cause: error,
          details: { releaseId, stderr: stderr.slice(-2000) },
        },
      );
    }
  };

  return {
    async inspect(request) {
      const found = await identify(request);
      return {
        fingerprint: `sha256:${found.fingerprint}`,
        ...(found.exists ? { existing: found.built(true) } : {}),
      };
    },

    async build(request, context) {
      const found = await identify(request);
      if (found.exists) {
        context.log(
          'info',
          `Release ${found.releaseId} is already on ${connection.target}: nothing to send or install`,
        );
        return found.built(true);
      }
      const { layout, releaseId } = found;
      const lock = await acquireHostLock(connection, layout, {
        owner: deps.operator,
        operation: 'build',
        ttlSeconds: options.lockTtlSeconds,
        warn: (message) => context.log('warn', message),
      });
      try {
        const current = await connection.run(sh`readlink -- ${layout.currentLink}`, {
          allowExitCodes: [0, 1],
        });
        const previous = current.stdout.trim().split('/').pop();
        const started = context.clock.now();
        await connection.run(
          joinCommands([
            sh`rm -rf -- ${layout.release(releaseId)}`,
            sh`rm -f -- ${layout.manifest(releaseId)}`,
          ]),
        );
        const transfer = await uploadRelease({
          connection,
          layout,
          folder: request.context,
          releaseId,
          ...(previous ? { previousReleaseId: previous } : {}),
          signal: context.signal,
          now: () => context.clock.now(),
          onProgress: (progress) =>
            context.progress({
              step: 'transfer',
              current: progress.bytesDone,
              total: progress.bytesTotal,
              unit: 'bytes',
              message: `${progress.filesDone}/${progress.filesTotal} files`,
            }),
        });
        const transferMs = context.clock.now() - started;
        context.log(
          'info',
          `transfer: ${transfer.uploadedFiles} file(s) sent, ${transfer.copiedFiles} copied on the host`,
          {
            phase: 'transfer',
            durationMs: transferMs,
            uploadedBytes: transfer.uploadedBytes,
            copiedBytes: transfer.copiedBytes,
          },
        );
        await lock.renew();
        const installStarted = context.clock.now();
        await install(context, layout, releaseId);
        await connection.run(sh`touch -- ${layout.readyMarker(releaseId)}`);
        const buildMs = context.clock.now() - installStarted;
        context.log('info', `build: release ${releaseId} installed`, { phase: 'build', durationMs: buildMs });
        deps.onPhases?.(releaseId, { transferMs, buildMs });
        return found.built(false);
      } finally {
        await lock.release().catch(() => undefined);
      }
    },

    async resolve(ref) {
      return { ref };
    },

    async preflight(): Promise<PreflightCheck[]> {
      try {
        await connection.connect();
      } catch (error) {
        const berth = error as { message?: string; hint?: string };
        return [
          {
            name: 'ssh',
            ok: false,
            message: berth.message ?? String(error),
            ...(berth.hint ? { hint: berth.hint } : {}),
          },
        ];
      }
      const systemd = await deps.units.check();
      return [
        {
          name: 'ssh',
          ok: true,
          message: `${connection.target} (host key ${connection.hostKeyFingerprint ?? 'checked'})`,
        },
        {
          name: 'systemd',
          ...systemd,
          ...(systemd.ok
            ? {}
            : { hint: 'Log in as root, or give the user passwordless sudo for systemctl, tee and rm.' }),
        },
      ];
    },
  };
}
