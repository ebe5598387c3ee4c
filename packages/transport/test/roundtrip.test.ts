import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConnectOptions, connect, type ListenOptions, listen } from '../src/index.js';
import { nextChannel, once, Resources, readBytes } from './harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

async function endpoints(kind: 'tcp' | 'tcp6' | 'unix'): Promise<ListenOptions> {
  if (kind === 'unix') return { transport: 'unix', path: path.join(await res.tempDir(), 'rt.sock') };
  return { transport: kind };
}

describe.each(['tcp', 'tcp6', 'unix'] as const)('%s round trip', (kind) => {
  it('carries bytes both ways and reports addresses and URLs', async () => {
    const listener = res.listener(await listen(await endpoints(kind)));
    const { address } = listener;
    expect(address.transport).toBe(kind);
    if (kind === 'tcp') {
      expect(address.host).toBe('127.0.0.1');
      expect(address.port).toBeGreaterThan(0);
      expect(address.url).toBe(`tcp://127.0.0.1:${address.port}`);
    } else if (kind === 'tcp6') {
      expect(address.host).toBe('::1');
      expect(address.port).toBeGreaterThan(0);
      expect(address.url).toBe(`tcp6://[::1]:${address.port}`);
    } else {
      expect(address.port).toBe(0);
      expect(path.isAbsolute(address.host)).toBe(true);
      expect(address.url).toBe(`unix://${address.host}`);
    }

    const accepted = nextChannel(listener);
    const target: ConnectOptions =
      kind === 'unix' ? { transport: 'unix', path: address.host } : { transport: kind, port: address.port };
    const client = res.channel(await connect(target));
    const server = await accepted;

    if (kind !== 'unix') {
      expect(client.remote.port).toBe(address.port);
      expect(server.remote.port).toBe(client.local.port);
      expect(server.remote.label).toBe(
        kind === 'tcp' ? `127.0.0.1:${client.local.port}` : `[::1]:${client.local.port}`,
      );
      expect(server.local.url).toBe(address.url);
    } else {
      expect(client.remote.host).toBe(address.host);
      expect(server.remote.label).toMatch(new RegExp(`^${address.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#\\d+$`));
    }

    const toServer = readBytes(server, 5);
    client.write(new TextEncoder().encode('hello'));
    expect((await toServer).toString()).toBe('hello');

    const toClient = readBytes(client, 6);
    server.write(new TextEncoder().encode('world!'));
    expect((await toClient).toString()).toBe('world!');

    const serverClosed = once((l) => server.onClose(l));
    client.end();
    server.onEnd(() => server.end());
    await serverClosed;
    expect(server.closed).toBe(true);
  });
});
