import { describe, expect, it } from 'vitest';
import { formatUrl, InvalidAddressError, MAX_URL_LENGTH, parseUrl, UnsupportedTransportError } from '../src/index.js';

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
  ])('rejects %s', (url, message) => {
    expect(() => parseUrl(url)).toThrow(InvalidAddressError);
    expect(() => parseUrl(url)).toThrow(message);
  });

  it('names unsupported schemes', () => {
    expect(() => parseUrl('udp://127.0.0.1:53')).toThrow(UnsupportedTransportError);
    expect(() => parseUrl('udp://127.0.0.1:53')).toThrow(/unsupported transport "udp"/);
  });

  it('checks the length before parsing', () => {
    const url = `unix:///${'a'.repeat(MAX_URL_LENGTH)}`;
    expect(() => parseUrl(url)).toThrow(`over the limit of ${MAX_URL_LENGTH}`);
  });
});
