/**
 * After a deploy: remove releases beyond the retention rules (release-retention.ts decides), the
 * revisions that ran them (record, environment file, unit copy), and uploads left half-done.
 */
import type { ProviderContext } from '@berth/core';
import type { HostLayout } from './host-layout.js';
import { parseReleaseListing, selectReleasesToPrune } from './release-retention.js';
import { batchArguments, sh } from './remote-command.js';
import type { SshConnection } from './ssh-connection.js';
import type { SshSystemdOptions } from './ssh-host-options.js';
import { parseRevisionRecord } from './systemd-records.js';

/** Delete what the retention rules no longer keep; returns the release ids removed. */
export async function pruneSystemdReleases(
  connection: SshConnection,
  layout: HostLayout,
  options: Pick<SshSystemdOptions, 'keepReleases' | 'keepDays'>,
  context: ProviderContext,
  currentRevision: string,
  /** The release that served before this deploy: kept first, as the rollback target. */
  previousReleaseId?: string,
): Promise<string[]> {
  const listing = await connection.run(
    sh`cd -- ${layout.releasesDir} && for release in *; do test -d "$release" && stat -c '%Y %n' -- "$release"; done; true`,
  );
  const current =
    (await connection.run(sh`readlink -- ${layout.currentLink}`, { allowExitCodes: [0, 1] })).stdout
      .trim()
      .split('/')
      .pop() ?? '';
  const doomed = selectReleasesToPrune(
    parseReleaseListing(listing.stdout),
    options,
    context.clock.now(),
    new Set([current]),
    previousReleaseId,
  );

  const records = (await connection.run(sh`cat -- ${layout.revisionsDir}/*.json 2>/dev/null; true`)).stdout
    .split('\n')
    .flatMap((line) => parseRevisionRecord(line) ?? []);
  const gone = new Set(doomed);
  const revisions = records
    .filter((record) => gone.has(record.releaseId) && record.revision !== currentRevision)
    .map((record) => record.revision);

  const paths = [
    ...doomed.flatMap((id) => [layout.release(id), layout.manifest(id), layout.readyMarker(id)]),
    ...revisions.flatMap((revision) => [
      layout.revision(revision),
      layout.envFile(revision),
      layout.unitCopy(revision),
    ]),
  ];
  for (const batch of batchArguments(paths))
    await connection.run(sh`rm -rf -- ${batch}`, { description: 'prune old releases' });
  // Uploads interrupted more than a day ago.
  await connection.run(
    sh`find ${layout.releasesDir} -mindepth 1 -maxdepth 1 -name '.incoming-*' -mtime +0 -exec rm -rf -- {} + ; true`,
  );
  if (doomed.length > 0)
    context.log('info', `Pruned release(s) ${doomed.join(', ')} and ${revisions.length} revision(s)`);
  return doomed;
}
