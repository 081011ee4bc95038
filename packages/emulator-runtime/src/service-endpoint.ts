import type { ContainerInstance } from './container-runtime.js';
import { openLoopbackProxy } from './loopback-proxy.js';

/**
 * A service's stable loopback URL: one port for the service's whole life that forwards to the
 * version the platform currently serves, and switches only when the platform would switch.
 */
export interface ServiceEndpoint {
  /** `127.0.0.1:<port>`: the bare host, as App Runner's `ServiceUrl` and ECS's ingress endpoint are. */
  host: string;
  port: number;
  /** Send traffic to `instance` from now on (`undefined`: answer `notServing`). */
  route(instance: ContainerInstance | undefined): void;
  close(): Promise<void>;
}

/** Open an endpoint on a free 127.0.0.1 port; while nothing is routed it answers `notServing`. */
export async function openServiceEndpoint(notServing: {
  status: number;
  body: string;
}): Promise<ServiceEndpoint> {
  let target: ContainerInstance | undefined;
  const proxy = await openLoopbackProxy(() => (target ? { target } : notServing), {
    unreachable: { status: 502, body: 'Bad Gateway' },
  });
  return {
    host: `127.0.0.1:${proxy.port}`,
    port: proxy.port,
    route(instance) {
      target = instance;
    },
    close: proxy.close,
  };
}
