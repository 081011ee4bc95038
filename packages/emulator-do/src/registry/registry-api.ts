import { DoError, notFound } from '../protocol/do-error.js';
import type { Route } from '../protocol/router.js';

/** The local registry DOCR's images live in (Docker Registry HTTP API v2). */
export interface LocalRegistry {
  /** `host:port`, e.g. `127.0.0.1:5000`. */
  host: string;
  username?: string;
  password?: string;
}

/** The account's container registry, as the emulator keeps it. */
export interface RegistryRecord {
  name: string;
  region: string;
  subscriptionTier: string;
  createdAt: number;
}

const namePattern = /^[a-z0-9-]{1,63}$/;
const tiers = ['starter', 'basic', 'professional'];
const registryRegions = ['nyc3', 'sfo3', 'ams3', 'sgp1', 'fra1'];

/** What the registry API needs. */
export interface RegistryApiOptions {
  local: LocalRegistry;
  now(): number;
  /** A registry that exists from the start, e.g. `{ name: 'berth' }`. */
  initial?: { name: string; region?: string };
}

/**
 * DOCR's single-registry API (`/v2/registry`), whose images live in the local registry under
 * `<host>/<registry name>/<repository>`, and its Docker credentials, pointing at the local registry.
 */
export function registryApi(options: RegistryApiOptions) {
  let registry: RegistryRecord | undefined = options.initial
    ? {
        name: options.initial.name,
        region: options.initial.region ?? 'fra1',
        subscriptionTier: 'basic',
        createdAt: options.now(),
      }
    : undefined;

  const view = (record: RegistryRecord) => ({
    name: record.name,
    region: record.region,
    created_at: new Date(record.createdAt).toISOString(),
    storage_usage_bytes: 0,
    storage_usage_bytes_updated_at: new Date(options.now()).toISOString(),
    subscription: {
      tier: {
        slug: record.subscriptionTier,
        name: record.subscriptionTier[0]?.toUpperCase() + record.subscriptionTier.slice(1),
      },
      created_at: new Date(record.createdAt).toISOString(),
      updated_at: new Date(record.createdAt).toISOString(),
    },
  });

  const routes: Route[] = [
    {
      operation: 'GET /v2/registry',
      handle() {
        if (!registry) throw notFound();
        return { status: 200, body: { registry: view(registry) } };
      },
    },
    {
      operation: 'POST /v2/registry',
      handle({ body }) {
        if (typeof body.name !== 'string' || body.name === '')
          throw new DoError(422, 'name is required', 'unprocessable_entity');
        if (!namePattern.test(body.name))
          throw new DoError(422, `name must match ${namePattern.source}`, 'unprocessable_entity');
        if (typeof body.subscription_tier_slug !== 'string' || body.subscription_tier_slug === '')
          throw new DoError(422, 'subscription_tier_slug is required', 'unprocessable_entity');
        if (!tiers.includes(body.subscription_tier_slug))
          throw new DoError(
            422,
            `subscription_tier_slug must be one of ${tiers.join(', ')}`,
            'unprocessable_entity',
          );
        if (body.region !== undefined && !registryRegions.includes(String(body.region)))
          throw new DoError(
            422,
            `region must be one of ${registryRegions.join(', ')}`,
            'unprocessable_entity',
          );
        if (registry) throw new DoError(409, 'a registry already exists for this account', 'conflict');
        registry = {
          name: body.name,
          region: typeof body.region === 'string' ? body.region : 'fra1',
          subscriptionTier: body.subscription_tier_slug,
          createdAt: options.now(),
        };
        return { status: 201, body: { registry: view(registry) } };
      },
    },
    {
      operation: 'DELETE /v2/registry',
      handle() {
        if (!registry) throw notFound();
        registry = undefined;
        return { status: 204 };
      },
    },
    {
      operation: 'GET /v2/registry/docker-credentials',
      handle({ query }) {
        const expiry = query.get('expiry_seconds');
        if (expiry !== null && !/^\d+$/.test(expiry))
          throw new DoError(400, 'expiry_seconds must be a non-negative integer', 'bad_request');
        const auth = Buffer.from(`${options.local.username ?? ''}:${options.local.password ?? ''}`).toString(
          'base64',
        );
        return { status: 200, body: { auths: { [options.local.host]: { auth } } } };
      },
    },
  ];

  return {
    routes,
    /** The account registry's name, if one exists. */
    name: () => registry?.name,
  };
}
