import type { AppRunnerClientConfig } from '@aws-sdk/client-apprunner';
import { z } from 'zod';
import type { AwsClients } from './aws-clients.js';

const region = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const roleArn = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const repositoryPrefix = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const secretPrefix = /^[A-Za-z0-9_+=.@-]+(?:\/[A-Za-z0-9_+=.@-]+)*$/;

/** An IAM role ARN, e.g. `arn:aws:iam::123456789012:role/AppRunnerECRAccessRole`. */
export const roleArnSchema = z.string().regex(roleArn, { message: 'must be an IAM role ARN' });

/** Options shared by `appRunner()` and `ecsExpress()`: ECR, Secrets Manager, clients, retries. */
export const awsSharedOptionsSchema = z.object({
  /** AWS region, e.g. `eu-west-1`. */
  region: z.string().regex(region, { message: 'must be an AWS region such as eu-west-1' }),
  /** One endpoint for every API (the emulator: `emulator.url`). Default: AWS's regional endpoints. */
  endpoint: z.string().url().optional(),
  /** ECR repository of a service: `<repositoryPrefix>/<service>`. Default `berth`. */
  repositoryPrefix: z
    .string()
    .regex(repositoryPrefix, { message: 'must be a lowercase ECR name' })
    .default('berth'),
  /** Secrets are named `<secretPrefix>/<service>/<KEY>`. Default `berth`. */
  secretPrefix: z
    .string()
    .regex(secretPrefix, { message: 'must be a Secrets Manager name' })
    .default('berth'),
  /** Tags put on the service, its repository and its secrets (besides `managed-by=berth`). */
  tags: z.record(z.string(), z.string()).default({}),
  /** Where images are pushed. Default: the ECR `proxyEndpoint` from `GetAuthorizationToken`. */
  registry: z
    .strictObject({
      /** Push to this registry host instead (e.g. the emulator's local registry, `127.0.0.1:5000`). */
      host: z.string().min(1).optional(),
    })
    .default({}),
  /** What `down` does with the service's secrets. */
  secretDeletion: z
    .strictObject({
      /** Days Secrets Manager keeps a deleted secret restorable (7–30). Default 7. */
      recoveryWindowInDays: z.number().int().min(7).max(30).default(7),
      /** Delete at once, without recovery. Default false. */
      forceDelete: z.boolean().default(false),
    })
    .default({ recoveryWindowInDays: 7, forceDelete: false }),
  /** `https` (default): the service URL is `https://<host>`. The emulator serves `http`. */
  urlScheme: z.enum(['https', 'http']).default('https'),
  /** How often an operation or deployment is polled. Default 2 s. */
  pollIntervalMs: z.number().int().min(1).default(2_000),
  /** How long an operation or deployment may take. Default 30 min. */
  operationTimeoutMs: z
    .number()
    .int()
    .min(1)
    .default(30 * 60_000),
  /** Retries of throttling and transient errors, with backoff on the run's clock. */
  retry: z
    .strictObject({
      attempts: z.number().int().min(1).max(10).default(5),
      baseDelayMs: z.number().int().min(0).default(500),
    })
    .default({ attempts: 5, baseDelayMs: 500 }),
});

/** Ports a schema cannot describe: injected credentials and prebuilt clients. */
export interface AwsInjected {
  /** Credentials; default the SDK's default provider chain (env, profile, SSO, instance role…). */
  credentials?: AppRunnerClientConfig['credentials'];
  /** Prebuilt SDK clients (tests, custom middleware). */
  clients?: Partial<AwsClients>;
}

/**
 * The options `appRunner()` and `ecsExpress()` share, as written by the caller (defaults may be left
 * out). Written out so that the package's types do not expose zod's; `aws-options.check.ts` proves they
 * match the schemas.
 */
export interface AwsSharedOptionsInput extends AwsInjected {
  /** AWS region, e.g. `eu-west-1`. */
  region: string;
  /** One endpoint for every API (the emulator: `emulator.url`). Default: AWS's regional endpoints. */
  endpoint?: string | undefined;
  /** ECR repository of a service: `<repositoryPrefix>/<service>`. Default `berth`. */
  repositoryPrefix?: string | undefined;
  /** Secrets are named `<secretPrefix>/<service>/<KEY>`. Default `berth`. */
  secretPrefix?: string | undefined;
  /** Tags put on the service, its repository and its secrets (besides `managed-by=berth`). */
  tags?: Record<string, string> | undefined;
  /** Where images are pushed. Default: the ECR `proxyEndpoint` from `GetAuthorizationToken`. */
  registry?:
    | {
        /** Push to this registry host instead (e.g. the emulator's local registry, `127.0.0.1:5000`). */
        host?: string | undefined;
      }
    | undefined;
  /** What `down` does with the service's secrets. */
  secretDeletion?:
    | {
        /** Days Secrets Manager keeps a deleted secret restorable (7–30). Default 7. */
        recoveryWindowInDays?: number | undefined;
        /** Delete at once, without recovery. Default false. */
        forceDelete?: boolean | undefined;
      }
    | undefined;
  /** `https` (default): the service URL is `https://<host>`. The emulator serves `http`. */
  urlScheme?: 'https' | 'http' | undefined;
  /** How often an operation or deployment is polled. Default 2 s. */
  pollIntervalMs?: number | undefined;
  /** How long an operation or deployment may take. Default 30 min. */
  operationTimeoutMs?: number | undefined;
  /** Retries of throttling and transient errors, with backoff on the run's clock. */
  retry?: { attempts?: number | undefined; baseDelayMs?: number | undefined } | undefined;
}

export type AwsSharedOptions = z.output<typeof awsSharedOptionsSchema> & AwsInjected;
