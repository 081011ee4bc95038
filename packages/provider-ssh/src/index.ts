/**
 * @berth/provider-ssh: deploy to hosts you run. `localDocker()` targets the Docker engine of this
 * machine; `hostProvider()` is the same deploy logic over any `HostTransport`.
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
