import net from 'node:net';
import path from 'node:path';
import { InvalidAddressError, UnsupportedTransportError } from './errors.js';
import type { BoundAddress, PeerAddress, StreamTransportKind } from './types.js';
import { formatHostPort, formatUrl } from './url.js';

/** sun_path is 108 bytes on Linux and 104 on the BSDs/macOS, each including the NUL. */
export const MAX_UNIX_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export type ResolvedTarget =
  | { readonly transport: 'tcp' | 'tcp6'; readonly host: string; readonly port: number; readonly url: string }
  | { readonly transport: 'unix'; readonly path: string; readonly url: string };

interface TargetOptions {
  readonly transport: StreamTransportKind;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
}

/** Validates and fills in defaults, so every later error can name a definite URL. */
export function resolveTarget(options: TargetOptions, role: 'listen' | 'connect'): ResolvedTarget {
  const transport = options.transport as string;
  if (transport === 'unix') {
    if (options.path === undefined || options.path === '') {
      throw new InvalidAddressError(`unix transport needs a socket path to ${role} on, got none`);
    }
    if (options.path.includes('\0')) {
      throw new InvalidAddressError(`unix socket path must not contain NUL bytes: ${JSON.stringify(options.path)}`);
    }
    const absolute = path.resolve(options.path);
    const bytes = Buffer.byteLength(absolute);
    if (bytes > MAX_UNIX_PATH_BYTES) {
      throw new InvalidAddressError(
        `unix socket path ${absolute} is ${bytes} bytes, over the OS limit of ${MAX_UNIX_PATH_BYTES}; use a shorter path`,
      );
    }
    return { transport: 'unix', path: absolute, url: formatUrl({ transport: 'unix', host: absolute, port: 0 }) };
  }
  if (transport !== 'tcp' && transport !== 'tcp6') throw new UnsupportedTransportError(transport);
  const host = options.host ?? (transport === 'tcp' ? '127.0.0.1' : '::1');
  if (transport === 'tcp' && net.isIPv6(host)) {
    throw new InvalidAddressError(`tcp is IPv4; ${host} is an IPv6 address, use transport tcp6`);
  }
  if (transport === 'tcp6' && net.isIPv4(host)) {
    throw new InvalidAddressError(`tcp6 is IPv6; ${host} is an IPv4 address, use transport tcp`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (role === 'connect' && port === 0)) {
    const range = role === 'connect' ? '1–65535' : '0–65535 (0 = ephemeral)';
    throw new InvalidAddressError(`invalid port ${port} to ${role} on ${transport}://${host}: expected ${range}`);
  }
  return { transport, host, port, url: formatUrl({ transport, host, port }) };
}

export function boundAddress(transport: StreamTransportKind, host: string, port: number): BoundAddress {
  return { transport, host, port, url: formatUrl({ transport, host, port }) };
}

/** The peer of a connected TCP socket; tolerant of a socket reset before we looked. */
export function tcpPeer(transport: 'tcp' | 'tcp6', socket: net.Socket): PeerAddress {
  const host = socket.remoteAddress ?? '';
  const port = socket.remotePort ?? 0;
  return { transport, host, port, label: host === '' ? `${transport}:(disconnected)` : formatHostPort(host, port) };
}

/** This end of a connected TCP socket. */
export function tcpLocal(transport: 'tcp' | 'tcp6', socket: net.Socket): BoundAddress {
  return boundAddress(transport, socket.localAddress ?? '', socket.localPort ?? 0);
}
