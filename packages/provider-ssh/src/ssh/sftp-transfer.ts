/**
 * Upload a service folder as a new release: `<base>/<service>/releases/<release-id>/`. Incremental:
 * files whose content and mode match the previous release's manifest are copied on the host
 * (`cp --reflink=auto -p`), only the others travel over SFTP. The release is assembled in a hidden
 * folder, checked (sha256 of every sent file, count of all files) and renamed into place, so a
 * release folder on the host is always complete.
 */
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import { nodeCrypto } from '@berth/core/plugin-kit';
import type { HostLayout } from './host-layout.js';
import { readServiceFolder } from './local-files.js';
import { mapSshError } from './map-ssh-error.js';
import {
  type ManifestEntry,
  parseManifest,
  parseSha256sum,
  planTransfer,
  type ReleaseManifest,
  verifyHashes,
} from './release-manifest.js';
import { batchArguments, batchScript, joinCommands, type RemoteCommand, sh } from './remote-command.js';
import { parseSections, sectionStart } from './script-sections.js';
import { type PutSettings, putFiles } from './sftp-put.js';
import type { SshConnection } from './ssh-connection.js';

/** Progress of a transfer: files and bytes done of the release's total. */
export interface TransferProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** The file just sent, when one was. */
  path?: string;
}

/** Options of `uploadRelease`. */
export interface UploadReleaseOptions {
  connection: SshConnection;
  layout: HostLayout;
  /** The local service folder. */
  folder: string;
  releaseId: string;
  /** The release to copy unchanged files from (usually the current one). */
  previousReleaseId?: string;
  /**
   * The folder's listing when the caller has read it already (the release id is made from it): the
   * folder is not walked and hashed again, and a file changed since fails the hash check on the host.
   */
  entries?: ManifestEntry[];
  /** Sent even when an ignore rule matches (e.g. the Dockerfile). */
  alwaysSend?: readonly string[];
  onProgress?: (progress: TransferProgress) => void;
  /** How many files and requests are in flight (see sftp-put.ts). */
  put?: PutSettings;
  /** Clock for the manifest's `createdAt`. */
  now?: () => number;
  signal?: AbortSignal;
}

/** What a transfer did. */
export interface UploadReleaseResult {
  releaseId: string;
  releaseDir: string;
  files: number;
  bytes: number;
  uploadedFiles: number;
  uploadedBytes: number;
  copiedFiles: number;
  copiedBytes: number;
  manifest: ReleaseManifest;
}

