/**
 * Options of `sshHost()`: the SSH connection, the deploy method (`docker` or `systemd`), and the
 * settings of each method. One schema per object, validated before any I/O.
 */
import { BerthError } from '@berth/core';
import type { z as Zod } from 'zod';
import { type HostOptions, type HostOptionsInput, parseHostOptions } from '../host-options.js';
import { loadZod } from '../lazy-zod.js';
import { schemas as proxySchemas } from '../proxy/proxy-options.js';
import { assertHostPath } from './host-layout.js';
import { parseSshOptions, type SshConnectionInput, type SshConnectionOptions } from './ssh-options.js';

/** The schemas, built with `z` (see `schemas()`). */
function buildSshHostSchemas(z: typeof Zod) {
  const command = z.union([
    z.string().trim().min(1, { message: 'must not be empty' }),
    z.array(z.string()).min(1, { message: 'must not be empty' }),
  ]);

  /** Settings both methods share (besides `ssh`). */
  const commonShape = {
    /** Folder of Berth's files on the host (releases, history, lock). Default `/opt/berth`. */
    baseDir: z.string().default('/opt/berth'),
    /** Who deploys, in the lock and the host history. Default `<user>@<hostname>` of this machine. */
    operator: z.string().min(1).optional(),
    /** Seconds after which a lock left by a dead run is taken over. Default 900. */
    lockTtlSeconds: z.number().int().min(10).default(900),
  };

  /** Settings of the systemd method. */
  const systemdMethodSchema = z.strictObject({
    method: z.literal('systemd'),
    ...commonShape,
    /**
     * The command that starts the service, run in the release folder: an argv such as
     * `['node', 'server.js']`, or a string run by `/bin/sh -c`.
     */
    start: command,
    /** Run once per new release, in its folder, e.g. `npm ci --omit=dev`. */
    install: command.optional(),
    /** Run the service as this user (`User=`). Default: root. */
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'must be a user name' })
      .optional(),
    /** Host in the service URL. Default: `ssh.host`. */
    urlHost: z.string().min(1).optional(),
    /** Previous releases kept for rollback. Default 5. */
    keepReleases: z.number().int().min(1).default(5),
    /** Previous releases older than this many days are removed (the newest one excepted). Default 7. */
    keepDays: z.number().min(0).default(7),
    /** `Restart=` of the unit. Default `on-failure`. */
    restart: z.enum(['no', 'always', 'on-failure']).default('on-failure'),
    /** Seconds the service gets to stop. Default 10. */
    stopTimeoutSeconds: z.number().int().min(0).default(10),
    /** Folder of the local secret store. Default `~/.berth/secrets`. */
    secretsDir: z.string().min(1).optional(),
    /**
     * Put a Berth-managed Caddy (the host's `caddy`, unit `berth-proxy.service`) in front of the
     * service: each revision runs in its own slot unit on a loopback port and takes traffic only once
     * verified (docs/providers/ssh.md#proxy-mode). Default: direct mode (the unit restarts on the port).
     */
    proxy: z.union([z.boolean(), proxySchemas().proxyOptionsSchema]).optional(),
  });

  /** Settings of the docker method (besides the host options shared with `localDocker`). */
  const dockerMethodSchema = z.looseObject({
    method: z.literal('docker'),
    ...commonShape,
    /** The engine's socket on the host. Default `/var/run/docker.sock`. */
    dockerSocketPath: z.string().min(1).default('/var/run/docker.sock'),
  });
  return { systemdMethodSchema, dockerMethodSchema };
}

let built: ReturnType<typeof buildSshHostSchemas> | undefined;
/** The schemas, built on first use (zod is loaded then, not on import). */
export const schemas = (): ReturnType<typeof buildSshHostSchemas> => {
  built ??= buildSshHostSchemas(loadZod());
  return built;
};

/** The systemd method's options as a caller writes them. */
export type SshSystemdOptionsInput = Zod.input<
  ReturnType<typeof buildSshHostSchemas>['systemdMethodSchema']
> & {
  ssh: SshConnectionInput;
};
/** The docker method's options as a caller writes them. */
export type SshDockerOptionsInput = Zod.input<ReturnType<typeof buildSshHostSchemas>['dockerMethodSchema']> &
  HostOptionsInput & { method: 'docker'; ssh: SshConnectionInput };
/** Options of `sshHost()`. */
export type SshHostOptionsInput = SshSystemdOptionsInput | SshDockerOptionsInput;

/** Validated systemd options. */
export type SshSystemdOptions = Zod.output<ReturnType<typeof buildSshHostSchemas>['systemdMethodSchema']> & {
  ssh: SshConnectionOptions;
};
/** Validated docker options. */
export type SshDockerOptions = {
  method: 'docker';
  baseDir: string;
  operator?: string;
  lockTtlSeconds: number;
  dockerSocketPath: string;
  ssh: SshConnectionOptions;
  host: HostOptions;
};

function invalid(issues: { path: string; message: string }[]): BerthError {
  const withHints = issues.map((issue) => ({
    ...issue,
    hint: `Fix the \`${issue.path.replace(/^options\./, '')}\` option of sshHost(); see docs/providers/ssh.md.`,
  }));
  return new BerthError(
    'PROVIDER_OPTIONS_INVALID',
    `Invalid sshHost() options: ${withHints.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    { hint: withHints.map((issue) => issue.hint).join(' '), details: { issues: withHints } },
  );
}

/** Parse with `schema`, or throw PROVIDER_OPTIONS_INVALID naming every rejected field. */
function parseWith<Schema extends Zod.ZodType>(schema: Schema, input: unknown): Zod.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalid(
    result.error.issues.map((issue) => ({
      path: `options.${issue.path.join('.')}`,
      message: issue.message,
    })),
  );
}

/** Validate `sshHost()` options (SSH first: a password is refused by name). */
export function parseSshHostOptions(input: SshHostOptionsInput): SshSystemdOptions | SshDockerOptions {
  const record = (input ?? {}) as unknown as Record<string, unknown>;
  const ssh = parseSshOptions(record.ssh, 'sshHost()', 'ssh');
  const { ssh: _ssh, ...rest } = record;
  if (rest.method === 'systemd') {
    const data = parseWith(schemas().systemdMethodSchema, rest);
    assertHostPath(data.baseDir);
    // Unit files name paths under it (WorkingDirectory=, EnvironmentFile=), where systemd would
    // split or unquote these characters.
    if (/[\s"'\\]/.test(data.baseDir))
      throw invalid([
        {
          path: 'options.baseDir',
          message:
            'must not contain spaces, quotes or backslashes with the systemd method (unit files name it)',
        },
      ]);
    return { ...data, ssh };
  }
  if (rest.method === 'docker') {
    const { method, baseDir, operator, lockTtlSeconds, dockerSocketPath, ...hostInput } = parseWith(
      schemas().dockerMethodSchema,
      rest,
    );
    assertHostPath(baseDir);
    return {
      method,
      baseDir,
      ...(operator !== undefined ? { operator } : {}),
      lockTtlSeconds,
      dockerSocketPath,
      ssh,
      host: parseHostOptions(hostInput, 'sshHost'),
    };
  }
  throw invalid([{ path: 'options.method', message: "must be 'docker' or 'systemd'" }]);
}
