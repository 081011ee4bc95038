/**
 * Which TCP ports listen on a host, read from `/proc/net/tcp` and `/proc/net/tcp6` (present on
 * every Linux, unlike `ss` or `netstat`). Pure parsing.
 */

/** A listening socket. */
export interface ListeningSocket {
  /** `127.0.0.1`, `0.0.0.0`, `::`, `::1`, or another address. */
  address: string;
  port: number;
}

const LISTEN = '0A';

function ipv4(hex: string): string {
  // The kernel prints the address as one little-endian 32-bit word.
  const bytes = hex.match(/../g)?.map((byte) => Number.parseInt(byte, 16)) ?? [];
  return bytes.reverse().join('.');
}

function ipv6(hex: string): string {
  // Four little-endian 32-bit words.
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse());
  const groups: string[] = [];
  for (let index = 0; index < bytes.length; index += 2) {
    groups.push(String(Number.parseInt(`${bytes[index]}${bytes[index + 1]}`, 16).toString(16)));
  }
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(text);
  if (mapped?.[1] && mapped[2]) {
    const high = Number.parseInt(mapped[1], 16);
    const low = Number.parseInt(mapped[2], 16);
    return `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return text;
}

/** Parse the concatenated text of `/proc/net/tcp` and `/proc/net/tcp6`: the listening sockets. */
export function parseListeningSockets(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (fields[3] !== LISTEN || !local?.includes(':')) continue;
    const [addressHex = '', portHex = ''] = local.split(':');
    const port = Number.parseInt(portHex, 16);
    if (!Number.isFinite(port)) continue;
    sockets.push({ address: addressHex.length > 8 ? ipv6(addressHex) : ipv4(addressHex), port });
  }
  return sockets;
}

const wildcards = new Set(['0.0.0.0', '::']);

/** Whether something listens where `address:port` would bind (a wildcard overlaps every address). */
export function portTaken(sockets: readonly ListeningSocket[], address: string, port: number): boolean {
  return sockets.some(
    (socket) =>
      socket.port === port &&
      (socket.address === address ||
        wildcards.has(socket.address) ||
        wildcards.has(address) ||
        socket.address === `::ffff:${address}`),
  );
}