function transferError(message: string, details: Record<string, unknown>, cause?: unknown): BerthError {
  return new BerthError('SSH_TRANSFER_FAILED', message, {
    details,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Commands that lay out the incoming folder: its sub-folders, then the copies from the previous release. */
function prepareCommands(
  incoming: string,
  previousDir: string | undefined,
  directories: string[],
  copies: ManifestEntry[],
): RemoteCommand[] {
  const commands: RemoteCommand[] = [];
  for (const batch of batchArguments(directories))
    commands.push(sh`cd -- ${incoming} && mkdir -p -- ${batch}`);
  if (previousDir !== undefined) {
    for (const batch of batchArguments(copies.map((entry) => entry.path))) {
      commands.push(sh`cd -- ${previousDir} && cp --reflink=auto -p --parents -- ${batch} ${incoming}/`);
    }
  }
  return commands;
}

/** Run `commands` as one script (one round trip); the output of all of them. */
async function runAll(
  connection: SshConnection,
  commands: RemoteCommand[],
  description: string,
  signal?: AbortSignal,
): Promise<string> {
  if (commands.length === 0) return '';
  const { command, stdin } = batchScript(commands);
  return (
    await connection.run(command, {
      description,
      ...(stdin !== undefined ? { stdin } : {}),
      ...(signal ? { signal } : {}),
    })
  ).stdout;
}

const manifestMarker = '@@berth-previous@@';
const countMarker = '@@berth-file-count@@';

/** Upload `folder` as release `releaseId`; see the module comment. */
export async function uploadRelease(options: UploadReleaseOptions): Promise<UploadReleaseResult> {
  const { connection, layout, releaseId, signal } = options;
  const entries =
    options.entries ??
    (await readServiceFolder(options.folder, options.alwaysSend ? { alwaysSend: options.alwaysSend } : {}));
  const releaseDir = layout.release(releaseId);
  const incoming = `${layout.releasesDir}/.incoming-${releaseId}`;
  const details = { target: connection.target, releaseDir };

  // One round trip: the incoming folder, and the previous release's manifest when its folder is there.
  const previousDir =
    options.previousReleaseId !== undefined ? layout.release(options.previousReleaseId) : undefined;
  const readPrevious =
    options.previousReleaseId !== undefined && previousDir !== undefined
      ? sh`{ ${sectionStart(manifestMarker, 'manifest')}; if test -d ${previousDir}; then cat -- ${layout.manifest(options.previousReleaseId)} 2>/dev/null; fi; true; }`
      : sh`true`;
  const created = await connection
    .run(
      joinCommands([
        sh`umask 022`,
        sh`mkdir -p -- ${layout.releasesDir} ${layout.manifestsDir}`,
        sh`test ! -e ${releaseDir}`,
        sh`rm -rf -- ${incoming}`,
        sh`mkdir -- ${incoming}`,
        readPrevious,
      ]),
      { description: `create the release folder ${releaseDir}`, ...(signal ? { signal } : {}) },
    )
    .catch((error: unknown) => {
      throw transferError(
        `Cannot create the release folder ${releaseDir} on ${connection.target}: ${(error as Error).message}`,
        details,
        error,
      );
    });
  const previousText = parseSections(created.stdout, manifestMarker).get('manifest');
  const previous = previousText ? parseManifest(previousText) : undefined;
  const plan = planTransfer(entries, previous?.entries);

  const progress: TransferProgress = {
    filesDone: 0,
    filesTotal: plan.totalFiles,
    bytesDone: 0,
    bytesTotal: plan.totalBytes,
  };
  const report = (path?: string) => options.onProgress?.({ ...progress, ...(path ? { path } : {}) });
  report();

  await runAll(
    connection,
    prepareCommands(incoming, previous ? previousDir : undefined, plan.directories, plan.copy),
    'copy unchanged files from the previous release',
    signal,
  );
  progress.filesDone += plan.copy.length;
  progress.bytesDone += plan.totalBytes - plan.uploadBytes;
  if (plan.copy.length > 0) report();

  // Byte progress between file completions too (a large file would show none until its end), at
  // most about a hundred reports per upload.
  const reportEvery = Math.max(64 * 1024, Math.ceil(plan.uploadBytes / 100));
  let reportedBytes = progress.bytesDone;
  const sftp = await connection.sftp();
  await putFiles(
    sftp,
    plan.upload.map((entry) => ({
      local: join(options.folder, entry.path),
      remote: `${incoming}/${entry.path}`,
      mode: entry.mode,
      size: entry.size,
    })),
    {
      ...(options.put ? { settings: options.put } : {}),
      ...(signal ? { signal } : {}),
      onBytes: (bytes) => {
        progress.bytesDone += bytes;
        if (progress.bytesDone - reportedBytes < reportEvery) return;
        reportedBytes = progress.bytesDone;
        report();
      },
      onFile: (entry) => {
        progress.filesDone += 1;
        reportedBytes = progress.bytesDone;
        report(entry.remote.slice(incoming.length + 1));
      },
    },
  ).catch((error: unknown) => {
    throw signal?.aborted && error === signal.reason ? error : mapSshError(error, connection.target, 'sftp');
  });

  // Modes exactly as in the manifest, whatever the server's umask; links; then the checks.
  const finishing: RemoteCommand[] = [];
  for (const mode of [0o644, 0o755]) {
    const paths = plan.upload.filter((entry) => entry.mode === mode).map((entry) => entry.path);
    for (const batch of batchArguments(paths))
      finishing.push(sh`cd -- ${incoming} && chmod ${mode.toString(8)} -- ${batch}`);
  }
  for (const link of plan.symlinks)
    finishing.push(sh`cd -- ${incoming} && ln -s -- ${link.target ?? ''} ${link.path}`);
  await verifyIncoming(connection, incoming, finishing, plan.upload, plan.totalFiles, details, signal);

  const manifest: ReleaseManifest = {
    version: 1,
    releaseId,
    createdAt: new Date((options.now ?? Date.now)()).toISOString(),
    entries,
  };
  // The manifest travels on stdin; the release moves into place only once it is written.
  const manifestTemporary = `${layout.manifest(releaseId)}.tmp-${nodeCrypto().randomBytes(4).toString('hex')}`;
  await connection.run(
    joinCommands([
      sh`umask 022`,
      sh`cat > ${manifestTemporary}`,
      sh`chmod 0644 -- ${manifestTemporary}`,
      sh`mv -f -- ${manifestTemporary} ${layout.manifest(releaseId)}`,
      sh`test ! -e ${releaseDir}`,
      sh`mv -- ${incoming} ${releaseDir}`,
    ]),
    { stdin: `${JSON.stringify(manifest)}\n`, description: `move the release into ${releaseDir}` },
  );
  return {
    releaseId,
    releaseDir,
    files: plan.totalFiles,
    bytes: plan.totalBytes,
    uploadedFiles: plan.upload.length,
    uploadedBytes: plan.uploadBytes,
    copiedFiles: plan.copy.length,
    copiedBytes: plan.totalBytes - plan.uploadBytes,
    manifest,
  };
}

/** Set modes and links (`finishing`), then check the sent files' hashes and count every file: one round trip. */
async function verifyIncoming(
  connection: SshConnection,
  incoming: string,
  finishing: RemoteCommand[],
  uploaded: ManifestEntry[],
  totalFiles: number,
  details: Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const output = await runAll(
    connection,
    [
      ...finishing,
      ...batchArguments(uploaded.map((entry) => entry.path)).map(
        (batch) => sh`(cd -- ${incoming} && sha256sum -- ${batch})`,
      ),
      sh`printf '%s %s\\n' ${countMarker} "$(cd -- ${incoming} && find . -type f | wc -l)"`,
    ],
    'set modes and links, check the sent files',
    signal,
  );
  const wrong = verifyHashes(uploaded, parseSha256sum(output));
  const countLine = output.split('\n').find((line) => line.startsWith(`${countMarker} `));
  const count = Number(countLine?.slice(countMarker.length + 1).trim());
  if (wrong.length > 0 || count !== totalFiles) {
    throw transferError(
      `The release on ${connection.target} does not match the local folder (${wrong.length} file(s) differ, ${count} of ${totalFiles} present).`,
      { ...details, differing: wrong.slice(0, 20), filesOnHost: count, filesExpected: totalFiles },
    );
  }
}
