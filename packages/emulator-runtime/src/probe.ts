import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

/**
 * A TCP startup probe through a published port. Docker's userland proxy accepts every connection
 * and closes it when nothing listens behind, so "connected" alone proves nothing: the probe sends a
 * request and passes when the socket answers or stays open.
 */
export function tcpProbe(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('connect', () => socket.write('HEAD / HTTP/1.0\r\nHost: localhost\r\n\r\n'));
    socket.on('data', () => finish(true));
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** An HTTP startup probe: passes on a status from 200 to 399. */
export function httpProbe(host: string, port: number, path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = httpRequest({ host, port, path, method: 'GET', timeout: timeoutMs }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    probe.on('timeout', () => probe.destroy());
    probe.on('error', () => resolve(false));
    probe.end();
  });
}
