/**
 * The host key check of one connection: loads the pins or the known_hosts file, verifies the key
 * the server presents (host-key.ts decides), records it on trust-on-first-use, and turns a refusal
 * into the `BerthError` the connection reports.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { BerthError } from '@berth/core';
import {
  type HostKeyVerdict,
  type KnownHostEntry,
  knownHostsLine,
  knownKeyTypes,
  normaliseFingerprint,
  parseKnownHosts,
  verifyHostKey,
} from './host-key.js';
import type { SshConnectionOptions } from './ssh-options.js';

/** File access of the check, injectable for tests. */
export interface HostKeyFiles {
  /** Resolves `undefined` when the file does not exist. */
  read(path: string): Promise<string | undefined>;
  append(path: string, text: string): Promise<void>;
}

/** The real files. */
export const nodeHostKeyFiles: HostKeyFiles = {
  read: (path) =>
    readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    }),
  append: async (path, text) => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await appendFile(path, text, { mode: 0o600 });
  },
};

/** A prepared check for one server. */
export interface HostKeyCheck {
  /** Host key algorithms to ask for first (the types known_hosts has for this host). */
  preferredKeyTypes: string[];
  /** Decide on a presented key (records it first when trusting on first use). */
  verify(keyBlob: Buffer): Promise<HostKeyVerdict>;
  /** The `BerthError` for a refused verdict. */
  refusal(verdict: HostKeyVerdict): BerthError;
}

/** `~/.ssh/known_hosts` of the current user. */
export function defaultKnownHostsPath(home: string = homedir()): string {
  return join(home, '.ssh', 'known_hosts');
}

/** Load what the check needs (the known_hosts file is read once per connection attempt). */
export async function prepareHostKeyCheck(
  options: SshConnectionOptions,
  files: HostKeyFiles = nodeHostKeyFiles,
): Promise<HostKeyCheck> {
  const target = `${options.host}:${options.port}`;
  const pins = (options.hostKey === undefined ? [] : [options.hostKey].flat())
    .map((pin) => normaliseFingerprint(pin))
    .filter((pin): pin is string => pin !== undefined);
  const knownHostsPath = options.knownHostsPath ?? defaultKnownHostsPath();
  let knownHosts: KnownHostEntry[] = [];
  if (pins.length === 0) {
    knownHosts = parseKnownHosts((await files.read(knownHostsPath)) ?? '');
  }
  const knownTypes = knownKeyTypes(knownHosts, options.host, options.port);
  return {
    preferredKeyTypes: knownTypes,
    async verify(keyBlob) {
      const verdict = verifyHostKey({ pins, knownHosts }, options.host, options.port, keyBlob);
      // First use means a host known_hosts does not name at all: a host known by a key of another
      // type that now presents a new type is refused, as OpenSSH does.
      if (verdict.status === 'unknown' && options.trustOnFirstUse && knownTypes.length === 0) {
        await files.append(knownHostsPath, `${knownHostsLine(options.host, options.port, keyBlob)}\n`);
        return { status: 'trusted', fingerprint: verdict.fingerprint, via: 'known-hosts' };
      }
      return verdict;
    },
    refusal(verdict) {
      if (verdict.status === 'unknown' && knownTypes.length > 0) {
        return new BerthError(
          'SSH_HOST_KEY_UNKNOWN',
          `The host ${target} presented a key (${verdict.fingerprint}) of a type ${knownHostsPath} has no entry for; ` +
            `it knows this host by ${knownTypes.join(', ')} keys only. Refusing to connect (trust-on-first-use applies only to hosts known_hosts does not name).`,
          { details: { target, fingerprint: verdict.fingerprint, knownHostsPath, knownTypes } },
        );
      }
      if (verdict.status === 'unknown') {
        return new BerthError(
          'SSH_HOST_KEY_UNKNOWN',
          `The host key of ${target} (${verdict.fingerprint}) is not pinned and not in ${knownHostsPath}; refusing to connect.`,
          { details: { target, fingerprint: verdict.fingerprint, knownHostsPath } },
        );
      }
      if (verdict.status === 'mismatch') {
        const where =
          verdict.reason === 'pin'
            ? `the pinned ${verdict.expected.join(' or ')}`
            : verdict.reason === 'revoked'
              ? `a key marked @revoked in ${knownHostsPath}`
              : `${verdict.expected.join(' or ')} in ${knownHostsPath}`;
        return new BerthError(
          'SSH_HOST_KEY_MISMATCH',
          `The host key of ${target} is ${verdict.fingerprint}, which does not match ${where}. ` +
            'It may be a reinstalled server or someone intercepting the connection; nothing was sent.',
          {
            details: {
              target,
              fingerprint: verdict.fingerprint,
              expected: verdict.expected,
              reason: verdict.reason,
            },
          },
        );
      }
      return new BerthError('SSH_HOST_KEY_MISMATCH', `The host key of ${target} was refused.`);
    },
  };
}
