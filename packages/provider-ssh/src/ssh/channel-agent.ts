/**
 * An `http.Agent` whose connections are SSH channels (a tunnel to a UNIX socket or a TCP port on
 * the host) instead of sockets of this machine. Node's HTTP client then speaks HTTP over the SSH
 * connection: Dockerode to the host's Docker socket, health checks to a port only the host sees.
 */
import type { Agent, ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { nodeHttp } from '@berth/core/plugin-kit';

type SocketLike = Duplex & {
  setTimeout?: unknown;
  setNoDelay?: unknown;
  setKeepAlive?: unknown;
  ref?: unknown;
  unref?: unknown;
};

/**
 * Give a channel the few `net.Socket` methods Node's HTTP client calls. Timeouts are enforced by
 * the callers (AbortSignals and SSH keepalive), so `setTimeout` only records the callback.
 */
function asSocket(stream: Duplex): Duplex {
  const socket = stream as SocketLike;
  const chain = () => socket;
  socket.setTimeout ??= chain;
  socket.setNoDelay ??= chain;
  socket.setKeepAlive ??= chain;
  socket.ref ??= chain;
  socket.unref ??= chain;
  return socket;
}

/** An agent that opens one channel per request (no keep-alive: channels are cheap on one connection). */
export function channelAgent(open: (options: ClientRequestArgs) => Promise<Duplex>): Agent {
  const agent = new (nodeHttp().Agent)({ keepAlive: false });
  const createConnection = (
    options: ClientRequestArgs,
    callback: (error: Error | null, socket?: Duplex) => void,
  ): undefined => {
    open(options).then(
      (stream) => callback(null, asSocket(stream)),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
    return undefined;
  };
  // Node calls createConnection(options, callback) and accepts the socket through the callback.
  Object.assign(agent, { createConnection });
  return agent;
}
