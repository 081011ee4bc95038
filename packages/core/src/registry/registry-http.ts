/**
 * Pure helpers for the Registry HTTP API v2 (OCI Distribution), shared by the image pipeline
 * (`@berth/docker`) and providers that keep documents in a registry (`@berth/provider-do`), so a
 * provider that talks to a registry needs no Docker client.
 */

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
