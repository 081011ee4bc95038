/**
 * Decode the Engine API's multiplexed log stream (containers without a TTY): frames of an 8-byte
 * header — stream type, three zero bytes, big-endian payload length — then the payload. Text that
 * does not start with a valid header (a TTY container) is returned as is. Pure.
 */
export function demuxDockerLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const framed = (type === 0 || type === 1 || type === 2) && buffer.readUIntBE(offset + 1, 3) === 0;
    if (!framed) return offset === 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
    const length = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  if (offset === 0) return buffer.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

/** The last `count` non-empty lines of `text`, each cut to `width` characters. Pure. */
export function lastLines(text: string, count: number, width = 300): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .map((line) => (line.length > width ? `${line.slice(0, width)}…` : line));
}
