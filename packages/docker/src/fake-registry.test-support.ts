/**
 * A registry in memory for unit tests: the Registry HTTP API v2 manifest endpoints (HEAD, GET, PUT by
 * tag or digest) behind a `fetch` function, with Basic auth or Bearer tokens from
 * `https://auth.example/token`. Records every request.
 */
import { createHash } from 'node:crypto';
import type { FetchFunction } from './registry-auth.js';

/** One request the fake registry (or its token service) received. */
export interface RegistryCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface FakeRegistryOptions {
  scheme: 'basic' | 'bearer';
  username?: string;
  password?: string;
  /** Leave `Docker-Content-Digest` out of manifest responses, as some registries do on HEAD. */
  omitDigestHeader?: boolean;
}

export const dockerManifestType = 'application/vnd.docker.distribution.manifest.v2+json';

/** `sha256:<hex>` of a string. */
export function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

export function fakeRegistry(options: FakeRegistryOptions) {
  const username = options.username ?? 'berth';
  const password = options.password ?? 's3cret-pass';
  const good = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const calls: RegistryCall[] = [];
  const manifests = new Map<string, { body: string; mediaType: string }>();
  const tags = new Map<string, string>();

  /** Store a manifest, as a push through an engine would, and return its digest. */
  const store = (repository: string, tag: string, body: string, mediaType = dockerManifestType) => {
    const digest = digestOf(body);
    manifests.set(`${repository}@${digest}`, { body, mediaType });
    tags.set(`${repository}:${tag}`, digest);
    return digest;
  };

  const fetch: FetchFunction = async (input, init) => {
    const headers = { ...((init?.headers ?? {}) as Record<string, string>) };
    const url = String(input);
    const method = init?.method ?? 'GET';
    const body = init?.body === undefined || init.body === null ? undefined : String(init.body);
    calls.push({ url, method, headers, ...(body !== undefined ? { body } : {}) });

    if (url.startsWith('https://auth.example/token')) {
      const scope = new URL(url).searchParams.get('scope') ?? '';
      return headers.Authorization === good
        ? Response.json({ token: `tok:${scope}` })
        : new Response('denied', { status: 401 });
    }
    const match = /^https?:\/\/[^/]+\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url);
    if (!match?.[1] || !match[2]) return new Response(null, { status: 404 });
    const [, repository, reference] = match;
    const access = method === 'PUT' ? 'pull,push' : 'pull';
    const authorized =
      options.scheme === 'basic'
        ? headers.Authorization === good
        : [
            `Bearer tok:repository:${repository}:${access}`,
            `Bearer tok:repository:${repository}:pull,push`,
          ].includes(headers.Authorization ?? '');
    if (!authorized) {
      const challenge =
        options.scheme === 'basic'
          ? 'Basic realm="Registry Realm"'
          : `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:${repository}:${access}"`;
      return new Response(null, { status: 401, headers: { 'WWW-Authenticate': challenge } });
    }

    if (method === 'PUT') {
      const mediaType = headers['Content-Type'];
      if (!mediaType || body === undefined)
        return Response.json({ errors: [{ code: 'MANIFEST_INVALID' }] }, { status: 400 });
      return new Response(null, {
        status: 201,
        headers: { 'Docker-Content-Digest': store(repository, reference, body, mediaType) },
      });
    }
    const digest = reference.startsWith('sha256:') ? reference : tags.get(`${repository}:${reference}`);
    const manifest = digest ? manifests.get(`${repository}@${digest}`) : undefined;
    if (!digest || !manifest)
      return Response.json({ errors: [{ code: 'MANIFEST_UNKNOWN' }] }, { status: 404 });
    return new Response(method === 'HEAD' ? null : manifest.body, {
      status: 200,
      headers: {
        'Content-Type': manifest.mediaType,
        ...(options.omitDigestHeader ? {} : { 'Docker-Content-Digest': digest }),
      },
    });
  };

  return {
    fetch,
    calls,
    store,
    /** The digest a tag points at, or undefined. */
    tagged: (repository: string, tag: string) => tags.get(`${repository}:${tag}`),
    /** Requests to the registry itself (not its token service). */
    registryCalls: () => calls.filter((call) => call.url.includes('/v2/')),
  };
}
