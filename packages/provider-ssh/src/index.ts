/**
 * @berth/provider-ssh: deploy to hosts you run. `localDocker()` targets the Docker engine of this
 * machine; `sshHost()` deploys to your own server over SSH, with Docker or systemd;
 * `hostProvider()` is the container deploy logic over any `HostTransport`.
 */
export type { RevisionLabels } from './container-labels.js';
export type { HostSettings, RestartPolicy } from './container-spec.js';
export { type DockerTransportOptions, dockerTransport } from './docker-transport.js';
export type { HostOptions, HostOptionsInput } from './host-options.js';
export { type HostProviderConfig, hostProvider } from './host-provider.js';
export type {
  ContainerCreateBody,
  ContainerDetails,
  ContainerSummary,
  HostTransport,
  PublishedPort,
  RegistryAuth,
} from './host-transport.js';
export { type LocalDockerOptions, localDocker } from './local-docker.js';
export {
  type LocalSecretStore,
  type LocalSecretStoreOptions,
  localSecretStore,
} from './local-secret-store.js';
export type { ProxyOptionsInput, ProxySettings } from './proxy/proxy-options.js';
export { type DockerOverSshOptions, dockerOverSsh } from './ssh/docker-over-ssh.js';
export type { HistoryPhase, HostHistoryEntry } from './ssh/host-history.js';
export { readHostHistory } from './ssh/host-history.js';
export { type HostLayout, hostLayout } from './ssh/host-layout.js';
export { type RemoteCommand, sh } from './ssh/remote-command.js';
export {
  type RegistryEvent,
  type ServiceRegistryHookOptions,
  serviceRegistryHooks,
} from './ssh/service-registry-hooks.js';
export { type PutEntry, type PutSettings, putFiles } from './ssh/sftp-put.js';
export {
  type CommandResult,
  type RunOptions,
  type SshConnection,
  sshConnection,
} from './ssh/ssh-connection.js';
export { sshFetch } from './ssh/ssh-fetch.js';
export { type SshHostDeps, sshHost } from './ssh/ssh-host.js';
export { type SshHostHookOptions, sshHostHooks } from './ssh/ssh-host-hooks.js';
export type {
  SshDockerOptionsInput,
  SshHostOptionsInput,
  SshSystemdOptionsInput,
} from './ssh/ssh-host-options.js';
export type { SshConnectionInput } from './ssh/ssh-options.js';
