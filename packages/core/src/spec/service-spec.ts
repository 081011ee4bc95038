import type { z as Zod } from 'zod';
import { lazySchema, loadZod } from './lazy-schema.js';
import type { JsonValue } from './spec-types.js';

export { serviceNameOf } from './service-name.js';
export type * from './spec-types.js';

/**
 * Build every schema of the spec with `z`. Called once, on first use, so that importing
 * `@berth/core` does not load zod (about a third of its import time).
 */
function buildSchemas(z: typeof Zod) {
  const dnsLabel = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
  const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

  const envVarName = z.string().regex(envName, {
    message: 'must be a valid environment variable name (letters, digits, _; not starting with a digit)',
  });

  const jsonValue: Zod.ZodType<JsonValue> = z.lazy(() =>
    z.union([
      z.string(),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(jsonValue),
      z.record(z.string(), jsonValue),
    ]),
  );

  /** Build the image from a folder with a Dockerfile. */
  const buildImageSchema = z.strictObject({
    build: z.strictObject({
      /** Folder sent to the builder as the build context. */
      context: z.string().min(1, { message: 'must name the build context folder' }),
      /** Dockerfile path, relative to `context`. Default `Dockerfile`. */
      dockerfile: z.string().min(1).optional(),
      /** Build arguments (`ARG`). Not secret: they end up in the image history. */
      args: z.record(z.string(), z.string()).optional(),
      /** Target platform, e.g. `linux/amd64`. */
      platform: z.string().optional(),
    }),
  });

  /** Deploy an existing image by reference; a digest reference (`repo@sha256:…`) is pinned as is. */
  const refImageSchema = z.strictObject({
    ref: z
      .string()
      .min(1, { message: 'must be an image reference such as registry/repo:tag or repo@sha256:…' }),
  });

  /** Where a secret's value comes from. Values are never written to state, events or logs. */
  const secretSourceSchema = z.union([
    /** Generated once, then kept in the provider's secret store and reused on every deploy. */
    z.strictObject({ generate: z.enum(['api-key', 'rsa-private-key']) }),
    /** A literal value. */
    z.strictObject({ value: z.string().min(1, { message: 'must not be empty' }) }),
    /** Read from an environment variable of the deploying process. */
    z.strictObject({ fromEnv: envVarName }),
    /** Read from a file (trailing newline kept). */
    z.strictObject({ fromFile: z.string().min(1) }),
  ]);

  /** A request header a health check sends; the value may come from one of the service's secrets. */
  const headerValueSchema = z.union([z.string(), z.strictObject({ secret: envVarName })]);

  /** One HTTP check the health verifier runs against the service URL. */
  const healthCheckSchema = z.strictObject({
    /** A name for reports; defaults to the path. */
    name: z.string().optional(),
    /** Path on the service, starting with `/`. */
    path: z.string().startsWith('/', { message: 'must start with /' }),
    method: z.enum(['GET', 'HEAD']).default('GET'),
    /** Accepted status codes. Default 200. */
    expectStatus: z
      .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)])
      .default(200),
    /** The body must contain this text. */
    bodyContains: z.string().optional(),
    /** The body must be JSON and contain these fields with these values (a subset match). */
    json: z.record(z.string(), jsonValue).optional(),
    /** Request headers, e.g. `{ 'X-API-Key': { secret: 'SUPERVAIZER_API_KEY' } }`. */
    headers: z.record(z.string(), headerValueSchema).optional(),
  });

  /** How Berth decides the service is healthy. */
  const healthSchema = z.strictObject({
    /** The primary health path. Default `/.well-known/health`. */
    path: z.string().startsWith('/', { message: 'must start with /' }).default('/.well-known/health'),
    /** Request headers of the primary path, e.g. `{ 'X-API-Key': { secret: 'API_KEY' } }`. */
    headers: z.record(z.string(), headerValueSchema).optional(),
    /** Extra checks; every one must pass in a round. The primary path is always checked first. */
    checks: z.array(healthCheckSchema).default([]),
    /** Give up after this long. Default 120 s. */
    timeoutMs: z.number().int().positive().default(120_000),
    /**
     * First wait between rounds, and the wait after a passing round; grows ×1.5 after each failed
     * round. Default 25 ms. See docs/concepts.md#health for the whole schedule.
     */
    intervalMs: z.number().int().positive().default(25),
    /** Upper bound of the backoff after answered failures. Default the larger of 1 s and `intervalMs`. */
    maxIntervalMs: z.number().int().positive().optional(),
    /** Consecutive passing rounds required. Default 1. */
    successThreshold: z.number().int().min(1).default(1),
    /** Timeout of one HTTP attempt. Default 5 s. */
    attemptTimeoutMs: z.number().int().positive().default(5_000),
  });

  /** CPU, memory and scaling. Providers map these to their own units. */
  const resourcesSchema = z.strictObject({
    /** vCPUs, e.g. 1 or 0.5. */
    cpu: z.number().positive().optional(),
    /** Memory, e.g. `512Mi` or `1Gi`. */
    memory: z
      .string()
      .regex(/^\d+(Mi|Gi)$/, { message: 'must be a size such as 512Mi or 1Gi' })
      .optional(),
    minInstances: z.number().int().min(0).optional(),
    maxInstances: z.number().int().min(1).optional(),
    /** Requests one instance serves at once. */
    concurrency: z.number().int().min(1).optional(),
  });

  /** The service spec: everything Berth needs to deploy one service to one environment. */
  const serviceSpecSchema = z.strictObject({
    /** Base name; the deployed service is `${name}-${environment}`. Lowercase letters, digits and `-`. */
    name: z
      .string()
      .regex(dnsLabel, { message: 'must be lowercase letters, digits and -, starting with a letter' })
      .max(49),
    /** `dev`, `staging`, `prod`, or another lowercase label. Default `dev`. */
    environment: z
      .string()
      .regex(dnsLabel, { message: 'must be lowercase letters, digits and -, starting with a letter' })
      .max(14)
      .default('dev'),
    image: z.union([buildImageSchema, refImageSchema]),
    /** The port the container listens on. Default 8000. */
    port: z.number().int().min(1).max(65535).default(8000),
    /** Plain environment variables. */
    env: z.record(envVarName, z.string()).default({}),
    /** Secret environment variables, stored in the provider's secret store. */
    secrets: z.record(envVarName, secretSourceSchema).default({}),
    health: healthSchema.default(() => healthSchema.parse({})),
    /** Environment variable that receives the service's public URL once it is known. */
    publicUrlEnv: envVarName.optional(),
    /** `auto` restores the last verified revision when verification fails; `never` keeps the failed one. */
    rollback: z.enum(['auto', 'never']).default('auto'),
    resources: resourcesSchema.optional(),
    /** Whether the service is reachable without authentication. Default true. */
    public: z.boolean().default(true),
  });
  return {
    buildImageSchema,
    refImageSchema,
    secretSourceSchema,
    headerValueSchema,
    healthCheckSchema,
    healthSchema,
    resourcesSchema,
    serviceSpecSchema,
  };
}

