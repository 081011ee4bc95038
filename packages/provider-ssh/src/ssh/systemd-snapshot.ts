/**
 * What the systemd method reads about a service before it decides anything, in one command (one
 * round trip instead of an SFTP session and three reads): the revision `current-revision` names,
 * that revision's record, the unit's `systemctl show` fields, and optionally the listening sockets
 * and whether the start program exists. Building the command and parsing its answer are pure.
 */
import type { HostLayout } from './host-layout.js';
import { type ListeningSocket, parseListeningSockets } from './proc-net.js';
import { type RemoteCommand, sh } from './remote-command.js';
import { parseSections, sectionStart } from './script-sections.js';
import { parseRevisionRecord, type SystemdRevisionRecord } from './systemd-records.js';
import {
  parseUnitStart,
  parseUnitStatus,
  type UnitStart,
  type UnitStatus,
  unitShowCommand,
} from './systemd-units.js';

/** What `snapshotCommand` reads besides the revision and the unit. */
export interface SnapshotParts {
  /** Read /proc/net/tcp{,6}. */
  sockets?: boolean;
  /** Look for this start program on systemd's search path. */
  program?: string;
  /** Read the start record of the unit's last start (`unit-start`). */
  start?: boolean;
}

/** The service as the host reports it. */
export interface SystemdSnapshot {
  /** The revision `current-revision` names, if any. */
  currentRevision: string | undefined;
  /** That revision's record, when it is there and readable. */
  record: SystemdRevisionRecord | undefined;
  status: UnitStatus;
  /** When asked for. */
  sockets?: ListeningSocket[];
  /** When asked for: the program's path, or `undefined` when it is not found. */
  programPath?: string | undefined;
  /** When asked for: the baseline of the unit's last start, if it left one. */
  start?: UnitStart | undefined;
}

// Lines the sections start with; none of the files read can hold one (records are one JSON line).
const marker = '@@berth-snapshot@@';
const sections = ['current', 'record', 'status', 'sockets', 'program', 'start'] as const;

/** The one command that reads a snapshot of `service`. Pure. */
export function snapshotCommand(
  layout: HostLayout,
  service: string,
  parts: SnapshotParts = {},
): RemoteCommand {
  const section = (name: (typeof sections)[number]) => sectionStart(marker, name);
  const program =
    parts.program === undefined
      ? sh`true`
      : sh`${section('program')}; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v -- ${parts.program}`;
  const start = parts.start ? sh`${section('start')}; cat -- ${layout.unitStartFile} 2>/dev/null` : sh`true`;
  const sockets = parts.sockets
    ? sh`${section('sockets')}; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null`
    : sh`true`;
  // The revision comes from a file on the host: it is used as a file name only when it is made of
  // the characters a revision id may have (host-layout.ts), so it cannot leave the revisions folder.
  return sh`
${section('current')}; current=$(cat -- ${layout.currentRevisionFile} 2>/dev/null); printf '%s\\n' "$current"
${section('record')}; case "$current" in ''|.*|*..*|*[!A-Za-z0-9._-]*) ;; *) cat -- ${layout.revisionsDir}/"$current".json 2>/dev/null ;; esac
${section('status')}; ${unitShowCommand(service)}
${sockets}
${program}
${start}
true`;
}

/** Parse the answer of `snapshotCommand` (with the same `parts`). Pure. */
export function parseSnapshot(stdout: string, parts: SnapshotParts = {}): SystemdSnapshot {
  const texts = parseSections(stdout, marker);
  const currentRevision = texts.get('current') || undefined;
  const record = currentRevision ? parseRevisionRecord(texts.get('record') || undefined) : undefined;
  return {
    currentRevision,
    record: record?.revision === currentRevision ? record : undefined,
    status: parseUnitStatus(texts.get('status') ?? ''),
    ...(parts.sockets ? { sockets: parseListeningSockets(texts.get('sockets') ?? '') } : {}),
    ...(parts.program !== undefined ? { programPath: texts.get('program') || undefined } : {}),
    ...(parts.start ? { start: parseUnitStart(texts.get('start')) } : {}),
  };
}
