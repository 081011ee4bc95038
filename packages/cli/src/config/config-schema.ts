/**
 * The schema of `berth.config.{ts,json,yaml}`: the single source of truth for validation, for the
 * types of `defineConfig` and for the config reference in docs/cli.md (see `config-docs.ts`).
 * Every field carries a doc comment (for editors) and a `.describe()` text (for the docs table).
 */
import type { Hook, Provider } from '@berth/core';
import { resourcesSchema, serviceSpecSchema } from '@berth/core/schemas';
import { z } from 'zod';
import { stateKindNames } from './state-kinds.js';
import { targetKindNames } from './target-kinds.js';

const dnsLabel = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  message: 'must be a valid environment variable name (letters, digits, _; not starting with a digit)',
});

/** Schemas the docs table lists as one row, without walking into them (their fields are documented in docs/concepts.md). */
export const documentedElsewhere = new WeakSet<z.ZodType>();
function elsewhere<T extends z.ZodType>(schema: T): T {
  documentedElsewhere.add(schema);
  return schema;
}

/**
 * A secret or credential by reference: the value is read when a command runs, never written in the
 * config file, so the file can be committed.
 */
export const secretReferenceSchema = z.union([
  /** Read from an environment variable of the `berth` process. */
  z.strictObject({ fromEnv: envVarName.describe('Environment variable that holds the value.') }),
  /** Read from a file (relative paths are relative to the config file). */
  z.strictObject({ fromFile: z.string().min(1).describe('File that holds the value.') }),
]);

/** A service secret: a reference, or a value Berth generates once and keeps in the target's secret store. */
export const configSecretSchema = elsewhere(
  z.union([
    /** Generated on the first deploy, then reused. */
    z.strictObject({ generate: z.enum(['api-key', 'rsa-private-key']) }),
    ...secretReferenceSchema.options,
  ]),
);

const specShape = serviceSpecSchema.shape;

/** The service spec as written in a config file: `name` and `environment` come from the service key and `--env`. */
export const configSpecSchema = z
  .strictObject({
    /** Base name of the deployed service; default the service's key in `services`. */
    name: specShape.name
      .optional()
      .describe('Base name of the deployed service; default: the key in `services`.'),
    /** `{ build: { context, dockerfile, args, platform } }` or `{ ref }`; a relative `context` is relative to the config file. */
    image: elsewhere(
      specShape.image.describe(
        '`{ build: { context, dockerfile?, args?, platform? } }` or `{ ref }`; a relative `context` is relative to the config file.',
      ),
    ),
    /** The port the container listens on. */
    port: specShape.port.describe('The port the container listens on. Default 8000.'),
    /** Plain environment variables. */
    env: specShape.env.describe('Plain environment variables (`NAME: value`).'),
    /** Secret environment variables, by reference only. */
    secrets: z
      .record(envVarName, configSecretSchema)
      .default({})
      .describe(
        'Secret environment variables: `{ generate: "api-key" | "rsa-private-key" }`, `{ fromEnv }` or `{ fromFile }` (never a literal value).',
      ),
    /** Health checks, timeouts and thresholds. */
    health: elsewhere(
      specShape.health.describe('Health path, extra checks and timeouts (docs/concepts.md#health).'),
    ),
    /** Environment variable that receives the public URL. */
    publicUrlEnv: specShape.publicUrlEnv.describe('Environment variable that receives the service URL.'),
    /** `auto` or `never`. */
    rollback: specShape.rollback.describe(
      '`auto`: restore the last verified revision when verification fails; `never`: keep the failed one.',
    ),
    /** CPU, memory and scaling. */
    resources: elsewhere(
      specShape.resources.describe('`{ cpu, memory, minInstances, maxInstances, concurrency }`.'),
    ),
    /** Reachable without authentication. */
    public: specShape.public.describe(
      'Whether the service is reachable without authentication. Default true.',
    ),
  })
  .describe('The service spec (docs/concepts.md#the-service-spec) without `environment`.');

const providerObject = z.custom<Provider>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    (value as { specificationVersion?: unknown }).specificationVersion === 'v1',
  { message: 'must be a provider object (e.g. localDocker()) with specificationVersion "v1"' },
);

const hookObject = z.custom<Hook>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    typeof (value as { run?: unknown }).run === 'function',
  { message: 'must be a hook object { name, before? | after?, run() } (hooks need berth.config.ts)' },
);

