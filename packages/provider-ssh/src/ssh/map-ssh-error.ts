/**
 * The one place where ssh2's errors become `BerthError`s. ssh2 marks its errors with a `level`
 * (`client-socket`, `client-timeout`, `client-authentication`…) and socket errors with a `code`.
 */
import { BerthError } from '@berth/core';

/** What was being done when the error happened. */
export type SshOperation = 'connect' | 'exec' | 'sftp' | 'forward';

interface Ssh2ErrorShape {
  level?: string;
  code?: string | number;
  reason?: number | string;
  message?: string;
  description?: string;
}

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

function shapeOf(error: unknown): Ssh2ErrorShape {
  return typeof error === 'object' && error !== null ? (error as Ssh2ErrorShape) : { message: String(error) };
}

/** True for ssh2's "the key file cannot be used" errors (encrypted without passphrase, bad format). */
export function isKeyParseError(error: unknown): boolean {
  const message = shapeOf(error).message ?? '';
  return /Cannot parse privateKey|Encrypted private (OpenSSH )?key detected|Bad passphrase|Unsupported key format/i.test(
    message,
  );
}

/** Translate an ssh2 error; `target` (`user@host:port`) names the server in the message. */
export function mapSshError(error: unknown, target: string, operation: SshOperation): BerthError {
  if (BerthError.isInstance(error)) return error;
  const shape = shapeOf(error);
  const message = shape.message ?? String(error);
  const code = typeof shape.code === 'string' ? shape.code : undefined;

  if (isKeyParseError(error)) {
    return new BerthError('SSH_AUTH_FAILED', `The private key for ${target} cannot be used: ${message}.`, {
      hint: /passphrase/i.test(message)
        ? 'The key is encrypted: pass its `passphrase`, or load it into ssh-agent and use `agent`.'
        : 'Pass an OpenSSH or PEM private key (`ssh-keygen -t ed25519` makes one).',
      cause: error,
      details: { target },
    });
  }
  if (shape.level === 'client-authentication') {
    return new BerthError('SSH_AUTH_FAILED', `${target} refused the key (publickey authentication failed).`, {
      cause: error,
      details: { target },
    });
  }
  if (shape.level === 'client-timeout') {
    return new BerthError('SSH_UNREACHABLE', `${target} did not complete the SSH handshake in time.`, {
      retryable: true,
      cause: error,
      details: { target },
    });
  }
  if ((code !== undefined && unreachableCodes.has(code)) || shape.level === 'client-socket') {
    return new BerthError(
      'SSH_UNREACHABLE',
      `Cannot reach ${target}${code ? ` (${code})` : ''}: ${message}`,
      { retryable: true, cause: error, details: { target, code } },
    );
  }
  if (/Not connected|No response from server|Connection lost/i.test(message)) {
    return new BerthError('SSH_UNREACHABLE', `The SSH connection to ${target} was lost: ${message}`, {
      retryable: true,
      cause: error,
      details: { target },
    });
  }
  if (operation === 'forward' && /administratively prohibited/i.test(message)) {
    return new BerthError('SSH_COMMAND_FAILED', `${target} does not allow forwarding: ${message}`, {
      hint: 'Allow it in the server\u2019s sshd_config: `AllowTcpForwarding yes` and `AllowStreamLocalForwarding yes`.',
      cause: error,
      details: { target },
    });
  }
  if (operation === 'sftp') {
    return new BerthError('SSH_TRANSFER_FAILED', `SFTP on ${target} failed: ${message}`, {
      cause: error,
      details: { target, code },
    });
  }
  return new BerthError(
    operation === 'connect' ? 'SSH_UNREACHABLE' : 'SSH_COMMAND_FAILED',
    `SSH ${operation} on ${target} failed: ${message}`,
    { retryable: operation === 'connect', cause: error, details: { target } },
  );
}
