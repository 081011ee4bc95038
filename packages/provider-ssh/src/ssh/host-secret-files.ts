/**
 * The secret store's files on an SSH host: secrets (and the service's convergence ledger) live with
 * the target, in `<baseDir>/<service>/secrets/` (mode 0700, files 0600), so that every operator and
 * CI job deploying to the host reads back the same generated values.
 */
import type { SecretFiles } from '../local-secret-store.js';
import { sh } from './remote-command.js';
import { readRemoteFile, writeRemoteFile } from './remote-files.js';
import type { SshConnection } from './ssh-connection.js';

/** `SecretFiles` over the SSH connection. */
export function hostSecretFiles(connection: SshConnection): SecretFiles {
  return {
    read: (path) => readRemoteFile(connection, path),
    write: (path, content) => writeRemoteFile(connection, path, content, 0o600),
    async ensureDir(path) {
      await connection.run(sh`mkdir -p -- ${path} && chmod 0700 -- ${path}`, {
        description: `create ${path}`,
      });
    },
    async remove(paths) {
      if (paths.length === 0) return;
      await connection.run(sh`rm -f -- ${paths}`, { description: 'remove secret files' });
    },
    async removeEmptyDir(path) {
      await connection.run(sh`rmdir -- ${path} 2>/dev/null; true`, { description: `remove ${path}` });
    },
  };
}
