/**
 * After a deploy: remove releases beyond the retention rules (release-retention.ts decides), the
 * revisions that ran them (record, environment file, unit copy), and uploads left half-done.
 */
import type { ProviderContext } from '@berth/core';
import type { HostLayout } from './host-layout.js';
import { parseReleaseListing, selectReleasesToPrune } from './release-retention.js';
import { batchArguments, batchScript, sh } from './remote-command.js';
import { parseSections, sectionStart } from './script-sections.js';
import type { SshConnection } from './ssh-connection.js';
import type { SshSystemdOptions } from './ssh-host-options.js';
import { parseRevisionRecord } from './systemd-records.js';

const marker = '@@berth-prune@@';

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
  // One round trip reads the releases, the current link and the records, and clears uploads
  // interrupted more than a day ago.
  const output = (
    await connection.run(
      sh`
${sectionStart(marker, 'releases')}; (cd -- ${layout.releasesDir} && for release in *; do test -d "$release" && stat -c '%Y %n' -- "$release"; done)
${sectionStart(marker, 'current')}; readlink -- ${layout.currentLink}
${sectionStart(marker, 'records')}; cat -- ${layout.revisionsDir}/*.json 2>/dev/null
find ${layout.releasesDir} -mindepth 1 -maxdepth 1 -name '.incoming-*' -mtime +0 -exec rm -rf -- {} + 2>/dev/null
true`,
      { description: 'list releases to prune' },
    )
  ).stdout;
  const sections = parseSections(output, marker);
  const section = (name: string) => sections.get(name) ?? '';
  const current = section('current').trim().split('/').pop() ?? '';
  const doomed = selectReleasesToPrune(
    parseReleaseListing(section('releases')),
    options,
    context.clock.now(),
    new Set([current]),
    previousReleaseId,
  );

  const records = section('records')
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
  if (paths.length > 0) {
    const { command, stdin } = batchScript(batchArguments(paths).map((batch) => sh`rm -rf -- ${batch}`));
    await connection.run(command, { description: 'prune old releases', ...(stdin ? { stdin } : {}) });
  }
  if (doomed.length > 0)
    context.log('info', `Pruned release(s) ${doomed.join(', ')} and ${revisions.length} revision(s)`);
  return doomed;
}
