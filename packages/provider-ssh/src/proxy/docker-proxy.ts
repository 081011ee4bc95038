/**
 * The proxy container of the Docker methods: created the first time (its folder prepared on the
 * host, its image pulled through the Engine API when missing), started when stopped, and waited
 * for until its admin API answers. A container of that name that is not this proxy is refused.
 */
import { type ProviderContext, ProviderError } from '@berth/core';
import { lastLines } from '../docker-logs.js';
import type { HostTransport } from '../host-transport.js';
import type { CaddyAdmin } from './caddy-admin.js';
import { initialConfig } from './caddy-config.js';
import { PROXY_LABELS, proxyContainerBody } from './proxy-container.js';
import type { ProxyFiles } from './proxy-files.js';
import type { ProxySettings } from './proxy-options.js';

const ADMIN_WAIT_MS = 20_000;

/** What `ensureDockerProxy` works with. */
export interface DockerProxyPorts {
  transport: HostTransport;
  files: ProxyFiles;
  settings: ProxySettings;
  admin: CaddyAdmin;
}

/** Make sure the proxy container runs and its admin API answers. */
export async function ensureDockerProxy(ports: DockerProxyPorts, context: ProviderContext): Promise<void> {
  const { transport, files, settings, admin } = ports;
  async function waitForAdmin(context: ProviderContext, id: string): Promise<void> {
    const deadline = context.clock.now() + ADMIN_WAIT_MS;
    while (!(await admin.ping())) {
      if (context.clock.now() > deadline) {
        const logs = await transport.containerLogs(id, 30).catch(() => '');
        throw new ProviderError('PROVIDER_UNAVAILABLE', `The proxy ${settings.name} does not answer`, {
          hint: `Its admin socket ${files.adminDescription} did not open within ${ADMIN_WAIT_MS / 1000} s. Last log lines:\n${lastLines(logs, 15).join('\n')}`,
        });
      }
      await context.clock.sleep(200, context.signal);
    }
  }

  async function ensure(): Promise<void> {
    let existing = await transport.inspectContainer(settings.name);
    if (!existing) {
      const { user } = await files.prepare(initialConfig());
      if (!(await transport.inspectImage(settings.image))) {
        context.log('info', `Pulling the proxy image ${settings.image}`);
        await transport.pullImage(settings.image, undefined, (message) =>
          context.progress({ step: 'pull', message }),
        );
      }
      try {
        await transport.createContainer(proxyContainerBody(settings, user));
        context.log('info', `Created the proxy container ${settings.name}`, {
          directory: settings.directory,
        });
      } catch (error) {
        // Another Berth process created it meanwhile: use that one.
        if (!(await transport.inspectContainer(settings.name))) throw error;
      }
      existing = await transport.inspectContainer(settings.name);
      if (!existing) throw new ProviderError('PROVIDER_NOT_FOUND', `The proxy ${settings.name} vanished`);
    }
    if (existing.labels[PROXY_LABELS.role] !== 'proxy')
      throw new ProviderError(
        'PROVIDER_CONFLICT',
        `A container named ${settings.name} exists and is not a Berth proxy`,
        {
          hint: 'Remove or rename that container, or set `proxy.name` to another name.',
        },
      );
    if (existing.labels[PROXY_LABELS.directory] !== settings.directory)
      throw new ProviderError(
        'PROVIDER_CONFLICT',
        `The proxy ${settings.name} keeps its files in ${existing.labels[PROXY_LABELS.directory]}, not ${settings.directory}`,
        { hint: 'Use the same `proxy.directory` for every service of this proxy, or another `proxy.name`.' },
      );
    if (!existing.running) {
      context.log('info', `Starting the proxy container ${settings.name}`);
      await transport.startContainer(existing.id);
    }
    await waitForAdmin(context, existing.id);
  }

  await ensure();
}
