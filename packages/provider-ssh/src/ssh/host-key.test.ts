import { describe, expect, it } from 'vitest';
import {
  entryMatchesHost,
  fingerprintOf,
  keyTypeOf,
  knownHostsLine,
  knownKeyTypes,
  normaliseFingerprint,
  parseKnownHosts,
  verifyHostKey,
} from './host-key.js';

// Made with ssh-keygen; fingerprints as `ssh-keygen -lf -E sha256` printed them.
const ed1 = 'AAAAC3NzaC1lZDI1NTE5AAAAINjIsg76bx6mB6qUb7S2umfZ3ndyG6Ad83m0eUfrN8Z0';
const ed1Fingerprint = 'SHA256:p8oC6iL4M0xji4keC6qP2b6ijYcRdjEDlo3x6F/CTpM';
const ed2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIPHSmfQkyrkvvsMzUvf3CCKUG0iHKufVM2O0FsxoHXa/';
const ed2Fingerprint = 'SHA256:sA2Q0xAipxABs0DGRTPFFsIqb6ruO/sjJM8D5v28B8c';
const rsa =
  'AAAAB3NzaC1yc2EAAAADAQABAAABAQC+fT2D9cwGc1ITOYC5kB1SWwWA+eB+nim0Glutizs72xBOuQwMPjgiN3bjGBccgmliTVqh146CEQ6rKSOtG9dXW6nGHEMo+uVnLDEeRZsk7QwcrlMuka+vV7LxM4LcYP50hlJylNxLq7oMXOjoTrJEvlWvMjhLrF0zpl4jn4I3NO7EeV0zmfe+GDM3s5hpMOkTEjOVdGOK95p0TZ17WjR+AUULEEo00whM6cWINoWwNCMY3I6N5fjw9SuYGym3GqcNHJeNha9S/t9E0sd8nT1QHEX0uvhrAq8OPsQyu+1iK41pzf5h3Ft8iodd2OerULwVRz6oktiTd0MPoeRznpRz';
const rsaFingerprint = 'SHA256:bhKRjk7p7gwWn52z68diG7V7aJAy8D+1NM8HYx+V7uI';
// `ssh-keygen -H` of "[example.com]:2222 <ed1>" and "example.org <ed1>".
const hashedExampleCom2222 = '|1|Jwg64zjA88gTWj75Xh9cJ2jG9kU=|NR6zKWhykPFndD2b6H/VbEqsV5Q=';
const hashedExampleOrg = '|1|/XPoun4/b5mPai5mtRj46UOULHA=|ez7xAM7gpAlmBCqdjv6cgySHNXk=';

const blob = (base64: string) => Buffer.from(base64, 'base64');

describe('fingerprints', () => {
  it.each([
    [ed1, ed1Fingerprint],
    [ed2, ed2Fingerprint],
    [rsa, rsaFingerprint],
  ])('match ssh-keygen for %#', (key, fingerprint) => {
    expect(fingerprintOf(blob(key))).toBe(fingerprint);
  });

  it('reads the key type from the blob', () => {
    expect(keyTypeOf(blob(ed1))).toBe('ssh-ed25519');
    expect(keyTypeOf(blob(rsa))).toBe('ssh-rsa');
    expect(keyTypeOf(Buffer.from([0, 0]))).toBe('unknown');
  });

  it.each([
    [ed1Fingerprint, ed1Fingerprint],
    ['p8oC6iL4M0xji4keC6qP2b6ijYcRdjEDlo3x6F/CTpM', ed1Fingerprint],
    [`${ed1Fingerprint}=`, ed1Fingerprint],
    [`  ${ed1Fingerprint} `, ed1Fingerprint],
    ['MD5:12:34', undefined],
    ['SHA256:short', undefined],
  ])('normalises the pin %j', (pin, expected) => {
    expect(normaliseFingerprint(pin)).toBe(expected);
  });
});

