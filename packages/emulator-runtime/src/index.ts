/**
 * `@berth/emulator-runtime`: the container runtime every Berth emulator (AWS, GCP, DigitalOcean) shares. Each version
 * runs as a real container on the local Docker engine, health-checked as a platform does, behind a
 * stable loopback endpoint that switches only when the platform would switch.
 */

export {
  type ContainerInstance,
  type ContainerLaunch,
  type ContainerRuntime,
  ContainerStartError,
} from './container-runtime.js';
export { type DockerRuntimeOptions, dockerRuntime, type RegistryLogin } from './docker-runtime.js';
export { inProcessRuntime } from './in-process-runtime.js';
export {
  type LoopbackProxy,
  type LoopbackProxyOptions,
  openLoopbackProxy,
  type ProxyDecision,
} from './loopback-proxy.js';
export { httpProbe, tcpProbe } from './probe.js';
export { openServiceEndpoint, type ServiceEndpoint } from './service-endpoint.js';
export {
  createVersionLauncher,
  type HealthCheck,
  VersionFailure,
  type VersionFaultMode,
  type VersionFaultSource,
  type VersionLaunch,
  type VersionLauncher,
  type VersionLauncherOptions,
} from './version-launcher.js';
