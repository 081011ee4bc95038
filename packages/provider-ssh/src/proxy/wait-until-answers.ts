/** Wait for a revision to answer its health path on its own port before the proxy sends it traffic. */
import { BerthError, type ProviderContext } from '@berth/core';

/**
 * GET `url` + `path` until it answers 200, every 200 ms, up to `timeoutMs`. A restored revision
 * that was stopped needs a moment to listen: switching the proxy to it before would fail requests.
 * Throws `HEALTH_CHECK_FAILED` (nothing was switched) when it never answers.
 */
export async function waitUntilAnswers(
  context: ProviderContext,
  fetch: typeof globalThis.fetch,
  url: string,
  path: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = context.clock.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const response = await fetch(new URL(path, url), { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (context.clock.now() > deadline)
      throw new BerthError('HEALTH_CHECK_FAILED', `${url}${path} did not answer 200 (${last})`, {
        hint: 'The revision does not answer on its own port: the proxy was not switched to it. Read its logs.',
      });
    await context.clock.sleep(200, context.signal);
  }
}
