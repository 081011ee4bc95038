import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** Kinds of secret Berth can generate. */
export type GeneratedSecretKind = 'api-key' | 'rsa-private-key';

/**
 * Generate a secret value: `api-key` is 256 random bits, base64url (43 characters, URL-safe);
 * `rsa-private-key` is a 2048-bit RSA key as PKCS#8 PEM.
 */
export function generateSecret(kind: GeneratedSecretKind): string {
  if (kind === 'api-key') return randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return privateKey;
}
