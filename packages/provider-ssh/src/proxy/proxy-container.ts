/**
 * The proxy container's create request (pure): Caddy on the host network, started with an
 * explicit `caddy run` (so the official image works as well as one built from Debian's package),
 * resuming its autosaved config, as the owner of its folder.
 */
import { MANAGED_BY } from '../container-labels.js';
import type { ContainerCreateBody } from '../host-transport.js';
import { ADMIN_SOCKET_IN_CONTAINER } from './caddy-config.js';
import { proxyPaths } from './proxy-files.js';
import type { ProxySettings } from './proxy-options.js';

/** Labels of the proxy container. */
export const PROXY_LABELS = {
  managedBy: 'dev.berth.managed-by',
  role: 'dev.berth.role',
  directory: 'dev.berth.proxy-directory',
} as const;

const INIT_IN_CONTAINER = '/etc/berth-proxy/init.json';

/** The create body of the proxy container. */
export function proxyContainerBody(settings: ProxySettings, user: string): ContainerCreateBody {
  const paths = proxyPaths(settings.directory);
  const socketFolder = ADMIN_SOCKET_IN_CONTAINER.slice(0, ADMIN_SOCKET_IN_CONTAINER.lastIndexOf('/'));
  return {
    name: settings.name,
    Image: settings.image,
    Env: ['XDG_DATA_HOME=/data', 'XDG_CONFIG_HOME=/config', 'HOME=/data'],
    Labels: {
      [PROXY_LABELS.managedBy]: MANAGED_BY,
      [PROXY_LABELS.role]: 'proxy',
      [PROXY_LABELS.directory]: settings.directory,
    },
    ExposedPorts: {},
    User: user,
    // `--resume` loads the autosaved config (every route Berth added) and falls back to init.json.
    Cmd: ['caddy', 'run', '--config', INIT_IN_CONTAINER, '--resume'],
    HostConfig: {
      NetworkMode: 'host',
      PortBindings: {},
      RestartPolicy: { Name: 'unless-stopped' },
      Binds: [
        `${paths.run}:${socketFolder}`,
        `${paths.data}:/data`,
        `${paths.config}:/config`,
        `${paths.init}:${INIT_IN_CONTAINER}:ro`,
      ],
    },
  };
}
