import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A parsed `Authorization: AWS4-HMAC-SHA256 …` header. */
export interface SigV4Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const pattern =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** Parse the authorization header, or `undefined` when it is not SigV4. */
export function parseAuthorization(header: string): SigV4Authorization | undefined {
  const match = pattern.exec(header.trim());
  if (!match) return undefined;
  const [, accessKeyId = '', date = '', region = '', service = '', signed = '', signature = ''] = match;
  return { accessKeyId, date, region, service, signedHeaders: signed.split(';'), signature };
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [key = '', value = ''] = pair.split('=');
      return [key, value] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/**
 * Whether `authorization.signature` is the SigV4 signature of this request with `secretAccessKey`
 * (the request's own `x-amz-date` and signed headers, the body's SHA-256).
 */
export function signatureMatches(
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: string },
  authorization: SigV4Authorization,
  secretAccessKey: string,
): boolean {
  return signatureOf(request, authorization, secretAccessKey) === authorization.signature;
}

function signatureOf(
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: string },
  authorization: Omit<SigV4Authorization, 'signature'>,
  secretAccessKey: string,
): string {
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const [path = '/', query = ''] = request.url.split('?');
  const canonicalHeaders = authorization.signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = String(request.headers['x-amz-content-sha256'] ?? sha256(request.body));
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery(query),
    canonicalHeaders,
    authorization.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${authorization.date}/${authorization.region}/${authorization.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, authorization.date);
  key = hmac(key, authorization.region);
  key = hmac(key, authorization.service);
  key = hmac(key, 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

/**
 * Sign a POST to `/` as the SDKs do, for raw wire calls (tests, curl-like tools): returns the headers
 * to send, `authorization` and `x-amz-date` included.
 */
export function signedHeaders(options: {
  body: string;
  headers: Record<string, string>;
  host: string;
  region: string;
  service: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  now?: Date;
}): Record<string, string> {
  const amzDate = (options.now ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const headers: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(options.headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
    host: options.host,
    'x-amz-date': amzDate,
  };
  const names = Object.keys(headers).sort();
  const authorization = {
    accessKeyId: options.credentials.accessKeyId,
    date: amzDate.slice(0, 8),
    region: options.region,
    service: options.service,
    signedHeaders: names,
  };
  const signature = signatureOf(
    { method: 'POST', url: '/', headers, body: options.body },
    authorization,
    options.credentials.secretAccessKey,
  );
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${authorization.accessKeyId}/${authorization.date}/${options.region}/${options.service}/aws4_request, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}
