/**
 * Small files on the host over SFTP: read one (or learn it is missing), and write one atomically
 * with its final mode from the first byte (a secrets file is never readable by others, not even
 * for a moment).
 */
import { nodeCrypto } from '@berth/core/plugin-kit';
import { mapSshError } from './map-ssh-error.js';
import { joinCommands, type RemoteCommand, sh } from './remote-command.js';
import type { SshConnection } from './ssh-connection.js';

// SFTP status code 2: SSH_FX_NO_SUCH_FILE.
const noSuchFile = 2;

/** The file's text, or `undefined` when it does not exist. */
export async function readRemoteFile(connection: SshConnection, path: string): Promise<string | undefined> {
  const sftp = await connection.sftp();
  return new Promise((resolve, reject) => {
    sftp.readFile(path, (error, data) => {
      if (!error) return resolve(data.toString('utf8'));
      if ((error as { code?: number }).code === noSuchFile) return resolve(undefined);
      reject(mapSshError(error, connection.target, 'sftp'));
    });
  });
}

/** One file for `writeRemoteFiles`. */
export interface RemoteFile {
  path: string;
  data: string | Buffer;
  mode: number;
}

/**
 * Write `path` through a temporary file beside it, then rename over it (readers see the old or the
 * new content, never half). The folder must exist.
 */
export function writeRemoteFile(
  connection: SshConnection,
  path: string,
  data: string | Buffer,
  mode: number,
): Promise<void> {
  return writeRemoteFiles(connection, [{ path, data, mode }]);
}

/**
 * Write several files as `writeRemoteFile` does, the temporary files all at once over SFTP, then
 * every mode and rename in one command (in the order given, stopping at the first failure).
 * `after` runs in that same command once every file is in place.
 */
export async function writeRemoteFiles(
  connection: SshConnection,
  files: readonly RemoteFile[],
  after?: RemoteCommand,
): Promise<void> {
  const sftp = await connection.sftp();
  const staged = files.map((file) => ({
    ...file,
    temporary: `${file.path}.tmp-${nodeCrypto().randomBytes(4).toString('hex')}`,
  }));
  await Promise.all(
    staged.map(
      (file) =>
        new Promise<void>((resolve, reject) => {
          sftp.writeFile(file.temporary, file.data, { mode: file.mode, flag: 'wx' }, (error) =>
            error ? reject(mapSshError(error, connection.target, 'sftp')) : resolve(),
          );
        }),
    ),
  );
  // Explicit: the server's umask may have cleared bits of `mode` at creation.
  await connection.run(
    joinCommands([
      ...staged.map(
        (file) =>
          sh`chmod ${file.mode.toString(8).padStart(4, '0')} -- ${file.temporary} && mv -f -- ${file.temporary} ${file.path}`,
      ),
      ...(after ? [after] : []),
    ]),
    { description: `write ${files.map((file) => file.path).join(', ')}` },
  );
}
