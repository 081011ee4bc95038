/**
 * The service spec's types, written out so that the root entry of `@berth/core` does not expose zod's
 * types (zod's major version is not Berth's semver surface). `spec-types.check.ts` proves at compile
 * time that they are exactly what the schemas in `service-spec.ts` accept and produce.
 */

/** A JSON value, as used in health-check body matches. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Build the image from a folder with a Dockerfile. */
export interface BuildImage {
  build: {
    /** Folder sent to the builder as the build context. */
    context: string;
    /** Dockerfile path, relative to `context`. Default `Dockerfile`. */
    dockerfile?: string | undefined;
    /** Build arguments (`ARG`). Not secret: they end up in the image history. */
    args?: Record<string, string> | undefined;
    /** Target platform, e.g. `linux/amd64`. */
    platform?: string | undefined;
  };
}

/** Deploy an existing image by reference; a digest reference (`repo@sha256:…`) is pinned as is. */
export interface RefImage {
  ref: string;
}

/** Where a secret's value comes from. Values are never written to state, events or logs. */
export type SecretSource =
  /** Generated once, then kept in the provider's secret store and reused on every deploy. */
  | { generate: 'api-key' | 'rsa-private-key' }
  /** A literal value. */
  | { value: string }
  /** Read from an environment variable of the deploying process. */
  | { fromEnv: string }
  /** Read from a file (trailing newline kept). */
  | { fromFile: string };

/** A request header a health check sends; the value may come from one of the service's secrets. */
export type HeaderValue = string | { secret: string };

/** One HTTP check the health verifier runs against the service URL, as written. */
export interface HealthCheckInput {
  /** A name for reports; defaults to the path. */
  name?: string | undefined;
  /** Path on the service, starting with `/`. */
  path: string;
  /** Default `GET`. */
  method?: 'GET' | 'HEAD' | undefined;
  /** Accepted status codes. Default 200. */
  expectStatus?: number | number[] | undefined;
  /** The body must contain this text. */
  bodyContains?: string | undefined;
  /** The body must be JSON and contain these fields with these values (a subset match). */
  json?: Record<string, JsonValue> | undefined;
  /** Request headers, e.g. `{ 'X-API-Key': { secret: 'SUPERVAIZER_API_KEY' } }`. */
  headers?: Record<string, HeaderValue> | undefined;
}

/** One HTTP check after validation, with its defaults filled in. */
export interface HealthCheck extends HealthCheckInput {
  method: 'GET' | 'HEAD';
  expectStatus: number | number[];
}

/** How Berth decides the service is healthy, as written. */
export interface HealthSpecInput {
  /** The primary health path. Default `/.well-known/health`. */
  path?: string | undefined;
  /** Request headers of the primary path, e.g. `{ 'X-API-Key': { secret: 'API_KEY' } }`. */
  headers?: Record<string, HeaderValue> | undefined;
  /** Extra checks; every one must pass in a round. The primary path is always checked first. */
  checks?: HealthCheckInput[] | undefined;
  /** Give up after this long. Default 120 s. */
  timeoutMs?: number | undefined;
  /**
   * First wait between rounds, and the wait after a passing round; grows ×1.5 after each failed
   * round. Default 25 ms. See docs/concepts.md#health for the whole schedule.
   */
  intervalMs?: number | undefined;
  /** Upper bound of the backoff after answered failures. Default the larger of 1 s and `intervalMs`. */
  maxIntervalMs?: number | undefined;
  /** Consecutive passing rounds required. Default 1. */
  successThreshold?: number | undefined;
  /** Timeout of one HTTP attempt. Default 5 s. */
  attemptTimeoutMs?: number | undefined;
}

/** How Berth decides the service is healthy, after validation. */
export interface HealthSpec extends HealthSpecInput {
  path: string;
  checks: HealthCheck[];
  timeoutMs: number;
  intervalMs: number;
  successThreshold: number;
  attemptTimeoutMs: number;
}

/** CPU, memory and scaling. Providers map these to their own units. */
export interface Resources {
  /** vCPUs, e.g. 1 or 0.5. */
  cpu?: number | undefined;
  /** Memory, e.g. `512Mi` or `1Gi`. */
  memory?: string | undefined;
  minInstances?: number | undefined;
  maxInstances?: number | undefined;
  /** Requests one instance serves at once. */
  concurrency?: number | undefined;
}

/** The spec as a caller writes it (defaults may be omitted): everything Berth needs to deploy one service to one environment. */
export interface ServiceSpecInput {
  /** Base name; the deployed service is `${name}-${environment}`. Lowercase letters, digits and `-`. */
  name: string;
  /** `dev`, `staging`, `prod`, or another lowercase label. Default `dev`. */
  environment?: string | undefined;
  image: BuildImage | RefImage;
  /** The port the container listens on. Default 8000. */
  port?: number | undefined;
  /** Plain environment variables. */
  env?: Record<string, string> | undefined;
  /** Secret environment variables, stored in the provider's secret store. */
  secrets?: Record<string, SecretSource> | undefined;
  health?: HealthSpecInput | undefined;
  /** Environment variable that receives the service's public URL once it is known. */
  publicUrlEnv?: string | undefined;
  /** `auto` restores the last verified revision when verification fails; `never` keeps the failed one. */
  rollback?: 'auto' | 'never' | undefined;
  resources?: Resources | undefined;
  /** Whether the service is reachable without authentication. Default true. */
  public?: boolean | undefined;
}

/** The spec after validation, with every default filled in. */
export interface ServiceSpec extends ServiceSpecInput {
  environment: string;
  port: number;
  env: Record<string, string>;
  secrets: Record<string, SecretSource>;
  health: HealthSpec;
  rollback: 'auto' | 'never';
  public: boolean;
}
