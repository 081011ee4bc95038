import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

/** Kinds of secret Berth can generate. */
export type GeneratedSecretKind = 'api-key' | 'rsa-private-key';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Generate a secret value: `api-key` is 256 random bits, base64url (43 characters, URL-safe);
 * `rsa-private-key` is a 2048-bit RSA key as PKCS#8 PEM, made off the main thread.
 */
export async function generateSecret(kind: GeneratedSecretKind): Promise<string> {
  if (kind === 'api-key') return randomBytes(32).toString('base64url');
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return privateKey;
}
