import { nodeCrypto } from '../ports/node-builtins.js';

/** A new random fingerprint key (base64url). Stored in state; it is not a secret value. */
export function newFingerprintKey(): string {
  return nodeCrypto().randomBytes(32).toString('base64url');
}

/**
 * A key for planning a service that has no state yet: derived from its name, so that two plans of the
 * same inputs are byte-identical. Never stored; the first deploy stores a random key.
 */
export function planningFingerprintKey(service: string): string {
  return nodeCrypto().createHash('sha256').update(`berth-plan-fingerprint:${service}`).digest('base64url');
}

/**
 * Keyed fingerprint of a secret value: HMAC-SHA256 over the name and value, so equal values of
 * different secrets differ and the value cannot be recovered or guessed without the key.
 */
export function fingerprintSecret(key: string, name: string, value: string): string {
  const digest = nodeCrypto()
    .createHmac('sha256', Buffer.from(key, 'base64url'))
    .update(name)
    .update('\0')
    .update(value)
    .digest('hex');
  return `hmac-sha256:${digest.slice(0, 32)}`;
}

/** How a fingerprint is shown in plans: masked, with a short prefix to tell versions apart. */
export function maskFingerprint(fingerprint: string | undefined): string | null {
  if (!fingerprint) return null;
  return `******(${fingerprint.slice('hmac-sha256:'.length, 'hmac-sha256:'.length + 8)})`;
}
