import net from 'node:net';
import path from 'node:path';
import { InvalidAddressError, UnsupportedTransportError } from './errors.js';
import { isTransportKind } from './kinds.js';
import type { BoundAddress, PeerAddress, TransportKind, WebSocketOptions } from './types.js';
import { formatHostPort, formatUrl } from './url.js';

/** sun_path is 108 bytes on Linux and 104 on the BSDs/macOS, each including the NUL. */
export const MAX_UNIX_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export type IpTransportKind = 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'tls' | 'websocket';

interface IpTarget<K extends IpTransportKind> {
  readonly transport: K;
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** websocket only: the HTTP path, default `/`. */
  readonly wsPath: string;
  readonly url: string;
}

interface UnixTarget<K extends 'unix' | 'unix-dgram'> {
  readonly transport: K;
  readonly path: string;
  readonly url: string;
}

/** Distributed per kind, so checking `transport` narrows to one shape. */
export type ResolvedTarget =
  | { [K in IpTransportKind]: IpTarget<K> }[IpTransportKind]
  | { [K in 'unix' | 'unix-dgram']: UnixTarget<K> }['unix' | 'unix-dgram'];

interface TargetOptions {
  readonly transport: TransportKind;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  readonly websocket?: WebSocketOptions;
}

/** Validates and fills in defaults, so every later error can name a definite URL. */
export function resolveTarget(options: TargetOptions, role: 'listen' | 'connect'): ResolvedTarget {
  const transport = options.transport as string;
  if (!isTransportKind(transport)) throw new UnsupportedTransportError(transport);
  if (transport === 'unix' || transport === 'unix-dgram') {
    return withUrl(transport, resolveUnixPath(transport, options.path, role));
  }
  const v6Only = transport === 'tcp6' || transport === 'udp6';
  const v4Only = transport === 'tcp' || transport === 'udp';
  const host = options.host ?? (v6Only ? '::1' : '127.0.0.1');
  if (v4Only && net.isIPv6(host)) {
    throw new InvalidAddressError(`${transport} is IPv4; ${host} is an IPv6 address, use transport ${transport}6`);
  }
  if (v6Only && net.isIPv4(host)) {
    throw new InvalidAddressError(
      `${transport} is IPv6; ${host} is an IPv4 address, use transport ${transport.slice(0, -1)}`,
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (role === 'connect' && port === 0)) {
    const range = role === 'connect' ? '1–65535' : '0–65535 (0 = ephemeral)';
    throw new InvalidAddressError(
      `invalid port ${port} to ${role} on ${transport}://${formatHostPort(host, 0).slice(0, -2)}: expected ${range}`,
    );
  }
  const wsPath = options.websocket?.path ?? '/';
  if (transport === 'websocket' && !/^\/[\x21-\x7e]*$/.test(wsPath)) {
    throw new InvalidAddressError(
      `websocket path must start with / and hold printable ASCII only, got ${JSON.stringify(wsPath)}`,
    );
  }
  const family = v6Only || net.isIPv6(host) ? 6 : 4;
  return {
    transport,
    host,
    port,
    family,
    wsPath,
    url: formatUrl({ transport, host, port, websocket: { path: wsPath } }),
  } as ResolvedTarget;
}

function withUrl(transport: 'unix' | 'unix-dgram', absolute: string): ResolvedTarget {
  return { transport, path: absolute, url: formatUrl({ transport, host: absolute }) } as ResolvedTarget;
}

/** Checks a unix socket path against what bind(2) takes and makes it absolute. */
export function resolveUnixPath(
  transport: 'unix' | 'unix-dgram',
  given: string | undefined,
  role: 'listen' | 'connect' | 'bind',
): string {
  if (given === undefined || given === '') {
    throw new InvalidAddressError(`${transport} transport needs a socket path to ${role} on, got none`);
  }
  if (given.includes('\0')) {
    throw new InvalidAddressError(`${transport} socket path must not contain NUL bytes: ${JSON.stringify(given)}`);
  }
  const absolute = path.resolve(given);
  const bytes = Buffer.byteLength(absolute);
  if (bytes > MAX_UNIX_PATH_BYTES) {
    throw new InvalidAddressError(
      `${transport} socket path ${absolute} is ${bytes} bytes, over the OS limit of ${MAX_UNIX_PATH_BYTES}; use a shorter path`,
    );
  }
  return absolute;
}

export function boundAddress(transport: TransportKind, host: string, port: number, wsPath = '/'): BoundAddress {
  return { transport, host, port, url: formatUrl({ transport, host, port, websocket: { path: wsPath } }) };
}

/** The peer of a connected TCP-based socket; tolerant of a socket reset before we looked. */
export function tcpPeer(transport: TransportKind, socket: net.Socket): PeerAddress {
  const host = socket.remoteAddress ?? '';
  const port = socket.remotePort ?? 0;
  return { transport, host, port, label: host === '' ? `${transport}:(disconnected)` : formatHostPort(host, port) };
}

/** This end of a connected TCP-based socket. */
export function tcpLocal(transport: TransportKind, socket: net.Socket, wsPath = '/'): BoundAddress {
  return boundAddress(transport, socket.localAddress ?? '', socket.localPort ?? 0, wsPath);
}
