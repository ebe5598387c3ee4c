import { isSockspecError } from '@sockspec/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AddressInUseError,
  connect,
  type DatagramChannel,
  type DatagramListener,
  InvalidAddressError,
  listen,
  ReadTimeoutError,
} from '../src/index.js';
import { closedWith, nextChannel, once, Resources } from './harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

describe('closeMode', () => {
  it("'reset' aborts with RST: the peer sees ECONNRESET", async () => {
    const listener = res.listener(await listen({ transport: 'tcp' }));
    const accepted = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'tcp', port: listener.address.port, closeMode: 'reset' }));
    const server = await accepted;
    server.onData(() => {});
    const serverClosed = closedWith(server);
    client.destroy();
    const error = await serverClosed;
    expect(isSockspecError(error, 'SOCKSPEC_CONNECTION_CLOSED')).toBe(true);
    expect(error).toMatchObject({ syscallCode: 'ECONNRESET' });
  });

  it("'graceful' (the default) closes with FIN: the peer sees an end, no error", async () => {
    const listener = res.listener(await listen({ transport: 'tcp' }));
    const accepted = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'tcp', port: listener.address.port }));
    const server = await accepted;
    server.onData(() => {});
    const ended = once((done) => server.onEnd(done));
    client.destroy();
    await ended;
    server.end();
    expect(await closedWith(server)).toBeUndefined();
  });

  it('is refused where there is no connection to reset', async () => {
    await expect(listen({ transport: 'udp', closeMode: 'reset' })).rejects.toThrow(
      /option closeMode: reset does not apply to transport udp/,
    );
    const dir = await res.tempDir();
    await expect(listen({ transport: 'unix', path: `${dir}/s.sock`, closeMode: 'reset' })).rejects.toThrow(
      /RST is TCP/,
    );
  });
});

describe('readTimeoutMs', () => {
  it('closes a stream channel that receives nothing for that long', async () => {
    const listener = res.listener(await listen({ transport: 'tcp', readTimeoutMs: 50 }));
    const accepted = nextChannel(listener);
    res.channel(await connect({ transport: 'tcp', port: listener.address.port }));
    const server = await accepted;
    server.onData(() => {});
    const error = await closedWith(server);
    expect(error).toBeInstanceOf(ReadTimeoutError);
    expect(error?.message).toMatch(/nothing received from 127\.0\.0\.1:\d+ on tcp:\/\/127\.0\.0\.1:\d+ within 50 ms/);
  });

  it('closes a datagram client that hears nothing back', async () => {
    const listener = res.listener(await listen({ transport: 'udp' }));
    const client = res.channel(await connect({ transport: 'udp', port: listener.address.port, readTimeoutMs: 50 }));
    expect(isSockspecError(await closedWith(client), 'SOCKSPEC_READ_TIMEOUT')).toBe(true);
  });
});

describe('socket buffer sizes', () => {
  it('udp: sets SO_SNDBUF / SO_RCVBUF, read back from the kernel', async () => {
    const small = res.listener(
      await listen({ transport: 'udp', sendBufferSize: 16 * 1024, receiveBufferSize: 32 * 1024 }),
    ) as DatagramListener;
    const large = res.listener(
      await listen({ transport: 'udp', sendBufferSize: 64 * 1024, receiveBufferSize: 128 * 1024 }),
    ) as DatagramListener;
    // Linux doubles the value asked for; other kernels report it as is.
    const factor = process.platform === 'linux' ? 2 : 1;
    expect(small.bufferSizes()).toEqual({ send: 16 * 1024 * factor, receive: 32 * 1024 * factor });
    expect(large.bufferSizes()).toEqual({ send: 64 * 1024 * factor, receive: 128 * 1024 * factor });
    const client = res.channel(
      await connect({ transport: 'udp', port: small.address.port, sendBufferSize: 24 * 1024 }),
    ) as DatagramChannel;
    expect(client.bufferSizes().send).toBe(24 * 1024 * factor);
  });

  it.each(['tcp', 'tcp6', 'tls', 'websocket'] as const)(
    '%s: refused, since Node cannot set them',
    async (transport) => {
      const attempt = listen({ transport, sendBufferSize: 65536 });
      await expect(attempt).rejects.toThrow(InvalidAddressError);
      await expect(listen({ transport, receiveBufferSize: 65536 })).rejects.toThrow(
        /receiveBufferSize does not apply to transport .*: Node has no API to set SO_SNDBUF\/SO_RCVBUF/,
      );
    },
  );
});

describe('reuseAddress', () => {
  it('udp: two sockets may share a port only when both ask', async () => {
    const first = res.listener(await listen({ transport: 'udp', reuseAddress: true }));
    const second = res.listener(await listen({ transport: 'udp', port: first.address.port, reuseAddress: true }));
    expect(second.address.port).toBe(first.address.port);
    const lone = res.listener(await listen({ transport: 'udp' }));
    await expect(listen({ transport: 'udp', port: lone.address.port })).rejects.toThrow(AddressInUseError);
  });

  it('tcp: a port whose connection is in TIME_WAIT can be listened on again at once', async () => {
    const listener = await listen({ transport: 'tcp', reuseAddress: true });
    const port = listener.address.port;
    const accepted = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'tcp', port }));
    const server = await accepted;
    client.onData(() => {});
    server.onData(() => {});
    // The server closes first, so its end of the connection (on `port`) is the one left in TIME_WAIT.
    const clientEnded = once((done) => client.onEnd(done));
    server.end();
    await clientEnded;
    client.end();
    await closedWith(server);
    await listener.close();
    const again = res.listener(await listen({ transport: 'tcp', port, reuseAddress: true }));
    expect(again.address.port).toBe(port);
  });

  it('tcp: false is refused rather than silently ignored; unix paths have no address to share', async () => {
    await expect(listen({ transport: 'tcp', reuseAddress: false })).rejects.toThrow(/libuv always sets SO_REUSEADDR/);
    const dir = await res.tempDir();
    await expect(listen({ transport: 'unix', path: `${dir}/s.sock`, reuseAddress: true })).rejects.toThrow(
      /reuseAddress does not apply to transport unix/,
    );
  });
});

describe('options that do not fit the transport', () => {
  it('are refused with the option and the transport named', async () => {
    await expect(listen({ transport: 'tcp', maxDatagramPeers: 4 })).rejects.toThrow(
      /maxDatagramPeers does not apply to transport tcp: it is for datagram transports/,
    );
    await expect(listen({ transport: 'udp', backlog: 8 })).rejects.toThrow(/datagram sockets have no accept queue/);
    await expect(listen({ transport: 'udp', keepAlive: true })).rejects.toThrow(/no connection to keep alive/);
    await expect(listen({ transport: 'tcp', websocket: { path: '/x' } })).rejects.toThrow(/websocket transport only/);
    await expect(listen({ transport: 'udp', maxDatagramBytes: 70_000 })).rejects.toThrow(
      /maxDatagramBytes must be an integer 1–65507, got 70000/,
    );
    await expect(connect({ transport: 'tcp', port: 1, readTimeoutMs: 0 })).rejects.toThrow(/readTimeoutMs must be/);
  });
});
