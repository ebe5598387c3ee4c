import { describe, expect, it } from 'vitest';
import {
  formatUrl,
  InvalidAddressError,
  MAX_URL_LENGTH,
  parseUrl,
  TRANSPORT_KINDS,
  UnsupportedTransportError,
  URL_SCHEMES,
} from '../src/index.js';

describe('formatUrl / parseUrl', () => {
  it.each([
    [{ transport: 'tcp', host: '127.0.0.1', port: 40123 }, 'tcp://127.0.0.1:40123'],
    [{ transport: 'tcp6', host: '::1', port: 40123 }, 'tcp6://[::1]:40123'],
    [{ transport: 'tcp6', host: 'fe80::1:2', port: 0 }, 'tcp6://[fe80::1:2]:0'],
    [{ transport: 'unix', host: '/tmp/x.sock', port: 0 }, 'unix:///tmp/x.sock'],
  ] as const)('formats %o as %s and parses it back', (address, url) => {
    expect(formatUrl(address)).toBe(url);
    const parsed = parseUrl(url);
    if (address.transport === 'unix') expect(parsed).toEqual({ transport: 'unix', path: address.host });
    else expect(parsed).toEqual({ transport: address.transport, host: address.host, port: address.port });
  });

  it.each([
    [{ transport: 'udp', host: '127.0.0.1', port: 5000 }, 'udp://127.0.0.1:5000'],
    [{ transport: 'udp6', host: '::1', port: 5000 }, 'udp6://[::1]:5000'],
    [{ transport: 'tls', host: '127.0.0.1', port: 443 }, 'tls://127.0.0.1:443'],
    [{ transport: 'tls', host: '::1', port: 443 }, 'tls://[::1]:443'],
    [{ transport: 'tls', host: 'localhost', port: 443 }, 'tls://localhost:443'],
  ] as const)('formats %o as %s and parses it back', (endpoint, url) => {
    expect(formatUrl(endpoint)).toBe(url);
    expect(parseUrl(url)).toEqual(endpoint);
  });

  it('unixgram:// names a unix-dgram path; ws:// carries the HTTP path', () => {
    expect(formatUrl({ transport: 'unix-dgram', path: '/tmp/d.sock' })).toBe('unixgram:///tmp/d.sock');
    expect(parseUrl('unixgram:///tmp/d.sock')).toEqual({ transport: 'unix-dgram', path: '/tmp/d.sock' });
    const ws = { transport: 'websocket', host: '127.0.0.1', port: 8080, websocket: { path: '/chat/v1' } } as const;
    expect(formatUrl(ws)).toBe('ws://127.0.0.1:8080/chat/v1');
    expect(parseUrl('ws://127.0.0.1:8080/chat/v1')).toEqual(ws);
    expect(parseUrl('ws://[::1]:8080')).toEqual({ ...ws, host: '::1', websocket: { path: '/' } });
  });

  it('lists every transport kind once, each with a URL scheme', () => {
    expect(TRANSPORT_KINDS).toEqual(['tcp', 'tcp6', 'unix', 'udp', 'udp6', 'unix-dgram', 'tls', 'websocket']);
    expect(Object.isFrozen(TRANSPORT_KINDS)).toBe(true);
    expect(Object.keys(URL_SCHEMES).sort()).toEqual([...TRANSPORT_KINDS].sort());
  });

  it('accepts host names under tcp and a case-insensitive scheme', () => {
    expect(parseUrl('TCP://localhost:8080')).toEqual({ transport: 'tcp', host: 'localhost', port: 8080 });
  });

  it.each([
    ['127.0.0.1:80', /expected tcp:\/\/host:port, tcp6/],
    ['tcp://127.0.0.1', /expected tcp:\/\/host:port/],
    ['tcp://[::1]:80', /IPv6 addresses use tcp6/],
    ['tcp://127.0.0.1:65536', /invalid port 65536/],
    ['tcp://127.0.0.1:123456', /expected tcp:\/\/host:port/],
    ['tcp6://::1:80', /expected tcp6:\/\/\[IPv6 address\]:port/],
    ['tcp6://[127.0.0.1]:80', /expected tcp6/],
    ['unix://relative.sock', /absolute path/],
    ['udp://[::1]:53', /IPv6 addresses use udp6/],
    ['udp6://127.0.0.1:53', /expected udp6:\/\/\[IPv6 address\]:port/],
    ['unixgram://x.sock', /expected unixgram:\/\/\/absolute\/path/],
    ['tls://[127.0.0.1]:443', /expected tls:\/\/host:port/],
    ['ws://127.0.0.1:80/a b', /expected ws:\/\/host:port\/path/],
    ['ws://127.0.0.1/x', /expected ws:\/\/host:port\/path/],
  ])('rejects %s', (url, message) => {
    expect(() => parseUrl(url)).toThrow(InvalidAddressError);
    expect(() => parseUrl(url)).toThrow(message);
  });

  it('names unsupported schemes', () => {
    expect(() => parseUrl('sctp://127.0.0.1:53')).toThrow(UnsupportedTransportError);
    expect(() => parseUrl('sctp://127.0.0.1:53')).toThrow(/unsupported transport "sctp"/);
  });

  it('checks the length before parsing', () => {
    const url = `unix:///${'a'.repeat(MAX_URL_LENGTH)}`;
    expect(() => parseUrl(url)).toThrow(`over the limit of ${MAX_URL_LENGTH}`);
  });
});
