import { lazySchema } from '@berth/core/plugin-kit';
import type { AuthClient } from 'google-auth-library';
import type { z as Zod } from 'zod';
import type { GcpClients } from './gcp-clients.js';
import { loadZod } from './lazy-schema.js';

const projectId = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const region = /^[a-z]+-[a-z]+\d+$/;
const repositoryId = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The schema of `cloudRun()`'s options, built with `z`. */
function buildCloudRunOptionsSchema(z: typeof Zod) {
  return z.strictObject({
    /** Google Cloud project id, e.g. `my-project`. */
    project: z
      .string()
      .regex(projectId, { message: 'must be a project id: 6-30 lowercase letters, digits and -' }),
    /** Cloud Run region, e.g. `europe-west1`. */
    region: z.string().regex(region, { message: 'must be a region such as europe-west1' }),
    /** Artifact Registry Docker repository for images; created when missing. Default `berth`. */
    repository: z
      .string()
      .regex(repositoryId, { message: 'must be a lowercase repository id' })
      .default('berth'),
    /** `verify-before-traffic` (default): a new revision gets no traffic until verified on its tag URL. `direct`: all traffic at once, moved back on failure. */
    strategy: z.enum(['verify-before-traffic', 'direct']).default('verify-before-traffic'),
    /** Traffic tag of the revision under verification. Default `candidate`. */
    candidateTag: z
      .string()
      .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, { message: 'must be a lowercase DNS label' })
      .default('candidate'),
    /** Runtime service account of the revisions. Default: the project's Compute Engine default account. */
    serviceAccount: z.string().email().optional(),
    /** Minimum instances when the spec does not say. Default 1 (no cold start for agents). */
    minInstances: z.number().int().min(0).default(1),
    /** Labels put on the service and its secrets. */
    labels: z.record(z.string(), z.string()).default({}),
    /** Where images are pushed. Default host `${region}-docker.pkg.dev` with an OAuth access token. */
    registry: z
      .strictObject({
        /** Registry host, e.g. `127.0.0.1:5000` for a local registry. */
        host: z.string().min(1).optional(),
        /** Fixed credentials instead of `oauth2accesstoken` + access token. */
        credentials: z.strictObject({ username: z.string(), password: z.string() }).optional(),
      })
      .default({}),
    /** A different API endpoint for all three APIs, e.g. the emulator: `{ apiEndpoint: '127.0.0.1', port, protocol: 'http' }`. Implies the REST transport. */
    endpoint: z
      .strictObject({
        apiEndpoint: z.string().min(1),
        port: z.number().int().min(1).max(65535).optional(),
        protocol: z.enum(['http', 'https']).default('https'),
      })
      .optional(),
    /** `grpc` (default) or `rest` (HTTP/JSON, `fallback: true`). */
    transport: z.enum(['grpc', 'rest']).default('grpc'),
    /** Write the Service resource Berth applies to this folder (e.g. `.deployment/gcp`) for review. */
    manifestDir: z.string().min(1).optional(),
    /** Retries of transient API errors (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED). */
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(10).default(5),
        baseDelayMs: z.number().int().min(0).default(500),
      })
      .default({ attempts: 5, baseDelayMs: 500 }),
  });
}

/** Options of `cloudRun()`: the single source of truth for validation and docs. Built on first use. */
export const cloudRunOptionsSchema: ReturnType<typeof buildCloudRunOptionsSchema> = lazySchema(() =>
  buildCloudRunOptionsSchema(loadZod()),
);

/**
 * The options of `cloudRun()` as written by the caller (defaults may be left out), plus injectable
 * ports that a schema cannot describe. Written out so that the package's types do not expose zod's;
 * `cloud-run-options.check.ts` proves they match `cloudRunOptionsSchema`.
 */
export interface CloudRunOptions {
  /** Google Cloud project id, e.g. `my-project`. */
  project: string;
  /** Cloud Run region, e.g. `europe-west1`. */
  region: string;
  /** Artifact Registry Docker repository for images; created when missing. Default `berth`. */
  repository?: string | undefined;
  /** `verify-before-traffic` (default): a new revision gets no traffic until verified on its tag URL. `direct`: all traffic at once, moved back on failure. */
  strategy?: 'verify-before-traffic' | 'direct' | undefined;
  /** Traffic tag of the revision under verification. Default `candidate`. */
  candidateTag?: string | undefined;
  /** Runtime service account of the revisions. Default: the project's Compute Engine default account. */
  serviceAccount?: string | undefined;
  /** Minimum instances when the spec does not say. Default 1 (no cold start for agents). */
  minInstances?: number | undefined;
  /** Labels put on the service and its secrets. */
  labels?: Record<string, string> | undefined;
  /** Where images are pushed. Default host `${region}-docker.pkg.dev` with an OAuth access token. */
  registry?:
    | {
        /** Registry host, e.g. `127.0.0.1:5000` for a local registry. */
        host?: string | undefined;
        /** Fixed credentials instead of `oauth2accesstoken` + access token. */
        credentials?: { username: string; password: string } | undefined;
      }
    | undefined;
  /** A different API endpoint for all three APIs, e.g. the emulator: `{ apiEndpoint: '127.0.0.1', port, protocol: 'http' }`. Implies the REST transport. */
  endpoint?:
    | { apiEndpoint: string; port?: number | undefined; protocol?: 'http' | 'https' | undefined }
    | undefined;
  /** `grpc` (default) or `rest` (HTTP/JSON, `fallback: true`). */
  transport?: 'grpc' | 'rest' | undefined;
  /** Write the Service resource Berth applies to this folder (e.g. `.deployment/gcp`) for review. */
  manifestDir?: string | undefined;
  /** Retries of transient API errors (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED). */
  retry?: { attempts?: number | undefined; baseDelayMs?: number | undefined } | undefined;
  /** Credentials; default Application Default Credentials. */
  authClient?: AuthClient;
  /** Prebuilt SDK clients (tests, custom transports). */
  clients?: Partial<GcpClients>;
}

/** Validated options. */
export type ResolvedCloudRunOptions = Zod.output<typeof cloudRunOptionsSchema> & {
  authClient?: AuthClient;
  clients?: Partial<GcpClients>;
};
