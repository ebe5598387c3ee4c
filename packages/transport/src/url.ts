import net from 'node:net';
import { InvalidAddressError, UnsupportedTransportError } from './errors.js';
import type { TransportKind } from './types.js';

/** What a transport URL names: enough to pass to listen() or connect(). */
export type Endpoint =
  | {
      readonly transport: 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'tls';
      readonly host: string;
      readonly port: number;
    }
  | { readonly transport: 'unix' | 'unix-dgram'; readonly path: string }
  | {
      readonly transport: 'websocket';
      readonly host: string;
      readonly port: number;
      readonly websocket: { readonly path: string };
    };

/** What formatUrl needs: a BoundAddress (host holds the socket path for unix kinds) or an Endpoint. */
export interface UrlParts {
  readonly transport: TransportKind;
  readonly host?: string;
  readonly port?: number;
  /** Socket path of unix and unix-dgram (used when `host` is absent). */
  readonly path?: string;
  readonly websocket?: { readonly path?: string };
}

/** Longer than any real host:port or socket path; checked before any parsing. */
export const MAX_URL_LENGTH = 4096;

/** URL scheme of each transport; unix-dgram is `unixgram`, websocket `ws`. */
export const URL_SCHEMES: Readonly<Record<TransportKind, string>> = Object.freeze({
  tcp: 'tcp',
  tcp6: 'tcp6',
  unix: 'unix',
  udp: 'udp',
  udp6: 'udp6',
  'unix-dgram': 'unixgram',
  tls: 'tls',
  websocket: 'ws',
});

const EXPECTED_FORMS =
  'tcp://host:port, tcp6://[addr]:port, udp://host:port, udp6://[addr]:port, unix:///path, unixgram:///path, ' +
  'tls://host:port, ws://host:port/path';

/**
 * `tcp://127.0.0.1:40123`, `tcp6://[::1]:40123`, `udp://127.0.0.1:5000`,
 * `udp6://[::1]:5000`, `unix:///abs/path.sock`, `unixgram:///abs/path.sock`,
 * `tls://127.0.0.1:443` (or `tls://[::1]:443`), `ws://127.0.0.1:8080/path`.
 */
export function formatUrl(address: UrlParts): string {
  const host = address.host ?? '';
  const port = address.port ?? 0;
  switch (address.transport) {
    case 'tcp':
    case 'udp':
      return `${address.transport}://${host}:${port}`;
    case 'tcp6':
    case 'udp6':
      return `${address.transport}://[${host}]:${port}`;
    case 'tls':
      return `tls://${formatHostPort(host, port)}`;
    case 'websocket':
      return `ws://${formatHostPort(host, port)}${address.websocket?.path ?? '/'}`;
    case 'unix':
    case 'unix-dgram':
      return `${URL_SCHEMES[address.transport]}://${address.host ?? address.path ?? ''}`;
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
 * tcp and udp take an IPv4 address or a host name; IPv6 literals go in
 * brackets under tcp6/udp6, so the transport (and so the address family) is
 * never ambiguous. tls and ws, which ride on TCP, take either family (IPv6 in
 * brackets), as their https-like URLs do.
 */
export function parseUrl(url: string): Endpoint {
  if (url.length > MAX_URL_LENGTH) {
    throw new InvalidAddressError(
      `transport URL is ${url.length} characters long, over the limit of ${MAX_URL_LENGTH}`,
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme === null) {
    throw new InvalidAddressError(`invalid transport URL ${JSON.stringify(url)}: expected ${EXPECTED_FORMS}`);
  }
  const kind = scheme[1]!.toLowerCase();
  const rest = url.slice(scheme[0].length);
  switch (kind) {
    case 'tcp':
    case 'udp': {
      const m = /^([^/[\]:]+):(\d{1,5})$/.exec(rest);
      if (m === null) {
        throw new InvalidAddressError(
          `invalid ${kind} URL ${JSON.stringify(url)}: expected ${kind}://host:port` +
            (rest.startsWith('[') ? ` (IPv6 addresses use ${kind}6://[addr]:port)` : ''),
        );
      }
      return { transport: kind, host: m[1]!, port: parsePort(m[2]!, url) };
    }
    case 'tcp6':
    case 'udp6': {
      const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(rest);
      if (m === null || !net.isIPv6(m[1]!)) {
        throw new InvalidAddressError(
          `invalid ${kind} URL ${JSON.stringify(url)}: expected ${kind}://[IPv6 address]:port`,
        );
      }
      return { transport: kind, host: m[1]!, port: parsePort(m[2]!, url) };
    }
    case 'tls': {
      const hostPort = parseHostPort(rest);
      if (hostPort === undefined) {
        throw new InvalidAddressError(
          `invalid tls URL ${JSON.stringify(url)}: expected tls://host:port or tls://[IPv6 address]:port`,
        );
      }
      return { transport: 'tls', host: hostPort.host, port: parsePort(hostPort.port, url) };
    }
    case 'ws': {
      const slash = rest.indexOf('/');
      const authority = slash === -1 ? rest : rest.slice(0, slash);
      const path = slash === -1 ? '/' : rest.slice(slash);
      const hostPort = parseHostPort(authority);
      if (hostPort === undefined || !/^\/[\x21-\x7e]*$/.test(path) || path.includes('#')) {
        throw new InvalidAddressError(
          `invalid ws URL ${JSON.stringify(url)}: expected ws://host:port/path (IPv6 as ws://[addr]:port/path)`,
        );
      }
      return { transport: 'websocket', host: hostPort.host, port: parsePort(hostPort.port, url), websocket: { path } };
    }
    case 'unix':
    case 'unixgram': {
      if (!rest.startsWith('/') || rest.includes('\0')) {
        throw new InvalidAddressError(
          `invalid ${kind} URL ${JSON.stringify(url)}: expected ${kind}:///absolute/path (three slashes, absolute path)`,
        );
      }
      return { transport: kind === 'unix' ? 'unix' : 'unix-dgram', path: rest };
    }
    default:
      throw new UnsupportedTransportError(kind);
  }
}

function parseHostPort(authority: string): { host: string; port: string } | undefined {
  const v6 = /^\[([^\]]+)\]:(\d{1,5})$/.exec(authority);
  if (v6 !== null) return net.isIPv6(v6[1]!) ? { host: v6[1]!, port: v6[2]! } : undefined;
  const v4 = /^([^/[\]:]+):(\d{1,5})$/.exec(authority);
  return v4 === null ? undefined : { host: v4[1]!, port: v4[2]! };
}

function parsePort(digits: string, url: string): number {
  const port = Number(digits);
  if (port > 65535) throw new InvalidAddressError(`invalid port ${port} in ${JSON.stringify(url)}: expected 0–65535`);
  return port;
}
