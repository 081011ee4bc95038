/**
 * The `proxy` option of the host providers: Berth runs a Caddy proxy on the host that owns the
 * service's stable address, so a new revision starts beside the old one, is verified on its own
 * port, and takes traffic only then (see docs/providers/local-docker.md#proxy-mode).
 */
import { BerthError } from '@berth/core';
import type { z as Zod } from 'zod';
import { loadZod } from '../lazy-zod.js';

/** `proxy: { … }`, every field optional. */
function buildProxySchemas(z: typeof Zod) {
  const proxyOptionsSchema = z.strictObject({
    /**
     * Image of the proxy container (Docker methods). Default `caddy:2.6`, Caddy's official image,
     * pulled through the Engine API when missing. Any image with `caddy` on its PATH works.
     */
    image: z.string().min(1).default('caddy:2.6'),
    /** Name of the proxy container (Docker methods); every service using this name shares it. Default `berth-proxy`. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'must be a container name such as berth-proxy' })
      .default('berth-proxy'),
    /**
     * The proxy's folder on the host: admin socket, certificates, autosaved config. Default
     * `~/.berth/proxy` for `localDocker()`, `<baseDir>/proxy` on an SSH host.
     */
    directory: z.string().min(1).optional(),
    /** Seconds the previous revision keeps running after the switch, for requests in flight. Default 2. */
    drainSeconds: z.number().min(0).max(3600).default(2),
    /**
     * Serve the service at this host name, over HTTPS (routing by host name: several services share
     * the HTTPS port). The service URL becomes `https://<domain>` (with the port unless it is 443).
     */
    domain: z
      .string()
      .regex(/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$/, {
        message: 'must be a DNS name such as api.example.com',
      })
      .optional(),
    /**
     * Where the certificate of `domain` comes from: `acme` (Let's Encrypt/ZeroSSL, the domain must
     * point at the host and ports 80/443 reach it) or `internal` (the proxy's own CA; clients must
     * trust its root, which health checks do explicitly). Default `acme`.
     */
    tls: z.enum(['acme', 'internal']).default('acme'),
    /** Email of the ACME account (expiry notices). */
    acmeEmail: z.email().optional(),
    /** systemd method: the host's caddy binary (Debian's `caddy` package). Default `/usr/bin/caddy`. */
    caddyPath: z
      .string()
      .regex(/^\/[^\s"'\\]+$/, { message: 'must be an absolute path without spaces or quotes' })
      .default('/usr/bin/caddy'),
  });
  return { proxyOptionsSchema };
}

let built: ReturnType<typeof buildProxySchemas> | undefined;
/** The schemas, built on first use (zod is loaded then, not on import). */
export const schemas = (): ReturnType<typeof buildProxySchemas> => {
  built ??= buildProxySchemas(loadZod());
  return built;
};

/** The proxy option as a caller writes it: `true` for the defaults. */
export type ProxyOptionsInput = true | Zod.input<ReturnType<typeof buildProxySchemas>['proxyOptionsSchema']>;

/** The proxy settings with defaults filled in and the folder resolved. */
export type ProxySettings = Zod.output<ReturnType<typeof buildProxySchemas>['proxyOptionsSchema']> & {
  directory: string;
};

/** The settings of `proxy` (already validated), or `undefined` in direct mode. */
export function proxySettingsOf(
  proxy: boolean | Zod.output<ReturnType<typeof buildProxySchemas>['proxyOptionsSchema']> | undefined,
  defaultDirectory: string,
): ProxySettings | undefined {
  if (!proxy) return undefined;
  const parsed = proxy === true ? schemas().proxyOptionsSchema.parse({}) : proxy;
  const directory = parsed.directory ?? defaultDirectory;
  // Bind mounts are `host:container[:ro]` and unit files split on spaces: the folder must fit both.
  if (!directory.startsWith('/') || /[:\s"'\\]/.test(directory))
    throw new BerthError('PROVIDER_OPTIONS_INVALID', `Invalid proxy folder ${JSON.stringify(directory)}`, {
      hint: 'Set `proxy.directory` to an absolute path without spaces, quotes or colons (the default is under the base folder).',
      details: {
        issues: [
          {
            path: 'options.proxy.directory',
            message: 'must be an absolute path without spaces, quotes or colons',
          },
        ],
      },
    });
  return { ...parsed, directory };
}