/** A deploy target: a kind from the registry with its options, or (berth.config.ts) a provider object. */
export const targetSchema = z
  .strictObject({
    /** One of the target kinds (docs/cli.md#target-kinds). */
    kind: z
      .enum(targetKindNames)
      .optional()
      .describe(`Target kind: ${targetKindNames.map((name) => `\`${name}\``).join(', ')}.`),
    /** The provider's options; credentials only as `{ fromEnv }` / `{ fromFile }`. */
    options: elsewhere(
      z
        .record(z.string(), z.unknown())
        .default({})
        .describe(
          "The provider factory's options (docs/providers/); credentials only as `{ fromEnv }` / `{ fromFile }`.",
        ),
    ),
    /** A provider object, e.g. `localDocker({ hostPort: 8080 })` or a third-party provider. */
    provider: providerObject
      .optional()
      .describe(
        'berth.config.ts only, instead of `kind`: a provider object, e.g. `localDocker()` or a plugin.',
      ),
  })
  .superRefine((target, context) => {
    if ((target.kind === undefined) === (target.provider === undefined))
      context.addIssue({
        code: 'custom',
        path: ['kind'],
        message: 'give exactly one of kind or provider',
        params: {
          hint: `Give kind (${targetKindNames.join(', ')}) with options, or in berth.config.ts provider: localDocker().`,
        },
      });
  })
  .describe('A deploy target: `{ kind, options }`, or `{ provider }` in berth.config.ts.');

/** What an environment changes in a service. */
export const environmentOverrideSchema = z
  .strictObject({
    /** Deploy this environment to another target. */
    target: z.string().min(1).optional().describe('Name of the target this environment deploys to.'),
    /** Replaces fields of the service's `resources`. */
    resources: elsewhere(resourcesSchema.optional().describe("Fields replacing the service's `resources`.")),
    /** Merged over the service's `env`. */
    env: z.record(envVarName, z.string()).optional().describe("Merged over the service's `env`."),
    /** Merged over the service's `secrets`. */
    secrets: z
      .record(envVarName, configSecretSchema)
      .optional()
      .describe("Merged over the service's `secrets`."),
    /** Replaces the service's `public`. */
    public: z.boolean().optional().describe("Replaces the service's `public`."),
    /** Replaces the service's `rollback`. */
    rollback: z.enum(['auto', 'never']).optional().describe("Replaces the service's `rollback`."),
  })
  .describe('What this environment changes in the service.');

/** One service of the config. */
export const serviceSchema = z
  .strictObject({
    /** Name of a target in `targets`; default `defaults.target`. */
    target: z
      .string()
      .min(1)
      .optional()
      .describe('Name of a target in `targets`. Default: `defaults.target`.'),
    /** Services deployed (and verified) before this one. */
    dependsOn: z
      .array(z.string().min(1))
      .default([])
      .describe('Services deployed before this one; a failed dependency stops this one.'),
    /** The service spec. */
    spec: configSpecSchema,
    /** Per-environment overrides, e.g. `{ prod: { resources: { memory: '1Gi' }, env: { LOG: 'warn' } } }`. */
    environments: z
      .record(
        z.string().regex(dnsLabel, { message: 'must be a lowercase environment label such as prod' }),
        environmentOverrideSchema,
      )
      .default({})
      .describe('Per-environment overrides, keyed by environment (`prod`, `staging`…).'),
    /** berth.config.ts only: hooks run before or after phases of this service. */
    hooks: z
      .array(hookObject)
      .default([])
      .describe('berth.config.ts only: hooks (`{ name, before?, after?, run }`) of this service.'),
  })
  .describe('One service: its spec, target, dependencies and per-environment overrides.');

/** Where state and history are kept. */
export const stateSchema = z.strictObject({
  /** One of the state-store kinds (docs/cli.md#state-store-kinds). */
  kind: z
    .enum(stateKindNames)
    .default('file')
    .describe(
      `State-store kind: ${stateKindNames.map((name) => `\`${name}\``).join(', ')}. Default \`file\`.`,
    ),
  /** The store's options; credentials only as `{ fromEnv }` / `{ fromFile }`. */
  options: elsewhere(
    z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        'The store\'s options, e.g. `{ dir: ".deployment" }` for `file` (relative to the config file).',
      ),
  ),
});

/** The whole config file. */
export const berthConfigSchema = z.strictObject({
  /** Where state and history are kept. Default: the file store in `.deployment/` beside the config. */
  state: stateSchema
    .default({ kind: 'file', options: {} })
    .describe('Where state and history are kept. Default: files in `.deployment/` beside the config.'),
  /** Named deploy targets. */
  targets: z
    .record(
      z.string().regex(dnsLabel, { message: 'must be a lowercase name such as local or gcp' }),
      targetSchema,
    )
    .default({})
    .describe('Named deploy targets. A `local` target (`local-docker`) exists unless you define one.'),
  /** Defaults for every service and command. */
  defaults: z
    .strictObject({
      /** Environment when `--env` is not given. */
      environment: z
        .string()
        .regex(dnsLabel, { message: 'must be a lowercase label such as dev' })
        .default('dev')
        .describe('Environment when `--env` is not given. Default `dev`.'),
      /** Target of services that name none. */
      target: z
        .string()
        .min(1)
        .default('local')
        .describe('Target of services that name none. Default `local`.'),
      /** Services deployed at once when they do not depend on each other. */
      concurrency: z
        .number()
        .int()
        .min(1)
        .max(16)
        .default(2)
        .describe('Independent services deployed at once (1–16). Default 2.'),
    })
    .default({ environment: 'dev', target: 'local', concurrency: 2 })
    .describe('Defaults for every service and command.'),
  /** The services, keyed by name. */
  services: z
    .record(z.string().regex(dnsLabel, { message: 'must be a lowercase name such as api' }), serviceSchema)
    .refine((services) => Object.keys(services).length > 0, { message: 'must name at least one service' })
    .describe('The services, keyed by name (lowercase letters, digits and `-`).'),
  /** berth.config.ts only: hooks of every service. */
  hooks: z.array(hookObject).default([]).describe('berth.config.ts only: hooks run for every service.'),
});

/** The config as written in a file. */
export type BerthConfigInput = z.input<typeof berthConfigSchema>;
/** The config after validation, with defaults filled in. */
export type BerthConfig = z.output<typeof berthConfigSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type SecretReference = z.output<typeof secretReferenceSchema>;
