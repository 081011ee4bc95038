import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DoError, notFound } from './do-error.js';
import type { RateLimitAnswer } from './rate-limit.js';

/** A JSON body on the wire. */
export type Json = Record<string, unknown>;

/** What a handler gets. */
export interface Call {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Json;
  /** The bearer token of the call. */
  token: string;
}

/** What a handler answers: a status and a JSON body (none for 204, or an empty 200). */
export interface Answer {
  status: number;
  body?: unknown;
}

/** One route: `'GET /v2/apps/{id}'`. */
export interface Route {
  operation: string;
  handle(call: Call): Answer | Promise<Answer>;
}

/** One answered call, for tests and diagnostics. */
export interface CallRecord {
  /** The route as documented, e.g. `POST /v2/apps/{id}/rollback`; the raw path when no route matched. */
  operation: string;
  path: string;
  status: number;
  /** The error body's `id`, when the call failed. */
  error?: string;
  at: number;
}

/** Settings of the router. */
export interface RouterOptions {
  routes: Route[];
  /** Is this bearer token valid? */
  authorize(token: string): boolean;
  rateLimit(token: string): RateLimitAnswer;
  takeFault(operation: string): DoError | undefined;
  requestLatencyMs(): number;
  onCall(record: CallRecord): void;
}

function compile(route: Route) {
  const [method = 'GET', template = '/'] = route.operation.split(' ');
  const names: string[] = [];
  const pattern = new RegExp(
    `^${template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}/?$`,
  );
  return { method, pattern, names, route };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * The request listener: bearer authentication, rate limiting with `ratelimit-*` headers on every
 * answer, injected faults, then the route. Every error is `{ id, message, request_id }`.
 */
export function createRouter(options: RouterOptions) {
  const compiled = options.routes.map(compile);

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const raw = await readBody(request);
    const latency = options.requestLatencyMs();
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const requestId = randomUUID();
    let headers: Record<string, string> = { 'x-request-id': requestId };
    let operation = `${request.method} ${url.pathname}`;
    const send = (status: number, body: unknown, error?: string) => {
      options.onCall({
        operation,
        path: url.pathname,
        status,
        ...(error ? { error } : {}),
        at: Date.now(),
      });
      if (body === undefined) {
        response.writeHead(status, headers);
        response.end();
        return;
      }
      response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    };
    const fail = (error: DoError) => {
      headers = { ...headers, ...error.headers };
      send(error.status, { id: error.id, message: error.message, request_id: requestId }, error.id);
    };

    const authorization = String(request.headers.authorization ?? '');
    const token = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim() ?? '';
    if (!token || !options.authorize(token)) {
      fail(new DoError(401, 'Unable to authenticate you'));
      return;
    }
    const limit = options.rateLimit(token);
    headers = { ...headers, ...limit.headers };
    if (limit.limited) {
      fail(
        new DoError(429, 'API Rate limit exceeded.', 'too_many_requests', {
          'retry-after': String(limit.retryAfterSeconds),
        }),
      );
      return;
    }
    let params: Record<string, string> = {};
    const match = compiled.find((candidate) => {
      if (candidate.method !== request.method) return false;
      const found = candidate.pattern.exec(url.pathname);
      if (!found) return false;
      params = Object.fromEntries(
        candidate.names.map((name, index) => [name, decodeURIComponent(found[index + 1] ?? '')]),
      );
      return true;
    });
    if (!match) {
      fail(notFound());
      return;
    }
    operation = match.route.operation;
    const injected = options.takeFault(operation);
    if (injected) {
      fail(injected);
      return;
    }
    let body: Json = {};
    if (raw.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error();
        body = parsed as Json;
      } catch {
        fail(new DoError(400, 'unable to parse request body: invalid JSON', 'bad_request'));
        return;
      }
    }
    try {
      const answer = await match.route.handle({ params, query: url.searchParams, body, token });
      send(answer.status, answer.body);
    } catch (error) {
      if (error instanceof DoError) fail(error);
      else fail(new DoError(500, error instanceof Error ? error.message : String(error)));
    }
  };
}
