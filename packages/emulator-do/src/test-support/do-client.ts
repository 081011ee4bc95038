import { createApiClient } from 'dots-wrapper';
import type { DoEmulator } from '../start-do-emulator.js';

/** Wire JSON as tests read it: loosely, member by member, asserting what they read. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary wire bodies
export type Wire = any;

/** A dots-wrapper client on the emulator. */
export function doClient(emulator: DoEmulator, token = emulator.token) {
  return createApiClient({ token, endpoint: emulator.endpoint });
}

/** A raw call, for the endpoints dots-wrapper lacks (rollback) or to read headers. */
export async function rawCall(
  emulator: DoEmulator,
  method: string,
  path: string,
  body?: unknown,
  token = emulator.token,
): Promise<{ status: number; headers: Headers; body: Wire }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** The status and body of a failed dots-wrapper call (an axios error). */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number; data: Wire; headers: Wire }> {
  try {
    await promise;
  } catch (error) {
    const response = (error as { response?: { status: number; data: unknown; headers: unknown } }).response;
    if (response) return { status: response.status, data: response.data, headers: response.headers };
    throw error;
  }
  throw new Error('expected the call to fail');
}

const terminal = ['ACTIVE', 'ERROR', 'CANCELED', 'SUPERSEDED'];

/** Poll a deployment until it leaves its in-progress phases; returns it and every phase seen. */
export async function waitForDeployment(emulator: DoEmulator, appId: string, deploymentId: string) {
  const client = doClient(emulator);
  const phases: string[] = [];
  for (let attempt = 0; attempt < 6000; attempt += 1) {
    let data: Wire;
    try {
      ({ data } = await client.app.getAppDeployment({ app_id: appId, deployment_id: deploymentId }));
    } catch (error) {
      // Over the rate limit: wait as told, as any client must.
      const response = (error as { response?: { status: number; headers: Record<string, string> } }).response;
      if (response?.status !== 429) throw error;
      await new Promise((resolve) =>
        setTimeout(resolve, Number(response.headers['retry-after'] ?? 1) * 1000),
      );
      continue;
    }
    const phase = String(data.deployment.phase);
    if (phases.at(-1) !== phase) phases.push(phase);
    if (terminal.includes(phase)) return { deployment: data.deployment as Wire, phases };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`deployment ${deploymentId} did not finish`);
}
