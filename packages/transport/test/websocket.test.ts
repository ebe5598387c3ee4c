import http from 'node:http';
import { isSockspecError } from '@sockspec/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, listen, parseUrl, WebSocketProtocolError } from '../src/index.js';
import {
  closedWith,
  closeSilentAndDripping,
  drip,
  nextChannel,
  once,
  openDescriptors,
  Resources,
  readBytes,
  until,
} from './harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

/** A plain ws client, to send what a well-behaved channel never would. */
async function rawClient(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  res.defer(() => ws.terminate());
  await once((done) => ws.once('open', done));
  return ws;
}

function closeOf(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe('websocket', () => {
  it.each([
    ['127.0.0.1', /^ws:\/\/127\.0\.0\.1:\d+\/chat$/],
    ['::1', /^ws:\/\/\[::1\]:\d+\/chat$/],
  ])('binary round trip over %s, one message per write, on an ephemeral port', async (host, url) => {
    const listener = res.listener(await listen({ transport: 'websocket', host, websocket: { path: '/chat' } }));
    expect(listener.address.url).toMatch(url);
    const accepted = nextChannel(listener);
    const client = res.channel(await connect(parseUrl(listener.address.url)));
    expect(client.remote.transport).toBe('websocket');
    const server = await accepted;
    const messages: number[][] = [];
    server.onData((chunk) => messages.push([...chunk]));
    client.write(Uint8Array.of(1, 2));
    client.write(Uint8Array.of(3));
    const back = readBytes(client, 3);
    await until(() => messages.length === 2, 'two messages');
    expect(messages).toEqual([[1, 2], [3]]);
    server.write(Uint8Array.of(7, 8, 9));
    expect([...(await back)]).toEqual([7, 8, 9]);
  });

  it('emits drain after a write past the high-water mark, even for one message bigger than the mark', async () => {
    const listener = res.listener(await listen({ transport: 'websocket' }));
    const accepted = nextChannel(listener);
    const client = res.channel(await connect(parseUrl(listener.address.url)));
    const server = await accepted;
    let received = 0;
    server.onData((chunk) => {
      received += chunk.byteLength;
    });
    let drains = 0;
    client.onDrain(() => {
      drains += 1;
    });
    // Default high-water mark is 64 KiB: one 100 KiB message crosses it on its own.
    expect(client.write(new Uint8Array(100 * 1024))).toBe(false);
    await until(() => drains === 1, 'a drain after the big message went out');
    expect(client.write(new Uint8Array(10))).toBe(true);
    await until(() => received === 100 * 1024 + 10, 'both messages at the server');
  });

  it('closes on a text message with a log line and a clear error', async () => {
    const logs: string[] = [];
    const listener = res.listener(await listen({ transport: 'websocket', transportLog: (line) => logs.push(line) }));
    const accepted = nextChannel(listener);
    const ws = await rawClient(listener.address.url);
    const server = await accepted;
    server.onData(() => {});
    const closed = closedWith(server);
    const peerClose = closeOf(ws);
    ws.send('hello as text');
    const error = await closed;
    expect(error).toBeInstanceOf(WebSocketProtocolError);
    expect(error?.message).toMatch(/sent a text message; this transport carries binary messages only/);
    expect(await peerClose).toBe(1003);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^ws:\/\/127\.0\.0\.1:\d+\/: 127\.0\.0\.1:\d+ sent a text message.*closing the connection \(1003\)$/,
    );
  });

  it('closes on a message over maxMessageBytes before buffering it', async () => {
    const logs: string[] = [];
    const listener = res.listener(
      await listen({
        transport: 'websocket',
        websocket: { maxMessageBytes: 64 },
        transportLog: (line) => logs.push(line),
      }),
    );
    const accepted = nextChannel(listener);
    const ws = await rawClient(listener.address.url);
    const server = await accepted;
    server.onData(() => {});
    const closed = closedWith(server);
    const peerClose = closeOf(ws);
    ws.send(new Uint8Array(65));
    expect(isSockspecError(await closed, 'SOCKSPEC_INVALID_FRAMING')).toBe(true);
    expect(await peerClose).toBe(1009);
    expect(logs[0]).toMatch(/sent a message over websocket\.maxMessageBytes/);
  });

  it('refuses an upgrade on another path, and plain HTTP', async () => {
    const listener = res.listener(await listen({ transport: 'websocket', websocket: { path: '/only' } }));
    const { port } = listener.address;
    await expect(connect({ transport: 'websocket', port, websocket: { path: '/other' } })).rejects.toThrow(
      /answered HTTP 400 instead of switching to websocket/,
    );
    const status = await new Promise<number | undefined>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port, path: '/only' }, (response) => {
          response.resume();
          resolve(response.statusCode);
        })
        .on('error', reject),
    );
    expect(status).toBe(426);
  });

  it('allowOrigins: a browser page from another origin gets 403 and a log line; listed origins and non-browsers get in', async () => {
    const logs: string[] = [];
    const listener = res.listener(
      await listen({
        transport: 'websocket',
        websocket: { allowOrigins: ['https://chat.example', 'http://127.0.0.1:8080/'] },
        transportLog: (line) => logs.push(line),
      }),
    );
    const url = listener.address.url;
    const upgrade = (origin?: string) =>
      new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(url, origin === undefined ? {} : { origin });
        res.defer(() => ws.terminate());
        ws.once('open', () => resolve('open'));
        ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        ws.once('error', () => undefined);
      });
    expect(await upgrade('https://evil.example')).toBe(403);
    expect(await upgrade('HTTPS://Chat.Example')).toBe('open');
    expect(await upgrade('http://127.0.0.1:8080')).toBe('open');
    expect(await upgrade()).toBe('open');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /refused a websocket upgrade from 127\.0\.0\.1:\d+: origin "https:\/\/evil\.example" is not in allowOrigins/,
    );
    await expect(listen({ transport: 'websocket', websocket: { allowOrigins: ['chat.example'] } })).rejects.toThrow(
      /"chat\.example" is not an origin; write it as scheme:\/\/host\[:port\]/,
    );
  });

  it('end() is an orderly close: the peer sees onEnd, then both close without error', async () => {
    const listener = res.listener(await listen({ transport: 'websocket' }));
    const accepted = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'websocket', port: listener.address.port }));
    const server = await accepted;
    server.onData(() => {});
    const ended = once((done) => server.onEnd(done));
    const serverClosed = closedWith(server);
    const clientClosed = closedWith(client);
    client.write(Uint8Array.of(1));
    client.end();
    await ended;
    expect(await serverClosed).toBeUndefined();
    expect(await clientClosed).toBeUndefined();
  });

  it('a connect to a closed port is refused', async () => {
    const listener = await listen({ transport: 'websocket' });
    await listener.close();
    await expect(connect({ transport: 'websocket', port: listener.address.port })).rejects.toMatchObject({
      syscallCode: 'ECONNREFUSED',
    });
  });
});

