import { InvalidAddressError } from './errors.js';
import { isDatagramTransport } from './kinds.js';
import type { ListenOptions, SocketOptions, TransportKind } from './types.js';

/** setTimeout's ceiling; a longer delay would silently fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long a tls or websocket connection may take to finish its handshake (ListenOptions.handshakeTimeoutMs). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The kernel caps SO_SNDBUF/SO_RCVBUF far lower; this only catches nonsense before the syscall. */
const MAX_SOCKET_BUFFER_BYTES = 2 ** 31 - 1;

const TCP_BASED: ReadonlySet<TransportKind> = new Set(['tcp', 'tcp6', 'tls', 'websocket']);

/**
 * SO_REUSEPORT on net listeners arrived in Node 22.12 / 23.1; earlier
 * versions would ignore the option silently, so it is only passed when
 * honoured.
 */
export const NET_REUSE_PORT_SUPPORTED = (() => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major >= 23 ? !(major === 23 && minor < 1) : major === 22 && minor >= 12;
})();

/**
 * Refuses options that make no sense for the chosen transport, instead of
 * silently ignoring them: a caller asking for a socket buffer size on TCP
 * would otherwise believe it is set.
 */
export function checkOptionsFor(kind: TransportKind, options: SocketOptions & Partial<ListenOptions>): void {
  const refuse = (option: string, why: string): never => {
    throw new InvalidAddressError(`option ${option} does not apply to transport ${kind}: ${why}`);
  };
  const datagram = isDatagramTransport(kind);
  for (const option of ['sendBufferSize', 'receiveBufferSize'] as const) {
    const value = options[option];
    if (value === undefined) continue;
    if (kind !== 'udp' && kind !== 'udp6') {
      refuse(
        option,
        'Node has no API to set SO_SNDBUF/SO_RCVBUF on stream or unix-dgram sockets; only udp and udp6 take it',
      );
    }
    positiveInteger(option, value, MAX_SOCKET_BUFFER_BYTES);
  }
  if (!datagram) {
    for (const option of ['maxDatagramBytes', 'datagramPeerIdleMs', 'maxDatagramPeers', 'datagramChannels'] as const) {
      if (options[option] !== undefined) refuse(option, 'it is for datagram transports (udp, udp6, unix-dgram)');
    }
  } else {
    const channels = options.datagramChannels;
    if (channels !== undefined && channels !== 'peer' && channels !== 'datagram') {
      throw new InvalidAddressError(`datagramChannels must be 'peer' or 'datagram', got ${JSON.stringify(channels)}`);
    }
    // noDelay is not refused: the engines pass noDelay: true for every
    // transport, and a datagram is never delayed anyway.
    if (options.keepAlive !== undefined) refuse('keepAlive', 'datagram sockets have no connection to keep alive');
    if (options.closeMode === 'reset') refuse('closeMode: reset', 'a datagram socket has no connection to reset');
  }
  if (kind === 'unix' && options.closeMode === 'reset') {
    refuse('closeMode: reset', 'RST is TCP; a unix stream socket can only be closed');
  }
  if (kind === 'tls' && options.closeMode === 'reset') {
    refuse(
      'closeMode: reset',
      "Node's resetAndDestroy() takes plain TCP handles only, and a TLS socket's is the TLS layer",
    );
  }
  if (kind === 'websocket' && options.closeMode === 'reset') {
    refuse('closeMode: reset', 'websocket closes with a close frame, or terminate() without one');
  }
  if (options.closeMode !== undefined && options.closeMode !== 'graceful' && options.closeMode !== 'reset') {
    throw new InvalidAddressError(`closeMode must be 'graceful' or 'reset', got ${JSON.stringify(options.closeMode)}`);
  }
  if (options.tls !== undefined && kind !== 'tls') refuse('tls', 'it configures the tls transport only');
  if (options.websocket !== undefined && kind !== 'websocket') {
    refuse('websocket', 'it configures the websocket transport only');
  }
  if (options.readTimeoutMs !== undefined) positiveInteger('readTimeoutMs', options.readTimeoutMs, MAX_TIMER_MS);
  if (options.handshakeTimeoutMs !== undefined) {
    if (kind !== 'tls' && kind !== 'websocket') {
      refuse('handshakeTimeoutMs', 'only tls and websocket connections have a handshake before their first byte');
    }
    positiveInteger('handshakeTimeoutMs', options.handshakeTimeoutMs, MAX_TIMER_MS);
  }
  if (options.reuseAddress !== undefined) {
    if (kind === 'unix' || kind === 'unix-dgram') {
      refuse('reuseAddress', 'a socket path is taken by its file, not by an address the kernel could share');
    }
    if (TCP_BASED.has(kind) && options.reuseAddress === false) {
      refuse(
        'reuseAddress: false',
        'libuv always sets SO_REUSEADDR on TCP listeners and Node offers no way to clear it',
      );
    }
  }
}

export function positiveInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidAddressError(`${name} must be an integer 1–${max}, got ${value}`);
  }
  return value;
}
