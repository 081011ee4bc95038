import { createHash } from 'node:crypto';
import { ImageError } from '../errors/index.js';
import type { RegistryCredentials } from '../ports/image-builder.js';
import { registryUnreachableError } from './map-docker-error.js';

/** The `fetch` used for registry requests; injectable for tests. */
export type FetchFunction = typeof globalThis.fetch;

/** Manifest media types a HEAD accepts: Docker v2, OCI, and their multi-platform lists. */
export const manifestMediaTypes = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

/** A parsed `WWW-Authenticate` header. */
export interface AuthChallenge {
  /** Lower-case scheme: `basic` or `bearer` (others are kept as given). */
  scheme: string;
  /** e.g. `realm`, `service`, `scope`. */
  params: Record<string, string>;
}

/** Parse `Basic realm="…"` or `Bearer realm="…",service="…",scope="…"`; `undefined` when empty. */
export function parseAuthChallenge(header: string | null | undefined): AuthChallenge | undefined {
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const params: Record<string, string> = {};
  for (const param of (match[2] ?? '').matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    const [, key, quoted, bare] = param;
    if (key) params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
  }
  return { scheme: match[1].toLowerCase(), params };
}

/** Base URL of a registry's v2 API: http for localhost and 127.0.0.1, https otherwise. */
export function registryBaseUrl(registry: string): string {
  if (/^https?:\/\//.test(registry)) return registry.replace(/\/+$/, '');
  if (registry === 'docker.io' || registry === 'index.docker.io') return 'https://registry-1.docker.io';
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const local = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  return `${local ? 'http' : 'https'}://${registry}`;
}

/** Which manifest to look up, and how. */
export interface ManifestLookup {
  registry: string;
  repository: string;
  /** A tag or a digest. */
  reference: string;
  credentials?: RegistryCredentials;
  fetch?: FetchFunction;
  signal?: AbortSignal;
}

/**
 * The manifest digest of `registry/repository:reference` from a HEAD request (Registry HTTP API v2),
 * answering the registry's Basic or Bearer challenge with the credentials. `undefined` when the
 * manifest does not exist. Throws REGISTRY_AUTH_FAILED when the credentials are refused.
 */
export async function headManifestDigest(lookup: ManifestLookup): Promise<string | undefined> {
  const fetchFunction = lookup.fetch ?? globalThis.fetch;
  const url = `${registryBaseUrl(lookup.registry)}/v2/${lookup.repository}/manifests/${lookup.reference}`;
  const request = async (method: 'HEAD' | 'GET', authorization?: string): Promise<Response> => {
    const headers: Record<string, string> = { Accept: manifestMediaTypes.join(', ') };
    if (authorization) headers.Authorization = authorization;
    try {
      return await fetchFunction(url, { method, headers, signal: lookup.signal ?? null });
    } catch (error) {
      if (lookup.signal?.aborted) throw lookup.signal.reason;
      throw registryUnreachableError(lookup.registry, error);
    }
  };

  let response = await request('HEAD');
  let authorization: string | undefined;
  if (response.status === 401) {
    const challenge = parseAuthChallenge(response.headers.get('www-authenticate'));
    authorization = await answerChallenge(challenge, lookup, fetchFunction);
    response = await request('HEAD', authorization);
  }
  if (response.status === 404) return undefined;
  if (response.status === 401 || response.status === 403) throw registryAuthError(lookup, response.status);
  if (!response.ok) {
    throw new ImageError(
      'IMAGE_PUSH_FAILED',
      `The registry ${lookup.registry} answered HTTP ${response.status}.`,
      {
        retryable: response.status >= 500,
        details: { registry: lookup.registry, repository: lookup.repository, status: response.status },
      },
    );
  }
  const digest = response.headers.get('docker-content-digest');
  if (digest) return digest;
  // Some registries omit the header on HEAD: the digest is the sha256 of the manifest bytes.
  const body = await request('GET', authorization);
  if (!body.ok) return undefined;
  return `sha256:${createHash('sha256')
    .update(Buffer.from(await body.arrayBuffer()))
    .digest('hex')}`;
}

async function answerChallenge(
  challenge: AuthChallenge | undefined,
  lookup: ManifestLookup,
  fetchFunction: FetchFunction,
): Promise<string> {
  const credentials = lookup.credentials;
  const basic =
    credentials && 'username' in credentials
      ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
      : undefined;
  if (challenge?.scheme === 'basic') {
    if (!basic) throw registryAuthError(lookup, 401);
    return basic;
  }
  const realm = challenge?.params.realm;
  if (challenge?.scheme !== 'bearer' || !realm) throw registryAuthError(lookup, 401);
  const scope = challenge.params.scope ?? `repository:${lookup.repository}:pull`;
  const service = challenge.params.service;
  let response: Response;
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
      response = await fetchFunction(realm, { method: 'POST', body: form, signal: lookup.signal ?? null });
    } else {
      const tokenUrl = new URL(realm);
      if (service) tokenUrl.searchParams.set('service', service);
      tokenUrl.searchParams.set('scope', scope);
      response = await fetchFunction(tokenUrl, {
        headers: basic ? { Authorization: basic } : {},
        signal: lookup.signal ?? null,
      });
    }
  } catch (error) {
    if (lookup.signal?.aborted) throw lookup.signal.reason;
    throw registryUnreachableError(realm, error);
  }
  if (!response.ok) throw registryAuthError(lookup, response.status);
  const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw registryAuthError(lookup, response.status);
  return `Bearer ${token}`;
}

function registryAuthError(lookup: ManifestLookup, status: number): ImageError {
  const hint = lookup.credentials
    ? `The registry ${lookup.registry} refused the credentials for ${lookup.repository}; check the username and password or token the provider supplies.`
    : `The registry ${lookup.registry} requires credentials for ${lookup.repository}; the provider's image target must supply them.`;
  return new ImageError(
    'REGISTRY_AUTH_FAILED',
    `Registry authentication failed for ${lookup.registry}/${lookup.repository}.`,
    {
      hint,
      details: { registry: lookup.registry, repository: lookup.repository, status },
    },
  );
}
