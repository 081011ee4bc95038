import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DoError } from '../protocol/do-error.js';
import type { AppSpec, AppVariableDefinition } from './app-spec.js';

const ciphertextPattern = /^EV\[1:([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)\]$/;

/**
 * App Platform's secret handling: a `type: SECRET` value (and an image's `registry_credentials`) is
 * encrypted on save and returned as `EV[1:<nonce>:<ciphertext>]`; a resubmitted ciphertext is kept as
 * the same value, plaintext is encrypted again (with a fresh nonce, so it never reads the same twice).
 * The key lives only in this process.
 */
export function createSecretBox(key: Buffer = randomBytes(32)) {
  function encrypt(plaintext: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `EV[1:${nonce.toString('base64')}:${sealed.toString('base64')}]`;
  }

  function decrypt(value: string): string | undefined {
    const match = ciphertextPattern.exec(value);
    if (!match) return undefined;
    try {
      const sealed = Buffer.from(match[2] ?? '', 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(match[1] ?? '', 'base64'));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([
        decipher.update(sealed.subarray(0, sealed.length - 16)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** The value to store: a valid ciphertext of ours unchanged, anything else encrypted. */
  function seal(field: string, value: string): string {
    if (value.startsWith('EV[')) {
      if (decrypt(value) === undefined)
        throw new DoError(
          400,
          `error validating app spec field "${field}": unable to decrypt the encrypted value`,
          'invalid_argument',
        );
      return value;
    }
    return encrypt(value);
  }

  function sealEnvs(field: string, envs: AppVariableDefinition[] | undefined) {
    return envs?.map((env, index) =>
      env.type === 'SECRET' && typeof env.value === 'string'
        ? { ...env, value: seal(`${field}[${index}].value`, env.value) }
        : env,
    );
  }

  return {
    encrypt,
    /** The plaintext of one of our ciphertexts; `undefined` for anything else. */
    decrypt,
    /** A copy of a validated spec with every secret stored encrypted. */
    sealSpec(spec: AppSpec): AppSpec {
      const sealed: AppSpec = structuredClone(spec);
      if (spec.envs) sealed.envs = sealEnvs('envs', spec.envs);
      sealed.services = spec.services?.map((service, index) => {
        const copy = { ...structuredClone(service) };
        if (service.envs) copy.envs = sealEnvs(`services[${index}].envs`, service.envs);
        if (service.image?.registry_credentials)
          copy.image = {
            ...service.image,
            registry_credentials: seal(
              `services[${index}].image.registry_credentials`,
              service.image.registry_credentials,
            ),
          };
        return copy;
      });
      return sealed;
    },
  };
}

export type SecretBox = ReturnType<typeof createSecretBox>;
