/**
 * Put many local files on the host over one SFTP session, at the speed of OpenSSH's `scp`: a large
 * file goes with many write requests outstanding in large chunks (ssh2's `fastPut`, read from disk
 * as it goes); small files go many at a time, each in as few round trips as SFTP allows (open with
 * its mode, write, close), so the session never waits on one file's replies.
 */
import { readFile } from 'node:fs/promises';
import type { SFTPWrapper } from 'ssh2';

/** One file to put. */
export interface PutEntry {
  /** Local path. */
  local: string;
  /** Remote path (its folder exists). */
  remote: string;
  mode: number;
  size: number;
}

/** How `putFiles` spreads the work. Defaults suit a LAN or loopback link; see docs/providers/ssh.md. */
export interface PutSettings {
  /** Files up to this size are read whole and sent in one go. Default 256 KiB. */
  smallFileBytes?: number;
  /** Small files in flight at once. Default 64. */
  smallFiles?: number;
  /** Large files in flight at once. Default 2. */
  largeFiles?: number;
  /** Write requests outstanding per large file. Default 16. */
  requestsPerFile?: number;
  /** Bytes per write request (capped by what the server announces). Default 128 KiB. */
  chunkBytes?: number;
}

const defaults = {
  smallFileBytes: 256 * 1024,
  smallFiles: 64,
  largeFiles: 2,
  requestsPerFile: 16,
  chunkBytes: 128 * 1024,
} satisfies Required<PutSettings>;

/** What the SFTP session says it accepts per write (OpenSSH's `limits@openssh.com`), if it did. */
function serverWriteLimit(sftp: SFTPWrapper): number | undefined {
  const limit = (sftp as unknown as { _maxWriteLen?: number })._maxWriteLen;
  return typeof limit === 'number' && limit > 0 ? limit : undefined;
}

/** Split `entries` into the two pools. Pure. */
export function splitBySize(
  entries: readonly PutEntry[],
  smallFileBytes = defaults.smallFileBytes,
): { small: PutEntry[]; large: PutEntry[] } {
  const small: PutEntry[] = [];
  const large: PutEntry[] = [];
  for (const entry of entries) (entry.size <= smallFileBytes ? small : large).push(entry);
  // Largest first: the long transfers start early and the pool ends together.
  large.sort((left, right) => right.size - left.size);
  return { small, large };
}

function call<T>(start: (done: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, value) => (error ? reject(error) : resolve(value)));
  });
}

async function putSmall(sftp: SFTPWrapper, entry: PutEntry, chunkBytes: number): Promise<void> {
  const data = await readFile(entry.local);
  const handle = await call<Buffer>((done) => sftp.open(entry.remote, 'w', { mode: entry.mode }, done));
  try {
    const writes: Promise<void>[] = [];
    for (let offset = 0; offset < data.length; offset += chunkBytes) {
      const length = Math.min(chunkBytes, data.length - offset);
      writes.push(call<void>((done) => sftp.write(handle, data, offset, length, offset, done)));
    }
    await Promise.all(writes);
  } finally {
    await call<void>((done) => sftp.close(handle, done));
  }
}

function putLarge(
  sftp: SFTPWrapper,
  entry: PutEntry,
  requests: number,
  chunkBytes: number,
  onBytes: (bytes: number) => void,
): Promise<void> {
  let sent = 0;
  return call<void>((done) =>
    sftp.fastPut(
      entry.local,
      entry.remote,
      {
        mode: entry.mode,
        concurrency: requests,
        chunkSize: chunkBytes,
        step: (total) => {
          onBytes(total - sent);
          sent = total;
        },
      },
      (error) => {
        if (!error) onBytes(entry.size - sent);
        done(error, undefined);
      },
    ),
  );
}

/**
 * Put `entries` (see the module comment). `onBytes` reports bytes as they are acknowledged,
 * `onFile` each finished file. Stops at the first error (files in flight finish or fail first).
 */
export async function putFiles(
  sftp: SFTPWrapper,
  entries: readonly PutEntry[],
  options: {
    settings?: PutSettings;
    signal?: AbortSignal;
    onBytes?: (bytes: number) => void;
    onFile?: (entry: PutEntry) => void;
  } = {},
): Promise<void> {
  const settings = { ...defaults, ...options.settings };
  const chunkBytes = Math.min(settings.chunkBytes, serverWriteLimit(sftp) ?? 32 * 1024);
  const { small, large } = splitBySize(entries, settings.smallFileBytes);
  let failed: unknown;
  const pool = (queue: PutEntry[], workers: number, put: (entry: PutEntry) => Promise<void>) =>
    Array.from({ length: Math.min(workers, queue.length) }, async () => {
      for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
        if (failed !== undefined) return;
        try {
          if (options.signal?.aborted) throw options.signal.reason;
          await put(entry);
        } catch (error) {
          failed ??= error;
          return;
        }
        options.onFile?.(entry);
      }
    });
  await Promise.all([
    ...pool(small, settings.smallFiles, async (entry) => {
      await putSmall(sftp, entry, chunkBytes);
      options.onBytes?.(entry.size);
    }),
    ...pool(large, settings.largeFiles, (entry) =>
      putLarge(sftp, entry, settings.requestsPerFile, chunkBytes, (bytes) => options.onBytes?.(bytes)),
    ),
  ]);
  if (failed !== undefined) throw failed;
}
