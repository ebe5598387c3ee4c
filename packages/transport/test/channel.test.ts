import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ByteChannel, connect, type Listener, listen, type SocketOptions } from '../src/index.js';
import { closedWith, nextChannel, once, Resources, readBytes } from './harness.js';

const res = new Resources();
afterEach(async () => {
  vi.restoreAllMocks();
  await res.closeAll();
});

async function pair(
  options: SocketOptions = {},
): Promise<{ client: ByteChannel; server: ByteChannel; listener: Listener }> {
  const listener = res.listener(await listen({ transport: 'tcp', ...options }));
  const accepted = nextChannel(listener);
  const client = res.channel(await connect({ transport: 'tcp', port: listener.address.port, ...options }));
  return { client, server: await accepted, listener };
}

/** Calls into the client socket's _write/_writev: one per batch handed to the kernel. */
function spyOnSocketWrites(client: ByteChannel): () => { write: number; writev: number } {
  const write = vi.spyOn(net.Socket.prototype, '_write');
  const writev = vi.spyOn(net.Socket.prototype, '_writev');
  const mine = (ctx: unknown) => (ctx as net.Socket).localPort === client.local.port;
  return () => ({
    write: write.mock.contexts.filter(mine).length,
    writev: writev.mock.contexts.filter(mine).length,
  });
}

