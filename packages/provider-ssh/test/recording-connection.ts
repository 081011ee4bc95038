/**
 * A fake `SshConnection` for unit tests of what Berth writes on a host: every command succeeds
 * with no output; the commands run and the lines appended to a host history are kept for assertions.
 */
import { type HostHistoryEntry, parseHistory } from '../src/ssh/host-history.js';
import type { SshConnection } from '../src/ssh/ssh-connection.js';

const noChannels = async (): Promise<never> => {
  throw new Error('this fake connection opens no channels');
};

/** A connection on which every command succeeds; its commands and history appends are kept. */
export function recordingConnection(): SshConnection & {
  appended: () => HostHistoryEntry[];
  /** Every command run, in order, with what it was given on stdin. */
  commands: { script: string; stdin: string }[];
} {
  const written: string[] = [];
  const commands: { script: string; stdin: string }[] = [];
  return {
    target: 'deploy@host:22',
    hostKeyFingerprint: undefined,
    connect: async () => {},
    run: async (command, options) => {
      commands.push({ script: command.script, stdin: String(options?.stdin ?? '') });
      if (command.script.includes('history.jsonl')) written.push(String(options?.stdin ?? ''));
      return { exitCode: 0, stdout: '', stderr: '' };
    },
    sftp: noChannels,
    openUnixSocket: noChannels,
    openTcp: noChannels,
    close: async () => {},
    appended: () => parseHistory(written.join('')),
    commands,
  };
}
