import { homedir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import type { z as Zod } from 'zod';
import { loadZod } from './lazy-zod.js';
import { schemas as proxySchemas } from './proxy/proxy-options.js';

/** Options shared by every host provider (local Docker today, SSH hosts later). */
function buildHostOptionsSchemas(z: typeof Zod) {
  const hostOptionsSchema = z.strictObject({
    /** Host address the service port is published on. Default `127.0.0.1` (reachable from this machine only). */
    bindAddress: z
      .union([z.ipv4(), z.ipv6()], { message: 'must be an IP address such as 127.0.0.1 or 0.0.0.0' })
      .default('127.0.0.1'),
    /**
     * Host name or address clients use in the service URL (and `publicUrlEnv`), e.g. the server's DNS
     * name when the port is published on `0.0.0.0`. Default: derived from `bindAddress` (`127.0.0.1`
     * for the default bind and for `0.0.0.0`).
     */
    urlHost: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/, {
        message: 'must be a host name or IP address (IPv6 in brackets), without scheme or port',
      })
      .optional(),
    /** Host port of the service. Default: the spec's `port`. */
    hostPort: z.number().int().min(1).max(65535, { message: 'must be a TCP port (1–65535)' }).optional(),
    /** Docker restart policy of the running revision. Default `unless-stopped`. */
    restartPolicy: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).default('unless-stopped'),
    /** Stopped revision containers kept for rollback; older ones are removed after a deploy. Default 5. */
    keepRevisions: z
      .number()
      .int()
      .min(1, { message: 'must be at least 1 (the rollback target)' })
      .default(5),
    /** Folder of the local secret store; each service gets a sub-folder. Default `~/.berth/secrets`. */
    secretsDir: z.string().min(1).optional(),
    /**
     * A registry to push built images to and pull them from. Without one, images stay in the local
     * engine and are run by their image ID.
     */
    registry: z
      .strictObject({
        /** Registry host, e.g. `127.0.0.1:5000`. */
        host: z.string().min(1, { message: 'must be a registry host such as 127.0.0.1:5000' }),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .optional(),
    /** Seconds a container gets to stop before it is killed. Default 10. */
    stopTimeoutSeconds: z.number().int().min(0).default(10),
    /**
     * Put a Berth-managed Caddy proxy in front of the service (`true`, or its settings): zero-downtime
     * updates, verification before traffic, routing by port or host name, HTTPS. Default: direct mode,
     * where the revision's container publishes the service port itself and an update stops the old
     * revision before the new one starts.
     */
    proxy: z.union([z.boolean(), proxySchemas().proxyOptionsSchema]).optional(),
  });
  return { hostOptionsSchema };
}

let built: ReturnType<typeof buildHostOptionsSchemas> | undefined;
/** The schemas, built on first use (zod is loaded then, not on import). */
export const schemas = (): ReturnType<typeof buildHostOptionsSchemas> => {
  built ??= buildHostOptionsSchemas(loadZod());
  return built;
};

/** Host provider options as a caller writes them. */
export type HostOptionsInput = Zod.input<ReturnType<typeof buildHostOptionsSchemas>['hostOptionsSchema']>;
/** Host provider options with defaults filled in. */
export type HostOptions = Zod.output<ReturnType<typeof buildHostOptionsSchemas>['hostOptionsSchema']> & {
  secretsDir: string;
};

type ZodIssue = Zod.core.$ZodIssue;

/**
 * `proxy: true | { … }`: a rejected object reports its own fields (`proxy.domain`), not the
 * union's "Invalid input".
 */
function unionBranch(issue: ZodIssue): ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const detailed = issue.errors.find((branch) => branch.some((inner) => inner.path.length > 0));
  if (!detailed) return [issue];
  return detailed.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** The default secret store folder: `~/.berth/secrets`. */
export function defaultSecretsDir(home: string = homedir()): string {
  return join(home, '.berth', 'secrets');
}

/**
 * Validate provider options before any I/O. Throws `PROVIDER_OPTIONS_INVALID` naming each rejected option;
 * the registry password never appears in the message.
 */
export function parseHostOptions(input: unknown, providerName: string): HostOptions {
  const result = schemas().hostOptionsSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = result.error.issues.flatMap(unionBranch).map((issue) => ({
      path: `options.${issue.path.join('.')}`,
      message: issue.message,
      hint: `Fix the \`${issue.path.join('.')}\` option of ${providerName}(); see docs/providers/local-docker.md.`,
    }));
    throw new BerthError(
      'PROVIDER_OPTIONS_INVALID',
      `Invalid ${providerName}() options: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
      { hint: issues.map((issue) => issue.hint).join(' '), details: { issues } },
    );
  }
  return { ...result.data, secretsDir: result.data.secretsDir ?? defaultSecretsDir() };
}
