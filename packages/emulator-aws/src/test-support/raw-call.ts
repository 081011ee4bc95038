import type { AwsEmulator } from '../index.js';
import { signedHeaders } from '../protocol/sigv4.js';

/** POST one signed awsJson call to the emulator with `fetch`, to look at the wire itself. */
export async function rawCall(
  emulator: AwsEmulator,
  call: { target: string; body: unknown; service: string; jsonVersion: '1.0' | '1.1'; region?: string },
): Promise<Response> {
  const body = JSON.stringify(call.body);
  const headers = signedHeaders({
    body,
    headers: { 'content-type': `application/x-amz-json-${call.jsonVersion}`, 'x-amz-target': call.target },
    host: new URL(emulator.url).host,
    region: call.region ?? emulator.region,
    service: call.service,
    credentials: emulator.clientConfig.credentials,
  });
  return fetch(emulator.url, { method: 'POST', headers, body });
}
