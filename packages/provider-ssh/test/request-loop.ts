import { request } from 'node:http';
import type { BerthEvent } from '@berth/core';

/**
 * A GET on a new connection each time (`agent: false`), as a client without keep-alive makes it.
 * Why not `fetch`: Caddy applies every config change by replacing its servers gracefully, which
 * closes idle keep-alive connections; undici's `fetch` does not retry a request it sent on a
 * connection the server was closing at that instant (browsers, curl and Go's client do), so a
 * keep-alive loop can see one `other side closed` at a switch. docs/providers/local-docker.md#proxy-mode.
 */
const freshConnectionFetch = ((input: string | URL, init?: RequestInit) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(input.toString());
    const req = request(
      url,
      { agent: false, ...(init?.signal ? { signal: init.signal } : {}) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 0 })),
        );
      },
    );
    req.on('error', reject);
    req.end();
  })) as typeof globalThis.fetch;

/**
 * A bounded request loop against a service URL for the zero-downtime tests: GETs the health path
 * back to back (one at a time, a few ms apart) and records what answered and when.
 */

/** One answer of the loop. */
export interface LoopAnswer {
  /** Milliseconds since the epoch the request started and its answer ended. */
  startedAt: number;
  endedAt: number;
  /** 0 when nothing answered (refused, reset, timeout). */
  status: number;
  /** `revision` of the health body, when it parsed. */
  revision?: string;
  /** Why nothing answered (status 0), or the body of a non-200 answer: to tell a reset from a 502. */
  error?: string;
}

/** Start GETs of `url` + `path` every `intervalMs` until `stop()` (at most `maxMs`). */
export function requestLoop(
  url: string,
  options: { path?: string; intervalMs?: number; maxMs?: number; fetch?: typeof globalThis.fetch } = {},
) {
  const answers: LoopAnswer[] = [];
  const fetchOnce = options.fetch ?? freshConnectionFetch;
  const deadline = Date.now() + (options.maxMs ?? 180_000);
  let stopped = false;
  const done = (async () => {
    while (!stopped && Date.now() < deadline) {
      const startedAt = Date.now();
      let status = 0;
      let revision: string | undefined;
      let error: string | undefined;
      try {
        const response = await fetchOnce(new URL(options.path ?? '/.well-known/health', url), {
          signal: AbortSignal.timeout(5_000),
        });
        status = response.status;
        const text = await response.text();
        if (status !== 200) error = text.slice(0, 200);
        try {
          revision = (JSON.parse(text) as { revision?: string }).revision;
        } catch {}
      } catch (failure) {
        const cause = (failure as { cause?: { code?: string; message?: string } }).cause;
        error = `${(failure as Error).message}${cause ? `: ${cause.code ?? ''} ${cause.message ?? ''}` : ''}`;
      }
      answers.push({
        startedAt,
        endedAt: Date.now(),
        status,
        ...(revision ? { revision } : {}),
        ...(error ? { error } : {}),
      });
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 10));
    }
  })();
  return {
    answers,
    async stop(): Promise<LoopAnswer[]> {
      stopped = true;
      await done;
      return answers;
    },
  };
}

/** The answers that were not a 200. */
export function failures(answers: LoopAnswer[]): LoopAnswer[] {
  return answers.filter((answer) => answer.status !== 200);
}

/** When the verify phase of a run ended (ms since the epoch). */
export function verifiedAt(events: BerthEvent[]): number {
  const end = events.find(
    (event) => event.type === 'phase-end' && (event as { phase?: string }).phase === 'verify',
  );
  if (!end) throw new Error('the run had no verify phase');
  return Date.parse(end.timestamp);
}
