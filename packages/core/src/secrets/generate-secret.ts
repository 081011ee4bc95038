import { nodeCrypto } from '../ports/node-builtins.js';

/** Kinds of secret Berth can generate. */
export type GeneratedSecretKind = 'api-key' | 'rsa-private-key';

/**
 * Generate a secret value: `api-key` is 256 random bits, base64url (43 characters, URL-safe);
 * `rsa-private-key` is a 2048-bit RSA key as PKCS#8 PEM, made off the main thread.
 */
export async function generateSecret(kind: GeneratedSecretKind): Promise<string> {
  if (kind === 'api-key') return nodeCrypto().randomBytes(32).toString('base64url');
  // Not `util.promisify`: an ESM import of `node:util` loads its lazy members (encoding, stderr).
  return new Promise((resolve, reject) =>
    nodeCrypto().generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      },
      (error, _publicKey, privateKey) => (error ? reject(error) : resolve(privateKey)),
    ),
  );
}
