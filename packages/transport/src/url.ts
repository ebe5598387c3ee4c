import net from 'node:net';
import { InvalidAddressError, UnsupportedTransportError } from './errors.js';
import type { StreamTransportKind } from './types.js';

/** What a transport URL names: enough to pass to listen() or connect(). */
export type Endpoint =
  | { readonly transport: 'tcp' | 'tcp6'; readonly host: string; readonly port: number }
  | { readonly transport: 'unix'; readonly path: string };

/** Longer than any real host:port or socket path; checked before any parsing. */
export const MAX_URL_LENGTH = 4096;

/** `tcp://127.0.0.1:40123`, `tcp6://[::1]:40123`, `unix:///abs/path.sock`. */
export function formatUrl(address: {
  readonly transport: StreamTransportKind;
  readonly host: string;
  readonly port: number;
}): string {
  switch (address.transport) {
    case 'tcp':
      return `tcp://${address.host}:${address.port}`;
    case 'tcp6':
      return `tcp6://[${address.host}]:${address.port}`;
    case 'unix':
      return `unix://${address.host}`;
    default:
      throw new UnsupportedTransportError(String((address as { transport: unknown }).transport));
  }
}

/** Printable peer form for log lines: `127.0.0.1:51234`, `[::1]:51234`. */
export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses the URL forms formatUrl prints, for command lines and config files.
 * tcp takes an IPv4 address or a host name; IPv6 literals go in brackets under
 * tcp6, so the transport (and so the address family) is never ambiguous.
 */
export function parseUrl(url: string): Endpoint {
  if (url.length > MAX_URL_LENGTH) {
    throw new InvalidAddressError(
      `transport URL is ${url.length} characters long, over the limit of ${MAX_URL_LENGTH}`,
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme === null) {
    throw new InvalidAddressError(
      `invalid transport URL ${JSON.stringify(url)}: expected tcp://host:port, tcp6://[addr]:port or unix:///path`,
    );
  }
  const kind = scheme[1]!.toLowerCase();
  const rest = url.slice(scheme[0].length);
  switch (kind) {
    case 'tcp': {
      const m = /^([^/[\]:]+):(\d{1,5})$/.exec(rest);
      if (m === null) {
        throw new InvalidAddressError(
          `invalid tcp URL ${JSON.stringify(url)}: expected tcp://host:port` +
            (rest.startsWith('[') ? ' (IPv6 addresses use tcp6://[addr]:port)' : ''),
        );
      }
      return { transport: 'tcp', host: m[1]!, port: parsePort(m[2]!, url) };
    }
    case 'tcp6': {
      const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(rest);
      if (m === null || !net.isIPv6(m[1]!)) {
        throw new InvalidAddressError(`invalid tcp6 URL ${JSON.stringify(url)}: expected tcp6://[IPv6 address]:port`);
      }
      return { transport: 'tcp6', host: m[1]!, port: parsePort(m[2]!, url) };
    }
    case 'unix': {
      if (!rest.startsWith('/') || rest.includes('\0')) {
        throw new InvalidAddressError(
          `invalid unix URL ${JSON.stringify(url)}: expected unix:///absolute/path (three slashes, absolute path)`,
        );
      }
      return { transport: 'unix', path: rest };
    }
    default:
      throw new UnsupportedTransportError(kind);
  }
}

function parsePort(digits: string, url: string): number {
  const port = Number(digits);
  if (port > 65535) throw new InvalidAddressError(`invalid port ${port} in ${JSON.stringify(url)}: expected 0–65535`);
  return port;
}
