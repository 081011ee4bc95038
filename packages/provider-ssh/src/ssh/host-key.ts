/**
 * Host key checks, pure: fingerprints, OpenSSH `known_hosts` parsing (plain and hashed entries,
 * `[host]:port`, patterns, negations, `@revoked`) and the verdict for a presented key.
 */
import { nodeCrypto } from '@berth/core/plugin-kit';

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l -E sha256` prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${nodeCrypto().createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`…), or `unknown`. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const length = keyBlob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > keyBlob.length) return 'unknown';
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** Normalise a fingerprint the user pinned: `SHA256:` prefix, no base64 padding. Undefined when malformed. */
export function normaliseFingerprint(pin: string): string | undefined {
  const match = /^(?:SHA256:)?([A-Za-z0-9+/]{43})=?$/.exec(pin.trim());
  return match ? `SHA256:${match[1]}` : undefined;
}

/** One line of a known_hosts file that names hosts and a key. */
export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | undefined;
  /** Comma-separated patterns, or one `|1|salt|hash` hashed name. */
  hosts: string;
  keyType: string;
  keyBlob: Buffer;
  /** 1-based line number, for messages. */
  line: number;
}

/** Parse a known_hosts file; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift();
      if (name !== '@revoked' && name !== '@cert-authority') return;
      marker = name === '@revoked' ? 'revoked' : 'cert-authority';
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64 || !/^[A-Za-z0-9+/]+=*$/.test(keyBase64)) return;
    entries.push({ marker, hosts, keyType, keyBlob: Buffer.from(keyBase64, 'base64'), line: index + 1 });
  });
  return entries;
}

/** How known_hosts names a host: `host` on port 22, else `[host]:port`. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function hashedMatches(hashed: string, name: string): boolean {
  const parts = hashed.split('|');
  if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return false;
  const salt = Buffer.from(parts[2], 'base64');
  const expected = Buffer.from(parts[3], 'base64');
  const actual = nodeCrypto().createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && nodeCrypto().timingSafeEqual(expected, actual);
}

/** True when the entry's host field names `host:port` (OpenSSH rules: any positive match, no negated one). */
export function entryMatchesHost(hosts: string, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  if (hosts.startsWith('|')) return hashedMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(body).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Where a host key check looks. */
export interface HostKeyPolicy {
  /** Pinned fingerprints (`SHA256:…`, normalised); when present, known_hosts is not consulted. */
  pins: readonly string[];
  /** Parsed known_hosts entries. */
  knownHosts: readonly KnownHostEntry[];
}

/** The verdict on a presented host key. */
export type HostKeyVerdict =
  | { status: 'trusted'; fingerprint: string; via: 'pin' | 'known-hosts' }
  | { status: 'mismatch'; fingerprint: string; expected: string[]; reason: 'pin' | 'known-hosts' | 'revoked' }
  | { status: 'unknown'; fingerprint: string; knownTypes: string[] };

/**
 * Decide whether to trust `keyBlob` presented by `host:port`. A pin must match exactly. Otherwise a
 * known_hosts entry with the same key trusts it; an entry of the same key type with another key is
 * a mismatch; a `@revoked` key is always refused. Keys known only under other types are unknown.
 */
export function verifyHostKey(
  policy: HostKeyPolicy,
  host: string,
  port: number,
  keyBlob: Buffer,
): HostKeyVerdict {
  const fingerprint = fingerprintOf(keyBlob);
  const keyType = keyTypeOf(keyBlob);
  const revoked = policy.knownHosts.some(
    (entry) => entry.marker === 'revoked' && entry.keyBlob.equals(keyBlob),
  );
  if (revoked) return { status: 'mismatch', fingerprint, expected: [], reason: 'revoked' };
  if (policy.pins.length > 0) {
    return policy.pins.includes(fingerprint)
      ? { status: 'trusted', fingerprint, via: 'pin' }
      : { status: 'mismatch', fingerprint, expected: [...policy.pins], reason: 'pin' };
  }
  const forHost = policy.knownHosts.filter(
    (entry) => entry.marker === undefined && entryMatchesHost(entry.hosts, host, port),
  );
  if (forHost.some((entry) => entry.keyBlob.equals(keyBlob))) {
    return { status: 'trusted', fingerprint, via: 'known-hosts' };
  }
  const sameType = forHost.filter((entry) => entry.keyType === keyType);
  if (sameType.length > 0) {
    return {
      status: 'mismatch',
      fingerprint,
      expected: sameType.map((entry) => fingerprintOf(entry.keyBlob)),
      reason: 'known-hosts',
    };
  }
  return { status: 'unknown', fingerprint, knownTypes: [...new Set(forHost.map((entry) => entry.keyType))] };
}

/** Key types known for `host:port`, to ask the server for those first (as OpenSSH does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  return [
    ...new Set(
      entries
        .filter((entry) => entry.marker === undefined && entryMatchesHost(entry.hosts, host, port))
        .map((entry) => entry.keyType),
    ),
  ];
}

/** The known_hosts line that trust-on-first-use appends (plain, not hashed, so operators can read it). */
export function knownHostsLine(host: string, port: number, keyBlob: Buffer): string {
  return `${knownHostName(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}`;
}
