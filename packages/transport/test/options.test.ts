import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, listen } from '../src/index.js';
import { nextChannel, Resources, readBytes } from './harness.js';

const res = new Resources();
afterEach(async () => {
  vi.restoreAllMocks();
  await res.closeAll();
});

/**
 * Node cannot read TCP_NODELAY or SO_KEEPALIVE back from a socket (there is no
 * getsockopt binding), so these tests observe the calls that set them on the
 * very sockets behind the channels.
 */
function socketCalls(method: 'setNoDelay' | 'setKeepAlive', localPort: () => number) {
  const spy = vi.spyOn(net.Socket.prototype, method);
  return () =>
    spy.mock.calls.filter((_, i) => (spy.mock.contexts[i] as net.Socket).localPort === localPort()).map((args) => args);
}

describe('socket options', () => {
  it('disables Nagle by default on both ends', async () => {
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    const listener = res.listener(await listen({ transport: 'tcp' }));
    const accepted = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'tcp', port: listener.address.port }));
    await accepted;
    // Client and server sockets are told apart by which end holds the client's port.
    const callsWhere = (match: (socket: net.Socket) => boolean) =>
      noDelay.mock.calls.filter((_, i) => match(noDelay.mock.contexts[i] as net.Socket));
    expect(callsWhere((s) => s.localPort === client.local.port)).toEqual([[true]]);
    expect(callsWhere((s) => s.remotePort === client.local.port)).toEqual([[true]]);
  });

  it('honours noDelay: false and keepAlive with an initial delay', async () => {
    const listener = res.listener(await listen({ transport: 'tcp' }));
    let port = 0;
    const noDelay = socketCalls('setNoDelay', () => port);
    const keepAlive = socketCalls('setKeepAlive', () => port);
    const client = res.channel(
      await connect({ transport: 'tcp', port: listener.address.port, noDelay: false, keepAlive: 1500 }),
    );
    port = client.local.port;
    expect(noDelay()).toEqual([[false]]);
    expect(keepAlive()).toEqual([[true, 1500]]);
  });

  it('tcp6 with ipv6Only: false accepts IPv4 peers on a wildcard address', async () => {
    const listener = res.listener(await listen({ transport: 'tcp6', host: '::', ipv6Only: false }));
    expect(listener.address.url).toBe(`tcp6://[::]:${listener.address.port}`);
    const accepted = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'tcp', port: listener.address.port }));
    const server = await accepted;
    expect(server.remote.host).toBe('::ffff:127.0.0.1');
    const got = readBytes(server, 1);
    client.write(Uint8Array.of(4));
    expect([...(await got)]).toEqual([4]);
  });

  it('tcp6 with ipv6Only: true refuses IPv4 peers', async () => {
    const listener = res.listener(await listen({ transport: 'tcp6', host: '::', ipv6Only: true }));
    await expect(connect({ transport: 'tcp', port: listener.address.port })).rejects.toMatchObject({
      syscallCode: 'ECONNREFUSED',
    });
    const v6 = res.channel(await connect({ transport: 'tcp6', port: listener.address.port }));
    expect(v6.remote.host).toBe('::1');
  });
});
