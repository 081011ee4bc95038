import type { RegistryCredentials } from '@berth/core';
import { ImageError } from '@berth/core';
import { type AuthChallenge, parseAuthChallenge } from '@berth/core/plugin-kit';
import { registryUnreachableError } from './map-docker-error.js';
import { type RegistryFetch, type RegistryResponse, registryFetch } from './registry-fetch.js';

export { type AuthChallenge, parseAuthChallenge };

/** A `fetch` for registry requests (tests inject one); by default Berth's own (`registry-fetch.ts`). */
export type FetchFunction = typeof globalThis.fetch;

/**
 * The challenge each registry host answered with before, by host (e.g. `127.0.0.1:5000`). Shared by
 * the requests of one image builder, so only its first request to a registry is sent without
 * credentials: later requests to a `Basic` registry carry them from the start, and requests to a
 * `Bearer` registry fetch their token from the remembered realm before asking.
 */
export type RegistryChallenges = Map<string, AuthChallenge>;

/** Who asks a registry, and how. */
export interface RegistryClientOptions {
  registry: string;
  repository: string;
  credentials?: RegistryCredentials;
  fetch?: RegistryFetch;
  signal?: AbortSignal;
  /** Challenges remembered across requests; without it every request starts unauthenticated. */
  challenges?: RegistryChallenges;
}

/**
 * Send one Registry HTTP API v2 request for `client.repository`, authenticated the way the registry
 * asks: a `401` challenge is answered once (`Basic` with the username and password, `Bearer` with a
 * token from the realm for `access` on the repository) and the request sent again. With a remembered
 * challenge for the host, the credentials (or token) go with the first request. Resolves the last
 * response, whatever its status; throws only when the registry or its token service is unreachable,
 * or REGISTRY_AUTH_FAILED when the credentials cannot answer the challenge.
 */
export async function sendRegistryRequest(
  client: RegistryClientOptions,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: Buffer },
  access: 'pull' | 'pull,push',
): Promise<RegistryResponse> {
  const fetchFunction = client.fetch ?? registryFetch;
  const send = async (authorization: string | undefined): Promise<RegistryResponse> => {
    const headers = { ...init.headers, ...(authorization ? { Authorization: authorization } : {}) };
    try {
      return await fetchFunction(url, {
        method: init.method,
        headers,
        ...(init.body ? { body: init.body } : {}),
        signal: client.signal ?? null,
      });
    } catch (error) {
      if (client.signal?.aborted) throw client.signal.reason;
      throw registryUnreachableError(client.registry, error);
    }
  };
  const scope = `repository:${client.repository}:${access}`;
  const known = client.challenges?.get(client.registry);
  const early = known ? await answerChallenge(known, client, scope).catch(() => undefined) : undefined;
  const response = await send(early);
  if (response.status !== 401) return response;
  const challenge = parseAuthChallenge(response.headers.get('www-authenticate'));
  if (challenge && (challenge.scheme === 'basic' || challenge.scheme === 'bearer'))
    client.challenges?.set(client.registry, challenge);
  // Basic credentials that were already sent and refused would only be refused again.
  if (early && known?.scheme === 'basic' && challenge?.scheme === 'basic') return response;
  await response.body?.cancel();
  return send(await answerChallenge(challenge, client, challenge?.params.scope ?? scope));
}

/** The `Authorization` header that answers the challenge; REGISTRY_AUTH_FAILED when none can. */
async function answerChallenge(
  challenge: AuthChallenge | undefined,
  client: RegistryClientOptions,
  scope: string,
): Promise<string> {
  const credentials = client.credentials;
  const basic =
    credentials && 'username' in credentials
      ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
      : undefined;
  if (challenge?.scheme === 'basic') {
    if (!basic) throw registryAuthError(client, 401);
    return basic;
  }
  const realm = challenge?.params.realm;
  if (challenge?.scheme !== 'bearer' || !realm) throw registryAuthError(client, 401);
  const service = challenge.params.service;
  const fetchFunction = client.fetch ?? registryFetch;
  let response: RegistryResponse;
  try {
    if (credentials && 'identityToken' in credentials) {
      // OAuth2 refresh-token grant, as the Docker CLI does with identity tokens.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credentials.identityToken,
        client_id: 'berth',
        scope,
        ...(service ? { service } : {}),
      });
      response = await fetchFunction(realm, { method: 'POST', body: form, signal: client.signal ?? null });
    } else {
      const tokenUrl = new URL(realm);
      if (service) tokenUrl.searchParams.set('service', service);
      tokenUrl.searchParams.set('scope', scope);
      response = await fetchFunction(tokenUrl, {
        headers: basic ? { Authorization: basic } : {},
        signal: client.signal ?? null,
      });
    }
  } catch (error) {
    if (client.signal?.aborted) throw client.signal.reason;
    throw registryUnreachableError(realm, error);
  }
  if (!response.ok) throw registryAuthError(client, response.status);
  const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw registryAuthError(client, response.status);
  return `Bearer ${token}`;
}

/** REGISTRY_AUTH_FAILED for the repository, with the next step; never the credentials. */
export function registryAuthError(
  client: Pick<RegistryClientOptions, 'registry' | 'repository' | 'credentials'>,
  status: number,
): ImageError {
  const hint = client.credentials
    ? `The registry ${client.registry} refused the credentials for ${client.repository}; check the username and password or token the provider supplies.`
    : `The registry ${client.registry} requires credentials for ${client.repository}; the provider's image target must supply them.`;
  return new ImageError(
    'REGISTRY_AUTH_FAILED',
    `Registry authentication failed for ${client.registry}/${client.repository}.`,
    {
      hint,
      details: { registry: client.registry, repository: client.repository, status },
    },
  );
}