describe('known_hosts', () => {
  const file = [
    '# a comment',
    '',
    `${hashedExampleCom2222} ssh-ed25519 ${ed1}`,
    `${hashedExampleOrg} ssh-ed25519 ${ed1}`,
    `plain.example,10.0.0.1 ssh-ed25519 ${ed2}`,
    `[plain.example]:2200 ssh-rsa ${rsa} a comment`,
    `*.wild.example,!bad.wild.example ssh-ed25519 ${ed2}`,
    `@revoked * ssh-ed25519 ${ed1}`,
    `@cert-authority *.example ssh-ed25519 ${ed2}`,
    'broken line',
    `@unknown host ssh-ed25519 ${ed1}`,
  ].join('\n');
  const entries = parseKnownHosts(file);

  it('parses entries and skips comments, blank, malformed and unknown-marker lines', () => {
    expect(entries.map((entry) => [entry.line, entry.marker, entry.keyType])).toEqual([
      [3, undefined, 'ssh-ed25519'],
      [4, undefined, 'ssh-ed25519'],
      [5, undefined, 'ssh-ed25519'],
      [6, undefined, 'ssh-rsa'],
      [7, undefined, 'ssh-ed25519'],
      [8, 'revoked', 'ssh-ed25519'],
      [9, 'cert-authority', 'ssh-ed25519'],
    ]);
  });

  it.each([
    [hashedExampleCom2222, 'example.com', 2222, true],
    [hashedExampleCom2222, 'example.com', 22, false],
    [hashedExampleCom2222, 'example.org', 2222, false],
    [hashedExampleOrg, 'example.org', 22, true],
    ['plain.example,10.0.0.1', '10.0.0.1', 22, true],
    ['plain.example,10.0.0.1', 'plain.example', 2222, false],
    ['[plain.example]:2200', 'plain.example', 2200, true],
    ['[127.0.0.1]:2222', '127.0.0.1', 2222, true],
    ['*.wild.example,!bad.wild.example', 'good.wild.example', 22, true],
    ['*.wild.example,!bad.wild.example', 'bad.wild.example', 22, false],
    ['PLAIN.example', 'plain.EXAMPLE', 22, true],
    ['host?', 'host1', 22, true],
    ['a.b', 'aXb', 22, false],
  ])('%s names %s:%d: %s', (hosts, host, port, expected) => {
    expect(entryMatchesHost(hosts, host, port)).toBe(expected);
  });

  it('trusts a key listed for the host (hashed entry, non-default port)', () => {
    const verdict = verifyHostKey(
      { pins: [], knownHosts: parseKnownHosts(file.split('\n').slice(0, 7).join('\n')) },
      'example.com',
      2222,
      blob(ed1),
    );
    expect(verdict).toEqual({ status: 'trusted', fingerprint: ed1Fingerprint, via: 'known-hosts' });
  });

  it('reports a different key of the same type as a mismatch, naming the expected key', () => {
    const verdict = verifyHostKey({ pins: [], knownHosts: entries }, 'plain.example', 22, blob(ed1));
    expect(verdict).toMatchObject({ status: 'mismatch', reason: 'revoked' });
    const notRevoked = entries.filter((entry) => entry.marker !== 'revoked');
    const verdict2 = verifyHostKey({ pins: [], knownHosts: notRevoked }, 'example.org', 22, blob(ed2));
    expect(verdict2).toEqual({
      status: 'mismatch',
      fingerprint: ed2Fingerprint,
      expected: [ed1Fingerprint],
      reason: 'known-hosts',
    });
  });

  it('refuses a revoked key even when a pin names it', () => {
    expect(verifyHostKey({ pins: [ed1Fingerprint], knownHosts: entries }, 'x', 22, blob(ed1))).toMatchObject({
      status: 'mismatch',
      reason: 'revoked',
    });
  });

  it('calls a host with no entry, or entries of other key types only, unknown', () => {
    const knownHosts = entries.filter((entry) => entry.marker === undefined);
    expect(verifyHostKey({ pins: [], knownHosts }, 'nowhere.example', 22, blob(ed2))).toEqual({
      status: 'unknown',
      fingerprint: ed2Fingerprint,
      knownTypes: [],
    });
    expect(verifyHostKey({ pins: [], knownHosts }, 'plain.example', 2200, blob(ed2))).toEqual({
      status: 'unknown',
      fingerprint: ed2Fingerprint,
      knownTypes: ['ssh-rsa'],
    });
  });

  it('lists the key types known for a host, for algorithm preference', () => {
    expect(knownKeyTypes(entries, 'plain.example', 2200)).toEqual(['ssh-rsa']);
    expect(knownKeyTypes(entries, 'nowhere', 22)).toEqual([]);
  });

  it('writes a plain known_hosts line that parses back to the same trust', () => {
    const line = knownHostsLine('127.0.0.1', 2223, blob(ed2));
    expect(line).toBe(`[127.0.0.1]:2223 ssh-ed25519 ${ed2}`);
    const verdict = verifyHostKey(
      { pins: [], knownHosts: parseKnownHosts(line) },
      '127.0.0.1',
      2223,
      blob(ed2),
    );
    expect(verdict.status).toBe('trusted');
    expect(knownHostsLine('example.org', 22, blob(ed2))).toBe(`example.org ssh-ed25519 ${ed2}`);
  });
});

describe('pins', () => {
  it('trust exactly the pinned keys and ignore known_hosts', () => {
    const knownHosts = parseKnownHosts(`example.org ssh-ed25519 ${ed2}`);
    expect(verifyHostKey({ pins: [ed1Fingerprint], knownHosts }, 'example.org', 22, blob(ed1))).toEqual({
      status: 'trusted',
      fingerprint: ed1Fingerprint,
      via: 'pin',
    });
    expect(verifyHostKey({ pins: [ed1Fingerprint], knownHosts }, 'example.org', 22, blob(ed2))).toEqual({
      status: 'mismatch',
      fingerprint: ed2Fingerprint,
      expected: [ed1Fingerprint],
      reason: 'pin',
    });
  });

  it('accept any of several pins (key rotation)', () => {
    const policy = { pins: [ed1Fingerprint, rsaFingerprint], knownHosts: [] };
    expect(verifyHostKey(policy, 'h', 22, blob(rsa)).status).toBe('trusted');
  });
});
