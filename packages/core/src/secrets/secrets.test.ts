import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintSecret, maskFingerprint, newFingerprintKey } from './fingerprint.js';
import { generateSecret } from './generate-secret.js';
import { REDACTED, Redactor } from './redactor.js';

describe('generateSecret', () => {
  it('makes URL-safe API keys of 256 bits, different every time', async () => {
    const keys = new Set(await Promise.all(Array.from({ length: 50 }, () => generateSecret('api-key'))));
    expect(keys.size).toBe(50);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    }
  });

  it('makes a 2048-bit RSA private key in PEM that node:crypto can load', async () => {
    const pem = await generateSecret('rsa-private-key');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
});

describe('fingerprintSecret', () => {
  it('depends on the key, the name and the value, and does not contain the value', () => {
    const key = newFingerprintKey();
    const base = fingerprintSecret(key, 'API_KEY', 'value-1');
    expect(base).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(fingerprintSecret(key, 'API_KEY', 'value-1')).toBe(base);
    expect(fingerprintSecret(key, 'API_KEY', 'value-2')).not.toBe(base);
    expect(fingerprintSecret(key, 'OTHER', 'value-1')).not.toBe(base);
    expect(fingerprintSecret(newFingerprintKey(), 'API_KEY', 'value-1')).not.toBe(base);
    expect(maskFingerprint(base)).toBe(`******(${base.slice(12, 20)})`);
  });
});

describe('Redactor', () => {
  it('removes registered values from text and from nested data, keys included', () => {
    const redactor = new Redactor();
    redactor.add('s3cr3t-value');
    redactor.add('ab');
    expect(redactor.text('token=s3cr3t-value; ab')).toBe(`token=${REDACTED}; ab`);
    const shared = { value: 's3cr3t-value' };
    expect(redactor.value({ 's3cr3t-value': [shared, shared], n: 1, nothing: null })).toEqual({
      [REDACTED]: [{ value: REDACTED }, { value: REDACTED }],
      n: 1,
      nothing: null,
    });
  });

  it('redacts multi-line secrets whole, line by line, and JSON-escaped', async () => {
    const redactor = new Redactor();
    const pem = await generateSecret('rsa-private-key');
    redactor.add(pem);
    const line = pem.split('\n')[5]!;
    expect(redactor.text(`key: ${pem}`)).toBe(`key: ${REDACTED}`);
    expect(redactor.text(`partial ${line}`)).toBe(`partial ${REDACTED}`);
    expect(redactor.text(JSON.stringify({ pem }))).not.toContain(line);
  });
});
