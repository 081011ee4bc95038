/**
 * A client of Caddy's admin API reached through a stream to its UNIX socket: a local socket
 * (`node:net`) or the host's socket over SSH (`streamlocal` forwarding). JSON in, JSON out; a
 * non-2xx answer becomes a `ProviderError` with Caddy's own message.
 */
import type { Duplex } from 'node:stream';
import { ProviderError } from '@berth/core';
import { nodeHttp } from '@berth/core/plugin-kit';
import { channelAgent } from '../ssh/channel-agent.js';

/** The admin API of one proxy. */
export interface CaddyAdmin {
  /** `GET`; `undefined` when the path or `@id` does not exist. */
  get(path: string): Promise<unknown>;
  /** `POST`/`PUT`/`PATCH`/`DELETE` a JSON body; returns the status code. */
  send(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<void>;
  /** True when the admin API answers. */
  ping(): Promise<boolean>;
}

/** Caddy's answer for a path or `@id` it does not know (404, or 400 "unknown object ID"). */
export function isMissing(status: number, text: string): boolean {
  return (
    status === 404 || (status === 400 && /unknown object ID|invalid traversal path|not found/i.test(text))
  );
}

interface Answer {
  status: number;
  text: string;
}

/** A client over `open`, which opens one stream to the admin socket per request. */
export function caddyAdmin(open: () => Promise<Duplex>, where: string): CaddyAdmin {
  const agent = channelAgent(open);
  const call = (method: string, path: string, body?: unknown): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = nodeHttp().request(
        {
          agent,
          path,
          method,
          // The admin API on a socket accepts only an empty Host (RFC 7230 for a URI without host).
          setHost: false,
          headers: {
            host: '',
            ...(payload !== undefined
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
          timeout: 30_000,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('error', reject);
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      req.on('error', (error) =>
        reject(
          new ProviderError('PROVIDER_UNAVAILABLE', `The proxy's admin API (${where}) does not answer`, {
            hint: 'Check that the proxy runs (Berth starts it on the next deploy) and that its admin socket is reachable.',
            cause: error,
            retryable: true,
          }),
        ),
      );
      req.end(payload);
    });

  const failed = (method: string, path: string, answer: Answer) =>
    new ProviderError(
      'PROVIDER_REQUEST_FAILED',
      `The proxy refused ${method} ${path} (${answer.status}): ${answer.text.trim().slice(0, 500)}`,
      {
        hint: 'See the proxy container or unit logs; the change was not applied.',
        details: { status: answer.status },
      },
    );

  return {
    async get(path) {
      const answer = await call('GET', path);
      if (isMissing(answer.status, answer.text)) return undefined;
      if (answer.status >= 300) throw failed('GET', path, answer);
      return answer.text.trim() === '' ? undefined : (JSON.parse(answer.text) ?? undefined);
    },
    async send(method, path, body) {
      const answer = await call(method, path, body);
      if (answer.status >= 300) throw failed(method, path, answer);
    },
    async ping() {
      try {
        return (await call('GET', '/config/admin')).status < 300;
      } catch {
        return false;
      }
    },
  };
}
