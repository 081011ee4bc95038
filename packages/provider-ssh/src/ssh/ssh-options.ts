/**
 * Options of an SSH connection: the schema (single source of truth, one doc comment per field) and
 * its validation, which runs before any I/O. Keys only: a `password` is refused by name.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import type { z as Zod } from 'zod';
import { loadZod } from '../lazy-zod.js';
import { normaliseFingerprint } from './host-key.js';

/** The schemas, built with `z` (see `schemas()`). */
function buildSshConnectionSchemas(z: typeof Zod) {
  const fingerprint = z.string().refine((value) => normaliseFingerprint(value) !== undefined, {
    message:
      'must be a SHA256 fingerprint such as SHA256:2hNm… (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)',
  });

  /** How to reach and trust one SSH server. */
  const sshConnectionSchema = z.strictObject({
    /** Host name or IP address of the server. */
    host: z.string().min(1, { message: 'must be a host name or IP address' }),
    /** SSH port. Default 22. */
    port: z.number().int().min(1).max(65535, { message: 'must be a TCP port (1–65535)' }).default(22),
    /** User to log in as. */
    username: z.string().min(1, { message: 'must be the user to log in as' }),
    /** Path of the private key file (OpenSSH or PEM format). */
    privateKeyPath: z.string().min(1).optional(),
    /** The private key itself (e.g. read from a secret manager); never logged. */
    privateKey: z.string().min(1).optional(),
    /** Decrypts an encrypted private key, in memory only. Not a login password. */
    passphrase: z.string().min(1).optional(),
    /**
     * An ssh-agent socket path. Default: `SSH_AUTH_SOCK` when neither `privateKeyPath` nor
     * `privateKey` is given.
     */
    agent: z.string().min(1).optional(),
    /** Pinned host key fingerprint(s), `SHA256:…`. When set, known_hosts is not consulted. */
    hostKey: z.union([fingerprint, z.array(fingerprint).min(1)]).optional(),
    /** A known_hosts file (plain and hashed entries). Default `~/.ssh/known_hosts` when no `hostKey`. */
    knownHostsPath: z.string().min(1).optional(),
    /**
     * Trust an unknown host key the first time and record it in `knownHostsPath`; later a different
     * key is refused. Default false: an unknown key is refused.
     */
    trustOnFirstUse: z.boolean().default(false),
    /** TCP connect plus SSH handshake timeout, ms. Default 20 000. */
    connectTimeoutMs: z.number().int().min(1).default(20_000),
    /** Default timeout of one remote command, ms. Default 600 000 (installs can be slow). */
    commandTimeoutMs: z.number().int().min(1).default(600_000),
    /** SSH keepalive interval, ms (0 disables). Default 15 000. */
    keepaliveIntervalMs: z.number().int().min(0).default(15_000),
    /** Unanswered keepalives before the connection is dropped. Default 3. */
    keepaliveCountMax: z.number().int().min(1).default(3),
  });
  return { sshConnectionSchema };
}

let built: ReturnType<typeof buildSshConnectionSchemas> | undefined;
/** The schemas, built on first use (zod is loaded then, not on import). */
export const schemas = (): ReturnType<typeof buildSshConnectionSchemas> => {
  built ??= buildSshConnectionSchemas(loadZod());
  return built;
};

/** SSH connection options as a caller writes them. */
export type SshConnectionInput = Zod.input<
  ReturnType<typeof buildSshConnectionSchemas>['sshConnectionSchema']
>;
/** SSH connection options with defaults filled in. */
export type SshConnectionOptions = Zod.output<
  ReturnType<typeof buildSshConnectionSchemas>['sshConnectionSchema']
>;

interface Issue {
  path: string;
  message: string;
  hint: string;
}

function optionsError(issues: Issue[], owner: string): BerthError {
  return new BerthError(
    'PROVIDER_OPTIONS_INVALID',
    `Invalid ${owner} SSH options: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    { hint: issues.map((issue) => issue.hint).join(' '), details: { issues } },
  );
}

/**
 * Validate SSH options before any I/O. Throws `PROVIDER_OPTIONS_INVALID` naming each rejected field;
 * a password (under any of the names ssh libraries use) is refused without echoing it, and no
 * key material ever appears in the message.
 */
export function parseSshOptions(input: unknown, owner = 'sshHost()', prefix = 'ssh'): SshConnectionOptions {
  const record = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const passwordKey = ['password', 'pass', 'tryKeyboard'].find((key) => key in record);
  if (passwordKey !== undefined) {
    throw optionsError(
      [
        {
          path: `${prefix}.${passwordKey}`,
          message: 'password and keyboard-interactive login are not supported: Berth logs in with keys only',
          hint: 'Remove the password; pass `privateKeyPath` (or `privateKey`) or use an ssh-agent, and add the public key to the server user\u2019s authorized_keys.',
        },
      ],
      owner,
    );
  }
  const result = schemas().sshConnectionSchema.safeParse(input ?? {});
  if (!result.success) {
    throw optionsError(
      result.error.issues.map((issue) => ({
        path: [prefix, ...issue.path].join('.'),
        message: issue.message,
        hint: `Fix the \`${[prefix, ...issue.path].join('.')}\` option of ${owner}; see docs/providers/ssh.md.`,
      })),
      owner,
    );
  }
  const options = result.data;
  const issues: Issue[] = [];
  if (options.privateKeyPath !== undefined && options.privateKey !== undefined) {
    issues.push({
      path: `${prefix}.privateKey`,
      message: 'give either privateKeyPath or privateKey, not both',
      hint: 'Keep one of `privateKeyPath` and `privateKey`.',
    });
  }
  if (
    options.passphrase !== undefined &&
    options.privateKeyPath === undefined &&
    options.privateKey === undefined
  ) {
    issues.push({
      path: `${prefix}.passphrase`,
      message: 'a passphrase only decrypts a private key, and none is given',
      hint: 'Pass `privateKeyPath` with the passphrase, or remove it (login passwords are not supported).',
    });
  }
  if (options.trustOnFirstUse && options.hostKey !== undefined) {
    issues.push({
      path: `${prefix}.trustOnFirstUse`,
      message: 'cannot be combined with a pinned hostKey',
      hint: 'Remove `trustOnFirstUse` (the pin decides) or remove `hostKey`.',
    });
  }
  if (issues.length > 0) throw optionsError(issues, owner);
  return {
    ...options,
    ...(options.privateKeyPath !== undefined ? { privateKeyPath: expandHome(options.privateKeyPath) } : {}),
    ...(options.knownHostsPath !== undefined ? { knownHostsPath: expandHome(options.knownHostsPath) } : {}),
    ...(options.agent !== undefined ? { agent: expandHome(options.agent) } : {}),
  };
}

/** `~` and `~/…` name the home folder of this process's user, as in ssh's own options. Pure but for `home`. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}
