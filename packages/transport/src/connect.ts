import net from 'node:net';
import { boundAddress, resolveTarget, tcpLocal, tcpPeer } from './address.js';
import { resolveChannelSettings, SocketChannel } from './channel.js';
import { ConnectionClosedError, ConnectTimeoutError, InvalidAddressError, systemErrorCode } from './errors.js';
import type { ByteChannel, ConnectOptions } from './types.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** setTimeout's ceiling; a longer delay would silently fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Opens a stream connection. Rejects with ConnectTimeoutError
 * (SOCKSPEC_CONNECT_TIMEOUT) when the handshake does not finish in
 * connectTimeoutMs, and with ConnectionClosedError (SOCKSPEC_CONNECTION_CLOSED,
 * `syscallCode` ECONNREFUSED, ENOENT, …) when the peer refuses or is absent.
 */
export async function connect(options: ConnectOptions): Promise<ByteChannel> {
  const target = resolveTarget(options, 'connect');
  const settings = resolveChannelSettings(options);
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS) {
    throw new InvalidAddressError(`connectTimeoutMs must be an integer 1–${MAX_TIMER_MS}, got ${timeoutMs}`);
  }

  return new Promise<ByteChannel>((resolve, reject) => {
    const socket =
      target.transport === 'unix'
        ? net.connect({ path: target.path, allowHalfOpen: true })
        : net.connect({
            host: target.host,
            port: target.port,
            family: target.transport === 'tcp6' ? 6 : 4,
            allowHalfOpen: true,
          });

    const timer = setTimeout(() => {
      socket.off('error', onError);
      socket.off('connect', onConnect);
      socket.destroy();
      reject(new ConnectTimeoutError(target.url, timeoutMs));
    }, timeoutMs);

    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.destroy();
      reject(connectError(target.url, err));
    };

    const onConnect = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      if (target.transport === 'unix') {
        const local = boundAddress('unix', '', 0);
        const remote = { transport: 'unix', host: target.path, port: 0, label: target.url } as const;
        resolve(new SocketChannel(socket, local, remote, settings));
      } else {
        resolve(
          new SocketChannel(socket, tcpLocal(target.transport, socket), tcpPeer(target.transport, socket), settings),
        );
      }
    };

    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

function connectError(url: string, err: Error): ConnectionClosedError {
  const code = systemErrorCode(err);
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused (ECONNREFUSED): nothing is listening there'
      : code === 'ENOENT'
        ? 'no socket file at that path (ENOENT)'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? `host name did not resolve (${code})`
          : `${err.message}`;
  return new ConnectionClosedError(
    url,
    `could not connect to ${url}: ${reason}`,
    code === undefined ? { cause: err } : { cause: err, syscallCode: code },
  );
}
