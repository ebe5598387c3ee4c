import { once } from 'node:events';
import type { Socket } from 'node:net';
import { connectTo, exchange } from '@sockspec/app-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type PingPongOptions, pingPong } from '../src/load.js';
import { createRawEchoServer, RAW_MAX_LINE_BYTES } from '../src/raw-echo-server.js';

const servers: ReturnType<typeof createRawEchoServer>[] = [];
const sockets: Socket[] = [];
const logged: string[] = [];

async function start() {
  const server = createRawEchoServer({ transport: 'tcp', port: 0, log: (line) => logged.push(line) });
  servers.push(server);
  const address = await server.listen();
  expect(address.url).toBe(`tcp://127.0.0.1:${address.port}`);
  return { transport: 'tcp' as const, host: address.host, port: address.port, url: address.url };
}

function open(address: Awaited<ReturnType<typeof start>>): Socket {
  const socket = connectTo(address);
  sockets.push(socket);
  return socket;
}

function load(port: number, options: Partial<PingPongOptions>) {
  return pingPong({
    host: '127.0.0.1',
    port,
    connections: 1,
    messageBytes: 64,
    warmupMs: 0,
    durationMs: 200,
    maxMessages: 1_000_000,
    ...options,
  });
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.shutdown({ drainMs: 0 })));
  logged.length = 0;
});

describe('the raw node:net echo baseline', () => {
  it('echoes complete lines only, including lines split across writes', async () => {
    const address = await start();
    const socket = open(address);
    await once(socket, 'connect');
    const reply = exchange(socket, 'one\ntw', 2);
    socket.write('o\n');
    expect(await reply).toBe('one\ntwo\n');
  });

  it('drops a peer whose line passes the limit and logs it', async () => {
    const address = await start();
    const socket = open(address);
    const closed = once(socket, 'close');
    socket.write('y'.repeat(RAW_MAX_LINE_BYTES + 10));
    await closed;
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(String(RAW_MAX_LINE_BYTES));
  });
});

describe('pingPong', () => {
  it('measures replies on several connections and finds none wrong', async () => {
    const address = await start();
    const result = await load(address.port, { connections: 4, warmupMs: 50 });
    expect(result.failures).toEqual([]);
    expect(result.wrongReplies).toBe(0);
    expect(result.messages).toBeGreaterThan(0);
    expect(result.histogram.count).toBe(result.messages);
    expect(result.messagesPerSecond).toBeGreaterThan(0);
    expect(result.histogram.quantile(0.5)).toBeGreaterThan(0);
  });

  it('stops at maxMessages', async () => {
    const address = await start();
    const result = await load(address.port, { connections: 2, durationMs: 10_000, maxMessages: 100 });
    expect(result.messages).toBe(100);
    expect(result.elapsedMs).toBeLessThan(10_000);
  });

  it('counts a reply that differs from the request as wrong', async () => {
    const { createServer } = await import('node:net');
    // Answers with the right length but one wrong byte, the bug a checksum-less benchmark would miss.
    const liar = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        const copy = Buffer.from(chunk);
        copy[0] = 0x21;
        socket.write(copy);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = liar.address() as { port: number };
      const result = await load(port, { maxMessages: 10 });
      expect(result.wrongReplies).toBe(1);
      expect(result.failures).toEqual(['connection 0: reply differs from the request at byte 0']);
    } finally {
      await new Promise((resolve) => liar.close(resolve));
    }
  });
});
