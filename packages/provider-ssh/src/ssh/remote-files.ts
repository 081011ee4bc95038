/**
 * Small files on the host over SFTP: read one (or learn it is missing), and write one atomically
 * with its final mode from the first byte (a secrets file is never readable by others, not even
 * for a moment).
 */
import { randomBytes } from 'node:crypto';
import { mapSshError } from './map-ssh-error.js';
import { sh } from './remote-command.js';
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

/**
 * Write `path` through a temporary file beside it, then rename over it (readers see the old or the
 * new content, never half). The folder must exist.
 */
export async function writeRemoteFile(
  connection: SshConnection,
  path: string,
  data: string | Buffer,
  mode: number,
): Promise<void> {
  const sftp = await connection.sftp();
  const temporary = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await new Promise<void>((resolve, reject) => {
    sftp.writeFile(temporary, data, { mode, flag: 'wx' }, (error) =>
      error ? reject(mapSshError(error, connection.target, 'sftp')) : resolve(),
    );
  });
  // Explicit: the server's umask may have cleared bits of `mode` at creation.
  await connection.run(
    sh`chmod ${mode.toString(8).padStart(4, '0')} -- ${temporary} && mv -f -- ${temporary} ${path}`,
    {
      description: `write ${path}`,
    },
  );
}