type SpecSchemas = ReturnType<typeof buildSchemas>;
let schemas: SpecSchemas | undefined;
function specSchemas(): SpecSchemas {
  schemas ??= buildSchemas(loadZod());
  return schemas;
}

/** Build the image from a folder with a Dockerfile. */
export const buildImageSchema: SpecSchemas['buildImageSchema'] = lazySchema(
  () => specSchemas().buildImageSchema,
);
/** Deploy an existing image by reference; a digest reference (`repo@sha256:…`) is pinned as is. */
export const refImageSchema: SpecSchemas['refImageSchema'] = lazySchema(() => specSchemas().refImageSchema);
/** Where a secret's value comes from. Values are never written to state, events or logs. */
export const secretSourceSchema: SpecSchemas['secretSourceSchema'] = lazySchema(
  () => specSchemas().secretSourceSchema,
);
/** A request header a health check sends; the value may come from one of the service's secrets. */
export const headerValueSchema: SpecSchemas['headerValueSchema'] = lazySchema(
  () => specSchemas().headerValueSchema,
);
/** One HTTP check the health verifier runs against the service URL. */
export const healthCheckSchema: SpecSchemas['healthCheckSchema'] = lazySchema(
  () => specSchemas().healthCheckSchema,
);
/** How Berth decides the service is healthy. */
export const healthSchema: SpecSchemas['healthSchema'] = lazySchema(() => specSchemas().healthSchema);
/** CPU, memory and scaling. Providers map these to their own units. */
export const resourcesSchema: SpecSchemas['resourcesSchema'] = lazySchema(
  () => specSchemas().resourcesSchema,
);
/** The service spec: everything Berth needs to deploy one service to one environment. */
export const serviceSpecSchema: SpecSchemas['serviceSpecSchema'] = lazySchema(
  () => specSchemas().serviceSpecSchema,
);
