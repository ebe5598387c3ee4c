import net from 'node:net';
import { join } from 'node:path';
import { isSockspecError } from '@sockspec/errors';
import { describe, expect, it } from 'vitest';
import { connectPeer, createServer, startServer, tempDir } from './helpers/harness.js';
import { lineProtocol } from './helpers/line-protocol.js';

describe('listen and request/reply', () => {
  it('serves over tcp and reports the real port when asked for port 0', async () => {
    const { server, connect } = await startServer(lineProtocol(), { port: 0 });
    const address = server.address!;
    expect(address.transport).toBe('tcp');
    expect(address.host).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    expect(address.url).toBe(`tcp://127.0.0.1:${address.port}`);
    const peer = await connect();
    expect(await peer.request('echo hello world')).toBe('hello world');
    expect(await peer.request('echo again')).toBe('again');
  });

  it('serves over tcp6 on ::1', async () => {
    const { server, connect } = await startServer(lineProtocol(), { transport: 'tcp6', host: '::1' });
    expect(server.address!.transport).toBe('tcp6');
    expect(server.address!.host).toBe('::1');
    const peer = await connect();
    expect(await peer.request('echo over v6')).toBe('over v6');
  });

  it('serves over a unix socket path', async () => {
    const path = join(tempDir(), 'line.sock');
    const { server, connect } = await startServer(lineProtocol(), { transport: 'unix', path });
    expect(server.address!.host).toBe(path);
    expect(server.address!.url).toBe(`unix://${path}`);
    const peer = await connect();
    expect(await peer.request('echo over unix')).toBe('over unix');
  });

  it('refuses a second listen() with SOCKSPEC_SERVER_STATE', async () => {
    const { server } = await startServer(lineProtocol());
    const second = await server.listen().then(
      () => null,
      (error: unknown) => error,
    );
    expect(isSockspecError(second, 'SOCKSPEC_SERVER_STATE')).toBe(true);
    expect(String(second)).toMatch(/line: listen\(\) was already called/);
  });

  it('gives 50 concurrent clients doing 20 requests each exactly their own replies', async () => {
    const { connect } = await startServer(lineProtocol());
    const peers = await Promise.all(Array.from({ length: 50 }, () => connect()));
    const results = await Promise.all(
      peers.map(async (peer, client) => {
        const replies: (string | null)[] = [];
        for (let request = 0; request < 20; request++) {
          // Every third request waits a little, so replies of different clients interleave.
          const line = request % 3 === 0 ? `slow 1 c${client} r${request}` : `echo c${client} r${request}`;
          replies.push(await peer.request(line));
        }
        return replies;
      }),
    );
    results.forEach((replies, client) => {
      expect(replies).toEqual(Array.from({ length: 20 }, (_, request) => `c${client} r${request}`));
    });
  });

  it('answers pipelined requests in order even when earlier handlers are slower', async () => {
    const { connect } = await startServer(lineProtocol());
    const peer = await connect();
    peer.sendRaw('slow 30 first\necho second\nslow 5 third\necho fourth\n');
    const replies = [await peer.nextLine(), await peer.nextLine(), await peer.nextLine(), await peer.nextLine()];
    expect(replies).toEqual(['first', 'second', 'third', 'fourth']);
  });

  it('passes socket options to the transport and closes the connection on request', async () => {
    const { connect } = await startServer(lineProtocol(), { noDelay: false, keepAlive: 1000, backlog: 16 });
    const peer = await connect();
    expect(await peer.request('echo fine')).toBe('fine');
    peer.send('close');
    await peer.closed;
    expect(peer.serverEnded).toBe(true);
  });
});

describe('shutdown', () => {
  it('lets an in-flight handler finish and delivers its reply before closing; idle peers close at once', async () => {
    const protocol = lineProtocol();
    const { server, connect } = await startServer(protocol);
    const busy = await connect();
    const idle = await connect();
    expect(await idle.request('echo idle')).toBe('idle');
    busy.send('hold finished in time');
    await protocol.gate.reached;

    let resolved = false;
    const shutdown = server.shutdown({ drainMs: 10_000 }).then(() => {
      resolved = true;
    });
    await idle.closed;
    expect(resolved).toBe(false);

    protocol.gate.open();
    expect(await busy.nextLine()).toBe('finished in time');
    await busy.closed;
    await shutdown;
    expect(server.connectionCount).toBe(0);
    // Idempotent: a second call resolves too.
    await server.shutdown();
  });

  it('cuts off a handler slower than drainMs, resolves, and releases the port', async () => {
    const protocol = lineProtocol();
    const finished: unknown[] = [];
    const { server, connect, logs } = await startServer(protocol, {
      hooks: { finish: (_connection, error) => void finished.push(error) },
    });
    const port = server.address!.port;
    const peer = await connect();
    peer.send('hold never answered');
    await protocol.gate.reached;

    await server.shutdown({ drainMs: 50 });
    await peer.closed;
    expect(await peer.nextLine()).toBeNull();
    expect(finished).toHaveLength(1);
    expect(isSockspecError(finished[0], 'SOCKSPEC_CONNECTION_CLOSED')).toBe(true);
    expect(logs).toEqual([
      expect.stringMatching(
        /^line: 127\.0\.0\.1:\d+: still open 50 ms after shutdown began \(drainMs\); destroying connection$/,
      ),
    ]);

    // The address is free again.
    const reuse = net.createServer();
    await new Promise<void>((resolve, reject) => {
      reuse.once('error', reject);
      reuse.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => reuse.close(() => resolve()));

    const again = await server.listen().then(
      () => null,
      (error: unknown) => error,
    );
    expect(isSockspecError(again, 'SOCKSPEC_SERVER_STATE')).toBe(true);
    protocol.gate.open();
  });

  it('resolves serveForever() once shutdown completes', async () => {
    const { server } = createServer(lineProtocol());
    await server.listen();
    let served = false;
    const serving = server.serveForever().then(() => {
      served = true;
    });
    const peer = await connectPeer(server);
    expect(await peer.request('echo up')).toBe('up');
    expect(served).toBe(false);
    await server.shutdown();
    await serving;
    expect(served).toBe(true);
  });

  it('resolves shutdown() of a server that never listened', async () => {
    const { server } = createServer(lineProtocol());
    await server.shutdown();
    expect(server.address).toBeNull();
  });
});
