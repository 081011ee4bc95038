import {
  type ImageTarget,
  type PreflightCheck,
  type ProviderContext,
  ProviderError,
  type ServiceTarget,
} from '@berth/core';
import type { ResolvedAppPlatformOptions } from './app-platform-options.js';
import type { DoApi } from './do-api.js';
import { mapDoError, statusOf } from './map-do-error.js';

/** DOCR's public host. */
export const docrHost = 'registry.digitalocean.com';

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
}

/** The login of a Docker config JSON for `host` (or its only entry). Pure. */
export function loginOf(
  config: DockerConfig,
  host: string,
): { username: string; password: string } | undefined {
  const auths = config.auths ?? {};
  const entry = auths[host] ?? auths[docrHost] ?? Object.values(auths)[0];
  if (!entry) return undefined;
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : undefined;
}

type Call = <T>(
  context: ProviderContext,
  action: string,
  operation: (api: DoApi) => Promise<T>,
) => Promise<T>;

/** DigitalOcean Container Registry: push credentials, the image target, and the registry's existence. */
export function docrRegistry(options: ResolvedAppPlatformOptions, call: Call) {
  const pushHost = options.registry.host ?? docrHost;
  let cached: { login: { username: string; password: string }; until: number } | undefined;

  /** Read-write Docker credentials (`GET /v2/registry/docker-credentials`), reused until shortly before they expire. */
  async function credentials(context: ProviderContext) {
    const now = context.clock.now();
    if (cached && cached.until > now) return cached.login;
    const { data } = await call(
      context,
      'get registry credentials (GET /v2/registry/docker-credentials)',
      (api) =>
        api.client.containerRegistry.getDockerCredentials({
          can_write: true,
          expiry_seconds: options.credentialExpirySeconds,
        }),
    );
    const login = loginOf(data as DockerConfig, pushHost);
    if (!login)
      throw new ProviderError(
        'PROVIDER_UNAVAILABLE',
        `The registry's Docker credentials have no login for ${pushHost}`,
        {
          retryable: true,
          hint: 'Run again; if it persists, check that registry.host is the host the account pushes to.',
        },
      );
    context.redact?.(login.password);
    cached = { login, until: now + Math.max(0, options.credentialExpirySeconds - 60) * 1000 };
    return login;
  }

  return {
    host: pushHost,
    name: options.registry.name,
    credentials,

    /** `<host>/<registry>/<service>`, with read-write credentials. */
    async imageTarget(context: ProviderContext, target: ServiceTarget): Promise<ImageTarget> {
      return {
        registry: pushHost,
        repository: `${options.registry.name}/${target.service}`,
        credentials: await credentials(context),
        platform: 'linux/amd64',
      };
    },

    /** The registry exists and is the configured one; created (with its tier) when `create` is set. */
    async check(context: ProviderContext): Promise<PreflightCheck> {
      const name = options.registry.name;
      try {
        const { data } = await call(context, 'get the container registry (GET /v2/registry)', (api) =>
          api.client.containerRegistry.getRegistry(),
        );
        const actual = (data as { registry?: { name?: string } }).registry?.name;
        if (actual !== name)
          return {
            name: 'registry',
            ok: false,
            message: `the account's container registry is "${actual}", not "${name}"`,
            hint: `Set registry.name to "${actual}" (an account has one registry).`,
          };
        return { name: 'registry', ok: true, message: `${docrHost}/${name}` };
      } catch (error) {
        if ((error as { code?: string }).code !== 'PROVIDER_NOT_FOUND' && statusOf(error) !== 404) {
          const mapped = mapDoError(error, 'get the container registry');
          return { name: 'registry', ok: false, message: mapped.message, hint: mapped.hint };
        }
      }
      if (!options.registry.create)
        return {
          name: 'registry',
          ok: false,
          message: 'the account has no container registry',
          hint: `Create the registry "${name}" (control panel → Container Registry), or set registry.create: true.`,
        };
      try {
        await call(context, 'create the container registry (POST /v2/registry)', (api) =>
          api.raw.createRegistry({
            name,
            subscription_tier_slug: options.registry.subscriptionTier,
            ...(options.registry.region ? { region: options.registry.region } : {}),
          }),
        );
        return {
          name: 'registry',
          ok: true,
          message: `created ${docrHost}/${name} (${options.registry.subscriptionTier})`,
        };
      } catch (error) {
        const mapped = mapDoError(error, 'create the container registry');
        return { name: 'registry', ok: false, message: mapped.message, hint: mapped.hint };
      }
    },
  };
}

/** The DOCR part of the provider. */
export type DocrRegistry = ReturnType<typeof docrRegistry>;
