/**
 * The systemd method's image builder: its "image" is a release folder on the host. `build` uploads
 * the service folder (incrementally, see sftp-transfer.ts) and runs the install command there;
 * the reference it returns, `release:<id>`, names that folder. The release id comes from the
 * content, so an unchanged folder is neither sent nor installed again.
 */
import {
  type BuiltImage,
  type ImageBuilder,
  type ImageBuildRequest,
  ImageError,
  type JsonValue,
  type PreflightCheck,
  type ProviderContext,
} from '@berth/core';
import { nodeCrypto } from '@berth/core/plugin-kit';
import { type AuditSettings, runAudited, timedPhase } from './host-audit.js';
import { type HostLayout, hostLayout } from './host-layout.js';
import { readServiceFolder } from './local-files.js';
import { joinCommands, sh } from './remote-command.js';
import { uploadRelease } from './sftp-transfer.js';
import type { CommandResult } from './ssh-connection.js';
import type { SshSystemdOptions } from './ssh-host-options.js';
import type { SystemdUnits } from './systemd-units.js';

/** `release:` references name release folders. */
export const releaseRefPrefix = 'release:';

/** The release id of a `release:<id>` reference, else `undefined`. Pure. */
export function releaseIdOf(ref: string): string | undefined {
  return ref.startsWith(releaseRefPrefix) ? ref.slice(releaseRefPrefix.length) : undefined;
}

interface BuilderDeps {
  options: SshSystemdOptions;
  units: SystemdUnits;
  /** The lock, the history and the phases waiting for the deploy's entry. */
  audit: AuditSettings;
}

/** Lines of install output kept in an error's `details.output`. */
const outputTail = 20;
const anyExitCode = Array.from({ length: 256 }, (_, code) => code);

/** The last `count` non-empty lines of `text`. Pure. */
export function lastOutputLines(text: string, count = outputTail): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(-count);
}

function fingerprintOf(entries: unknown, install: SshSystemdOptions['install']): string {
  const hash = nodeCrypto().createHash('sha256').update('berth-systemd-release/v1\n');
  hash.update(`${JSON.stringify(entries)}\n${JSON.stringify(install ?? null)}\n`);
  return hash.digest('hex');
}

/** The builder of releases for the systemd method. */
export function systemdReleaseBuilder(deps: BuilderDeps): ImageBuilder {
  const { options, audit } = deps;
  const { connection } = audit;
  const layoutOf = (request: ImageBuildRequest): HostLayout =>
    hostLayout(options.baseDir, request.service.service);

  const identify = async (request: ImageBuildRequest) => {
    const entries = await readServiceFolder(request.context);
    const fingerprint = fingerprintOf(entries, options.install);
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
    return { entries, fingerprint, releaseId, layout, built, exists: ready.exitCode === 0 };
  };

  let checking: Promise<PreflightCheck[]> | undefined;
  /** SSH answers and systemd units can be managed. */
  const check = async (): Promise<PreflightCheck[]> => {
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
          : {
              hint: 'Log in as root, or give the user passwordless sudo (`sudo -n`): Berth writes and removes unit files in /etc/systemd/system and runs systemctl and journalctl as root, which amounts to root on the host.',
            }),
      },
    ];
  };

  const install = async (context: ProviderContext, layout: HostLayout, releaseId: string): Promise<void> => {
    if (options.install === undefined) return;
    const command =
      typeof options.install === 'string' ? sh`sh -c ${options.install}` : sh`${options.install}`;
    const failed = async (message: string, details: Record<string, JsonValue>, cause?: unknown) => {
      await connection
        .run(sh`rm -rf -- ${layout.release(releaseId)} ${layout.manifest(releaseId)}`)
        .catch(() => undefined);
      return new ImageError(
        'IMAGE_BUILD_FAILED',
        `The install command failed in release ${releaseId} on ${connection.target}: ${message}`,
        {
          hint: 'Read its last output lines in `details.output`, and run the install command in the service folder to see why; the release was removed, so the next deploy starts clean.',
          ...(cause === undefined ? {} : { cause }),
          details: { releaseId, ...details },
        },
      );
    };
    let result: CommandResult;
    try {
      // stderr joins stdout, so the output keeps its order and its last lines say why it failed.
      result = await connection.run(sh`{ cd -- ${layout.release(releaseId)} && ${command}; } 2>&1`, {
        signal: context.signal,
        allowExitCodes: anyExitCode,
        description: `install in release ${releaseId}`,
      });
    } catch (error) {
      const stderr = (error as { details?: { stderr?: string } }).details?.stderr ?? '';
      throw await failed((error as Error).message, { output: lastOutputLines(stderr) }, error);
    }
    const output = lastOutputLines(result.stdout);
    for (const line of output) context.log('debug', `install: ${line}`);
    if (result.exitCode !== 0)
      throw await failed(
        `it exited with ${result.exitCode}${output.length > 0 ? `: ${output.at(-1)}` : ''}`,
        {
          exitCode: result.exitCode,
          output,
        },
      );
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
      const service = request.service.service;
      if (found.exists) {
        context.log(
          'info',
          `Release ${found.releaseId} is already on ${connection.target}: nothing to send or install`,
        );
        for (const name of ['transfer', 'build'])
          audit.pending.set(service, { name, status: 'skipped', durationMs: 0 });
        return found.built(true);
      }
      const { layout, releaseId } = found;
      return runAudited(
        audit,
        context,
        layout,
        { operation: 'deploy', service, releaseId },
        async (phases, lock) => {
          // What is left of an earlier attempt goes; the release `current` names is the one to copy from.
          const current = await connection.run(
            joinCommands([
              sh`rm -rf -- ${layout.release(releaseId)}`,
              sh`rm -f -- ${layout.manifest(releaseId)}`,
              sh`{ readlink -- ${layout.currentLink}; true; }`,
            ]),
            { description: `clear release ${releaseId}` },
          );
          const previous = current.stdout.trim().split('/').pop() || undefined;
          const transfer = await timedPhase(context, phases, 'transfer', () =>
            uploadRelease({
              connection,
              layout,
              folder: request.context,
              entries: found.entries,
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
            }),
          );
          context.log(
            'info',
            `transfer: ${transfer.uploadedFiles} file(s) sent, ${transfer.copiedFiles} copied on the host`,
            { uploadedBytes: transfer.uploadedBytes, copiedBytes: transfer.copiedBytes },
          );
          await lock.renew();
          if (options.install === undefined) phases.push({ name: 'build', status: 'skipped', durationMs: 0 });
          else await timedPhase(context, phases, 'build', () => install(context, layout, releaseId));
          await connection.run(sh`touch -- ${layout.readyMarker(releaseId)}`);
          return found.built(false);
        },
        { pendingPhases: ['validation'], defer: true, lockOperation: 'build' },
      );
    },

    async resolve(ref) {
      return { ref };
    },

    preflight() {
      // The engine asks the builder and the provider (which asks the builder) at the same time:
      // one check answers both.
      checking ??= check().finally(() => {
        checking = undefined;
      });
      return checking;
    },
  };
}
