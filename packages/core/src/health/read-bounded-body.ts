/** Most of a health response's body the verifier reads: 1 MiB. The rest is not downloaded. */
export const MAX_HEALTH_BODY_BYTES = 1024 * 1024;

/** Read a response body as text, up to `limit` bytes; says whether the body was longer. */
export async function readBoundedBody(
  response: Response,
  limit = MAX_HEALTH_BODY_BYTES,
): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = limit - size;
      if (value.byteLength > room) {
        chunks.push(value.subarray(0, room));
        size = limit;
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => undefined);
    else reader.releaseLock();
  }
  const bytes = Buffer.concat(chunks, size);
  // A cut may split a multi-byte character; the decoder replaces the tail with U+FFFD.
  return { text: new TextDecoder().decode(bytes), truncated };
}
