/** Plain HTTP GETs for readiness checks (what the bash version did with curl). */
import { request } from 'node:http';
import { TestEnvError } from './log.ts';

export interface HttpAnswer {
  /** 0 when nothing answered. */
  readonly status: number;
  readonly body: string;
}

export function httpGet(
  url: string,
  options: {
    readonly headers?: Record<string, string>;
    readonly socketPath?: string;
    readonly timeoutMs?: number;
  } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { headers: options.headers, socketPath: options.socketPath, timeout: options.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** Basic authentication header value. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Checks one request; `body` undefined accepts any body. Returns an error message, or undefined. */
export async function httpExpect(
  what: string,
  url: string,
  status: number,
  body?: string,
  headers?: Record<string, string>,
): Promise<string | undefined> {
  const answer = await httpGet(url, { headers });
  if (answer.status === status && (body === undefined || answer.body === body)) return undefined;
  return `check failed: ${what}: GET ${url} -> ${answer.status} '${answer.body}' (expected ${status} '${body ?? '*'}')`;
}

/** Throws when any of the messages is set. */
export function failIfAny(messages: readonly (string | undefined)[], summary: string): void {
  const failures = messages.filter((message): message is string => message !== undefined);
  if (failures.length > 0) throw new TestEnvError(`${summary}:\n    ${failures.join('\n    ')}`);
}
