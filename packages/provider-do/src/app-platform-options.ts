import { ValidationError } from '@berth/core';
import { z } from 'zod';
import type { DoApi } from './do-api.js';

/** `app_spec.region`'s enum in DigitalOcean's OpenAPI specification. */
export const appPlatformRegions = [
  'atl',
  'nyc',
  'sfo',
  'tor',
  'ams',
  'fra',
  'lon',
  'blr',
  'sgp',
  'syd',
] as const;

const registryName = /^[a-z0-9-]{1,63}$/;

/** Options of `appPlatform()`: the single source of truth for validation and docs. */
export const appPlatformOptionsSchema = z.strictObject({
  /** A DigitalOcean API token (read and write scopes on `app` and `registry`, read on `account`). */
  token: z.string().min(1, { message: 'must be a DigitalOcean API token' }),
  /** The API base URL, including `/v2`. Default `https://api.digitalocean.com/v2`; the emulator: `emulator.endpoint`. */
  endpoint: z
    .string()
    .url()
    .refine((url) => /\/v2\/?$/.test(url), { message: 'must end with /v2' })
    .default('https://api.digitalocean.com/v2'),
  /** App Platform region of the app, e.g. `fra`. */
  region: z.enum(appPlatformRegions),
  /** The DigitalOcean Container Registry images are pushed to. */
  registry: z.strictObject({
    /** The account's registry name (`registry.digitalocean.com/<name>`). */
    name: z.string().regex(registryName, { message: 'must be a DOCR name: lowercase letters, digits, -' }),
    /** Create the registry in `preflight` when the account has none. Default false. */
    create: z.boolean().default(false),
    /** Subscription tier of a registry created by `create`. Default `basic`. */
    subscriptionTier: z.enum(['starter', 'basic', 'professional']).default('basic'),
    /** Region of a registry created by `create` (DOCR regions such as `fra1`). Default: DigitalOcean's choice. */
    region: z.string().min(1).optional(),
    /** Push to this host instead of `registry.digitalocean.com` (the emulator's local registry, `127.0.0.1:5000`). */
    host: z.string().min(1).optional(),
  }),
  /** Key (32 bytes, base64) that encrypts `generate` secrets kept in the registry; required for specs with `generate` secrets. */
  secretsKey: z
    .string()
    .refine((key) => Buffer.from(key, 'base64').length === 32, { message: 'must be 32 bytes, base64' })
    .optional(),
  /** How long registry push credentials live, in seconds. Default 3600. */
  credentialExpirySeconds: z.number().int().min(60).max(86_400).default(3_600),
  /** How often a deployment is polled. Default 2 s. */
  pollIntervalMs: z.number().int().min(1).default(2_000),
  /** How long a deployment may take. Default 30 min. */
  deploymentTimeoutMs: z
    .number()
    .int()
    .min(1)
    .default(30 * 60_000),
  /** Timeout of one API request. Default 30 s. */
  requestTimeoutMs: z.number().int().min(1).default(30_000),
  /** Retries of 429s (honouring `retry-after`/`ratelimit-reset`) and 5xx answers, on the run's clock. */
  retry: z
    .strictObject({
      attempts: z.number().int().min(1).max(10).default(5),
      baseDelayMs: z.number().int().min(0).default(500),
      /** The longest wait between two attempts, however long the API asks. Default 60 s. */
      maxDelayMs: z.number().int().min(0).default(60_000),
    })
    .default({ attempts: 5, baseDelayMs: 500, maxDelayMs: 60_000 }),
});

/** Ports a schema cannot describe. */
export interface AppPlatformInjected {
  /** A prebuilt API (tests); default: dots-wrapper's client, loaded on first use. */
  api?: DoApi;
  /** `fetch` of the registry requests (ledger and generated secrets). Default the global one. */
  fetch?: typeof globalThis.fetch;
}

/** The options as written by the caller. */
export type AppPlatformOptions = z.input<typeof appPlatformOptionsSchema> & AppPlatformInjected;
/** Validated options. */
export type ResolvedAppPlatformOptions = z.output<typeof appPlatformOptionsSchema> & AppPlatformInjected;

/** Validate the options; a bad option is a `ValidationError` naming `appPlatform.<option>`, before any I/O. */
export function parseAppPlatformOptions(input: AppPlatformOptions): ResolvedAppPlatformOptions {
  const { api, fetch, ...rest } = input;
  const parsed = appPlatformOptionsSchema.safeParse(rest);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((issue) => ({
        path: `appPlatform.${issue.path.join('.')}`,
        message: issue.message,
        hint: 'Fix this option of appPlatform(); see docs/providers/do.md.',
      })),
    );
  return { ...parsed.data, ...(api ? { api } : {}), ...(fetch ? { fetch } : {}) };
}