describe('write batching', () => {
  it('sends many small writes of one tick intact, in order, in one write', async () => {
    const { client, server } = await pair();
    const calls = spyOnSocketWrites(client);
    const received = readBytes(server, 200 * 4);
    for (let i = 0; i < 200; i++) {
      const chunk = new Uint8Array(4);
      new DataView(chunk.buffer).setUint32(0, i);
      expect(client.write(chunk)).toBe(true);
    }
    expect(client.pendingWriteBytes).toBe(800);
    const bytes = await received;
    expect(bytes.length).toBe(800);
    for (let i = 0; i < 200; i++) expect(bytes.readUInt32BE(i * 4)).toBe(i);
    expect(calls()).toEqual({ write: 1, writev: 0 });
  });

  it('sends a large burst by one writev without copying it together', async () => {
    const { client, server } = await pair();
    const calls = spyOnSocketWrites(client);
    const chunks = [0, 1, 2, 3].map((n) => new Uint8Array(12 * 1024).fill(n + 1));
    const received = readBytes(server, 4 * 12 * 1024);
    for (const chunk of chunks) client.write(chunk);
    expect(Buffer.compare(await received, Buffer.concat(chunks))).toBe(0);
    expect(calls()).toEqual({ write: 0, writev: 1 });
  });

  it('flushes once per tick across ticks', async () => {
    const { client, server } = await pair();
    const calls = spyOnSocketWrites(client);
    const received = readBytes(server, 30);
    for (let tick = 0; tick < 3; tick++) {
      for (let i = 0; i < 10; i++) client.write(Uint8Array.of(tick * 10 + i));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect([...(await received)]).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const { write, writev } = calls();
    expect(write + writev).toBe(3);
  });
});

describe('backpressure', () => {
  it('returns false once a non-reading peer backs up the socket, and drains when it reads', async () => {
    const { client, server } = await pair();
    // The server registers no onData yet, so it reads nothing and the kernel
    // buffers fill; the bound keeps a broken implementation from looping forever.
    const chunk = new Uint8Array(16 * 1024).fill(7);
    const maxBytes = 64 * 1024 * 1024;
    let written = 0;
    let accepted = true;
    while (accepted && written < maxBytes) {
      accepted = client.write(chunk);
      written += chunk.byteLength;
      if (accepted) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(accepted).toBe(false);
    expect(client.pendingWriteBytes).toBeGreaterThanOrEqual(64 * 1024);

    const drained = once((l) => client.onDrain(l));
    const received = readBytes(server, written);
    await drained;
    expect(client.pendingWriteBytes).toBeLessThan(64 * 1024);
    expect((await received).length).toBe(written);
  });

  it('pays a drain below the socket’s own high-water mark', async () => {
    // 1 KiB is far under net.Socket's 16 KiB mark, so the socket itself never
    // emits 'drain'; the channel must notice the flush completing.
    const { client } = await pair({ writeHighWaterMark: 1024 });
    expect(client.write(new Uint8Array(2048))).toBe(false);
    await once((l) => client.onDrain(l));
    expect(client.pendingWriteBytes).toBe(0);
    expect(client.write(new Uint8Array(10))).toBe(true);
  });

  it('destroys the channel rather than queue past maxWriteQueueBytes', async () => {
    const { client } = await pair({ writeHighWaterMark: 1024, maxWriteQueueBytes: 64 * 1024 });
    const closed = closedWith(client);
    expect(client.write(new Uint8Array(100 * 1024))).toBe(false);
    expect(client.closed).toBe(true);
    expect(client.pendingWriteBytes).toBe(0);
    const error = await closed;
    expect(error).toMatchObject({ code: 'SOCKSPEC_WRITE_QUEUE_FULL', limit: 64 * 1024, attempted: 100 * 1024 });
  });

  it('pause() stops data and resume() restarts it', async () => {
    const { client, server } = await pair();
    const seen: string[] = [];
    server.pause();
    server.onData((chunk) => seen.push(Buffer.from(chunk).toString()));
    client.write(new TextEncoder().encode('held'));
    // The client's own data echo proves a full round trip happened while the
    // server stayed paused.
    const ping = readBytes(client, 4);
    server.write(new TextEncoder().encode('ping'));
    await ping;
    const clientReceived = readBytes(client, 4);
    client.write(new TextEncoder().encode('more'));
    server.write(new TextEncoder().encode('pong'));
    await clientReceived;
    expect(seen).toEqual([]);
    const arrived = new Promise<void>((resolve) => server.onData(() => resolve()));
    server.resume();
    await arrived;
    expect(seen.join('')).toBe('heldmore');
  });
});

describe('half-close and close', () => {
  it('lets the server reply after the client half-closes', async () => {
    const { client, server } = await pair();
    const serverEnded = once((l) => server.onEnd(l));
    const request = readBytes(server, 3);
    client.write(new TextEncoder().encode('req'));
    client.end();
    expect((await request).toString()).toBe('req');
    await serverEnded;
    expect(server.closed).toBe(false);

    const reply = readBytes(client, 5);
    const clientEnded = once((l) => client.onEnd(l));
    server.write(new TextEncoder().encode('reply'));
    server.end();
    expect((await reply).toString()).toBe('reply');
    await clientEnded;
    expect(await closedWith(server)).toBeUndefined();
    expect(await closedWith(client)).toBeUndefined();
  });

  it('refuses write() after end()', async () => {
    const { client } = await pair();
    client.end();
    expect(() => client.write(Uint8Array.of(1))).toThrow(/write\(\) after end\(\)/);
  });

  it('reports close exactly once, with the destroy error, even to late listeners', async () => {
    const { client, server } = await pair();
    const calls: (Error | undefined)[] = [];
    client.onClose((error) => calls.push(error));
    const boom = new Error('boom');
    const serverEnded = once((l) => server.onEnd(l));
    server.onData(() => undefined);
    client.destroy(boom);
    client.destroy(new Error('second'));
    expect(client.closed).toBe(true);
    expect(await closedWith(client)).toBe(boom);
    expect(calls).toEqual([boom]);
    expect(client.write(Uint8Array.of(1))).toBe(false);
    // destroy() sends FIN; the server is half-open and only sees end of input.
    await serverEnded;
    expect(server.closed).toBe(false);
  });

  it('delivers bytes that arrive before anyone listens for them', async () => {
    const { client, server } = await pair();
    const serverEnded = once((l) => server.onEnd(l));
    client.write(new TextEncoder().encode('early'));
    client.end();
    // A round trip the other way, so 'early' and the FIN have reached the
    // server's socket before it asks for data.
    const pong = readBytes(client, 1);
    server.write(Uint8Array.of(1));
    await pong;
    expect(client.pendingWriteBytes).toBe(0);
    const received = readBytes(server, 5);
    expect((await received).toString()).toBe('early');
    await serverEnded;
  });
});
