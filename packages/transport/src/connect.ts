import net from 'node:net';
import tls from 'node:tls';
import { boundAddress, type ResolvedTarget, resolveTarget, tcpLocal, tcpPeer } from './address.js';
import { type ChannelSettings, resolveChannelSettings, SocketChannel } from './channel.js';
import { connectError, DEFAULT_CONNECT_TIMEOUT_MS } from './connect-error.js';
import { connectDatagram } from './datagram.js';
import { ConnectTimeoutError, InvalidAddressError } from './errors.js';
import { checkOptionsFor, MAX_TIMER_MS } from './options.js';
import { isTlsError, tlsClientOptions, tlsHandshakeError } from './tls.js';
import type { ByteChannel, ConnectOptions } from './types.js';
import { connectWebSocket } from './websocket.js';

export { DEFAULT_CONNECT_TIMEOUT_MS };

/**
 * Opens a connection. Rejects with ConnectTimeoutError
 * (SOCKSPEC_CONNECT_TIMEOUT) when the handshake (TCP, TLS or websocket) does
 * not finish in connectTimeoutMs, with ConnectionClosedError
 * (SOCKSPEC_CONNECTION_CLOSED, `syscallCode` ECONNREFUSED, ENOENT, …) when the
 * peer refuses or is absent, and with TlsHandshakeError
 * (SOCKSPEC_TLS_HANDSHAKE_FAILED) when TLS cannot agree or verify.
 *
 * Datagram transports have no handshake: connect() binds a socket aimed at
 * the server and resolves at once; a server that is not there shows up as
 * the channel closing with ECONNREFUSED after the first write (as the OS
 * reports an ICMP port-unreachable) or as no reply.
 */
export async function connect(options: ConnectOptions): Promise<ByteChannel> {
  const target = resolveTarget(options, 'connect');
  checkOptionsFor(target.transport, options);
  if (options.reuseAddress !== undefined) {
    throw new InvalidAddressError(`reuseAddress is a listener option, not for connect to ${target.url}`);
  }
  if (options.localPath !== undefined && target.transport !== 'unix-dgram') {
    throw new InvalidAddressError(`localPath applies to unix-dgram only, not ${target.url}`);
  }
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS) {
    throw new InvalidAddressError(`connectTimeoutMs must be an integer 1–${MAX_TIMER_MS}, got ${timeoutMs}`);
  }
  if (target.transport === 'udp' || target.transport === 'udp6' || target.transport === 'unix-dgram') {
    return connectDatagram(target, options);
  }
  const settings = resolveChannelSettings(options);
  if (target.transport === 'websocket') return connectWebSocket(target, options, settings, timeoutMs);
  const secure = target.transport === 'tls' ? await tlsClientOptions(options.tls, target.host) : undefined;
  return connectStream(target, settings, timeoutMs, secure);
}

function connectStream(
  target: ResolvedTarget,
  settings: ChannelSettings,
  timeoutMs: number,
  secure: tls.ConnectionOptions | undefined,
): Promise<ByteChannel> {
  return new Promise<ByteChannel>((resolve, reject) => {
    let socket: net.Socket;
    if (target.transport === 'unix' || target.transport === 'unix-dgram') {
      socket = net.connect({ path: target.path, allowHalfOpen: true });
    } else if (secure !== undefined) {
      const secureOptions: tls.ConnectionOptions & { family: number; allowHalfOpen: boolean } = {
        ...secure,
        host: target.host,
        port: target.port,
        family: target.family,
        allowHalfOpen: true,
      };
      socket = tls.connect(secureOptions);
    } else {
      socket = net.connect({ host: target.host, port: target.port, family: target.family, allowHalfOpen: true });
    }
    const ready = secure === undefined ? 'connect' : 'secureConnect';

    const timer = setTimeout(() => {
      socket.off('error', onError);
      socket.off(ready, onConnect);
      socket.destroy();
      reject(new ConnectTimeoutError(target.url, timeoutMs));
    }, timeoutMs);

    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.off(ready, onConnect);
      socket.destroy();
      reject(
        secure !== undefined && isTlsError(err) ? tlsHandshakeError(target.url, err) : connectError(target.url, err),
      );
    };

    const onConnect = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      if (target.transport === 'unix' || target.transport === 'unix-dgram') {
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
    socket.once(ready, onConnect);
  });
}
