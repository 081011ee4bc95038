/**
 * Proxy mode of the systemd method: a `berth-proxy` unit runs the host's caddy with its admin API
 * on a UNIX socket (reached over SSH `streamlocal` forwarding); each revision runs in one of two
 * slot units, `berth-<service>--a.service` and `--b.service`, on a loopback port of its own, so the
 * new one starts beside the serving one and takes traffic only once it was verified.
 */
import { type PreflightCheck, type ProviderContext, ProviderError } from '@berth/core';
import { caddyAdmin } from '../proxy/caddy-admin.js';
import { initialConfig, type ServiceRoute } from '../proxy/caddy-config.js';
import { connectionMigrationCheck } from '../proxy/connection-migration.js';
import { proxyPaths, sshProxyFiles } from '../proxy/proxy-files.js';
import type { ProxySettings } from '../proxy/proxy-options.js';
import { proxyRoutes } from '../proxy/proxy-routes.js';
import { pickRevisionPort } from '../proxy/revision-port.js';
import { type ListeningSocket, portTaken } from './proc-net.js';
import { sh } from './remote-command.js';
import type { SshConnection } from './ssh-connection.js';
import type { ProxySlot, SystemdRevisionRecord } from './systemd-records.js';

const ADMIN_WAIT_MS = 20_000;

/** The proxy unit's file. Pure. */
export function renderProxyUnit(settings: ProxySettings, user: string | undefined): string {
  const paths = proxyPaths(settings.directory);
  return [
    '# Managed by Berth: the proxy in front of the services of this host (docs/providers/ssh.md#proxy-mode).',
    '[Unit]',
    'Description=Berth proxy (Caddy)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=exec',
    ...(user ? [`User=${user}`, 'AmbientCapabilities=CAP_NET_BIND_SERVICE'] : []),
    `Environment=XDG_DATA_HOME=${paths.data} XDG_CONFIG_HOME=${paths.config} HOME=${paths.data}`,
    `ExecStart=${settings.caddyPath} run --config ${paths.init} --resume`,
    'Restart=on-failure',
    'RestartSec=1',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** The pseudo service name of a slot, for the unit helpers: `<service>--<slot>`. */
export function slotService(service: string, slot: ProxySlot): string {
  return `${service}--${slot}`;
}

/** The slot a new revision goes to: the one the serving revision is not in. Pure. */
export function freeSlot(serving: SystemdRevisionRecord | undefined): ProxySlot {
  return serving?.proxy?.slot === 'a' ? 'b' : 'a';
}

/** Proxy mode bound to one host. */
export function systemdProxy(input: {
  connection: SshConnection;
  settings: ProxySettings;
  username: string;
  urlHost: string;
}) {
  const { connection, settings, username } = input;
  const paths = proxyPaths(settings.directory);
  const files = sshProxyFiles(connection, settings.directory);
  const admin = caddyAdmin(() => connection.openUnixSocket(paths.socket), files.adminDescription);
  const routes = proxyRoutes(admin);
  const sudo = username === 'root' ? sh`` : sh`sudo -n`;
  const unit = `${settings.name}.service`;
  const unitPath = `/etc/systemd/system/${unit}`;

  const stablePort = (specPort: number) => (settings.domain ? 443 : specPort);

  function stableUrl(specPort: number): string {
    const port = stablePort(specPort);
    if (settings.domain) return `https://${settings.domain}${port === 443 ? '' : `:${port}`}`;
    return `http://${input.urlHost}:${port}`;
  }

  const routeFor = (service: string, specPort: number, upstreamPort: number): ServiceRoute => ({
    service,
    bindAddress: '0.0.0.0',
    port: stablePort(specPort),
    ...(settings.domain ? { domain: settings.domain, tls: settings.tls } : {}),
    ...(settings.acmeEmail ? { acmeEmail: settings.acmeEmail } : {}),
    upstreamPort,
  });

  const checkMigration = connectionMigrationCheck(files, connection.target);

  /** Install (or update) and start the proxy unit; wait for its admin API. */
  async function ensure(context: ProviderContext): Promise<void> {
    await checkMigration(context);
    if (await admin.ping()) return;
    const { user } = await files.prepare(initialConfig(paths.socket));
    const text = renderProxyUnit(settings, username === 'root' ? undefined : username);
    const installed = await connection.run(sh`cat -- ${unitPath} 2>/dev/null; true`);
    if (installed.stdout !== '' && !installed.stdout.includes(`--config ${paths.init} `))
      throw new ProviderError(
        'PROVIDER_CONFLICT',
        `${unit} on ${connection.target} serves another proxy folder`,
        {
          hint: 'Use the same `proxy.directory` for every service of this proxy, or another `proxy.name`.',
        },
      );
    if (installed.stdout !== text)
      await connection.run(
        sh`${sudo} sh -c ${'umask 022 && cat > "$1.berth-tmp" && mv -f "$1.berth-tmp" "$1"'} sh ${unitPath} && ${sudo} systemctl daemon-reload`,
        { stdin: text, description: `install ${unitPath}` },
      );
    context.log('info', `Starting the proxy ${unit} on ${connection.target} (as ${user})`);
    await connection.run(sh`${sudo} systemctl enable --now --quiet ${unit}`, {
      description: `start ${unit}`,
    });
    const deadline = context.clock.now() + ADMIN_WAIT_MS;
    while (!(await admin.ping())) {
      if (context.clock.now() > deadline) {
        const journal = await connection
          .run(sh`${sudo} journalctl -u ${unit} -n 15 --no-pager -o cat`, { allowExitCodes: [0, 1] })
          .catch(() => undefined);
        throw new ProviderError('PROVIDER_UNAVAILABLE', `The proxy ${unit} does not answer`, {
          hint: `Its admin socket ${files.adminDescription} did not open. Last journal lines:\n${journal?.stdout ?? ''}`,
        });
      }
      await context.clock.sleep(200, context.signal);
    }
  }

  /** The caddy binary is on the host (preflight). */
  async function check(): Promise<PreflightCheck> {
    const found = await connection.run(sh`test -x ${settings.caddyPath}`, { allowExitCodes: [0, 1] });
    return found.exitCode === 0
      ? { name: 'proxy', ok: true, message: `${settings.caddyPath} is on ${connection.target}` }
      : {
          name: 'proxy',
          ok: false,
          message: `The proxy needs caddy, and ${settings.caddyPath} is not on ${connection.target}.`,
          hint: 'Install it on the host (`apt-get install caddy`, then `systemctl disable --now caddy`: Berth runs its own unit), or set `proxy.caddyPath`.',
        };
  }

  /** A loopback port for a new revision, free on the host and not `taken`. */
  async function freePort(sockets: ListeningSocket[], taken: number[]): Promise<number> {
    return pickRevisionPort({
      taken: new Set(taken),
      random: Math.random,
      isFree: async (port) => !portTaken(sockets, '0.0.0.0', port),
    });
  }

  /** Stop a unit (a slot, or the direct-mode unit); a missing one is fine. */
  async function stopUnit(name: string): Promise<void> {
    await connection.run(sh`${sudo} systemctl stop ${name} 2>/dev/null; true`, {
      description: `stop ${name}`,
    });
  }

  return { settings, routes, stablePort, stableUrl, routeFor, ensure, check, freePort, stopUnit, sudo };
}

/** The object `systemdProxy` returns. */
export type SystemdProxy = ReturnType<typeof systemdProxy>;