describe('websocket timeouts and socket options', () => {
  it('readTimeoutMs closes a channel that receives no message', async () => {
    const listener = res.listener(await listen({ transport: 'websocket', readTimeoutMs: 50 }));
    const accepted = nextChannel(listener);
    res.channel(await connect({ transport: 'websocket', port: listener.address.port }));
    const server = await accepted;
    server.onData(() => {});
    expect(isSockspecError(await closedWith(server), 'SOCKSPEC_READ_TIMEOUT')).toBe(true);
  });

  it('closes peers that do not finish the upgrade within handshakeTimeoutMs: silent, or dripping headers', async () => {
    const listener = res.listener(
      await listen({ transport: 'websocket', websocket: { path: '/chat' }, handshakeTimeoutMs: 300 }),
    );
    const before = await openDescriptors();
    // Request headers at one byte per 50 ms: never complete, never silent for long.
    const request = new TextEncoder().encode('GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    for (const after of await closeSilentAndDripping(listener.address.port, drip(request))) {
      expect(after).toBeGreaterThanOrEqual(250);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await openDescriptors()).toBeLessThanOrEqual(before + 2);
    // An upgraded connection is no longer under the deadline.
    const accepted = nextChannel(listener);
    const client = res.channel(await connect(parseUrl(listener.address.url)));
    const server = await accepted;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.closed).toBe(false);
    const back = readBytes(client, 2);
    server.write(Uint8Array.of(7, 8));
    expect([...(await back)]).toEqual([7, 8]);
  });

  it('connectTimeoutMs bounds a handshake the server never answers', async () => {
    // A TCP listener that accepts but never speaks HTTP: the upgrade hangs.
    const silent = res.listener(await listen({ transport: 'tcp' }));
    await expect(
      connect({ transport: 'websocket', port: silent.address.port, connectTimeoutMs: 100 }),
    ).rejects.toMatchObject({ code: 'SOCKSPEC_CONNECT_TIMEOUT', timeoutMs: 100 });
  });
});
