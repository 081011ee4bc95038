/**
 * @berth/provider-ssh: deploy to hosts you run. `localDocker()` targets the Docker engine of this
 * machine; `sshHost()` deploys to your own server over SSH, with Docker or systemd;
 * `hostProvider()` is the container deploy logic over any `HostTransport`.
 */
export { buildLabels, LABELS, MANAGED_BY, parseLabels, type RevisionLabels } from './container-labels.js';
export {
  buildCreateBody,
  containerName,
  type HostSettings,
  parseMemory,
  type RestartPolicy,
  serviceUrl,
} from './container-spec.js';
export { type DockerTransportOptions, dockerTransport } from './docker-transport.js';
export {
  defaultSecretsDir,
  type HostOptions,
  type HostOptionsInput,
  hostOptionsSchema,
  parseHostOptions,
} from './host-options.js';
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
export { mapDockerError } from './map-docker-error.js';
export type { ProxyOptionsInput, ProxySettings } from './proxy/proxy-options.js';
export { type DockerOverSshOptions, dockerOverSsh } from './ssh/docker-over-ssh.js';
export type { HistoryPhase, HostHistoryEntry } from './ssh/host-history.js';
export { readHostHistory } from './ssh/host-history.js';
export { fingerprintOf as sshKeyFingerprint } from './ssh/host-key.js';
export { type HostLayout, hostLayout } from './ssh/host-layout.js';
export { type RemoteCommand, sh, shellQuote } from './ssh/remote-command.js';
export {
  postRegistryEvent,
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
export { type SshConnectionInput, sshConnectionSchema } from './ssh/ssh-options.js';
export { renderUnitFile, type UnitFileInput, unitName } from './ssh/unit-file.js';
