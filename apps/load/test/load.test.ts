import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as echo from '@sockspec/protocol-echo';
import * as timestamp from '@sockspec/protocol-timestamp';
import type { ProtocolServer } from '@sockspec/server';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost, LOAD_PROTOCOLS, type LoadProtocol, runLoad, runLoadProgram } from '../src/index.js';
import { fakeIO } from './fake-io.js';

const servers: ProtocolServer[] = [];
const rawServers: Server[] = [];
const rawSockets = new Set<Socket>();
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown({ drainMs: 500 })));
  for (const socket of rawSockets) socket.destroy();
  rawSockets.clear();
  await Promise.all(
    rawServers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function echoServer(): Promise<number> {
  const server = echo.createServer(undefined, { port: 0 });
  servers.push(server);
  return (await server.listen()).port;
}

/** Accepts connections and reads, but never answers: a server the --seconds cap has to end. */
async function silentServer(): Promise<number> {
  const server = createNetServer((socket) => {
    rawSockets.add(socket);
    socket.on('error', () => undefined);
    socket.resume();
  });
  rawServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('sockspec-load against real servers', () => {
  it('echo over tcp: every reply checked, msgs/s and p50/p90/p99/max reported, exit 0', async () => {
    const port = await echoServer();
    const io = fakeIO(['echo', '--port', String(port), '--connections', '3', '--messages', '5']);
    expect(await runLoadProgram(io)).toBe(0);
    expect(io.err()).toBe('');
    expect(io.out()).toMatch(/^connections {2}3 connected$/m);
    expect(io.out()).toMatch(/^messages {5}15 in \d+\.\d{3} s = \d+ msgs\/s$/m);
    expect(io.out()).toMatch(
      /^latency {6}p50 \d+\.\d{3} ms {2}p90 \d+\.\d{3} ms {2}p99 \d+\.\d{3} ms {2}max \d+\.\d{3} ms$/m,
    );
    expect(io.out()).toMatch(/^errors {7}0 wrong replies, 0 failed connections$/m);
  });

  it('timestamp over a unix socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sockspec-load-'));
    dirs.push(dir);
    const server = timestamp.createServer(undefined, { transport: 'unix', path: join(dir, 'ts.sock') });
    servers.push(server);
    await server.listen();
    const io = fakeIO(['timestamp', '--unix', join(dir, 'ts.sock'), '-c', '2', '-n', '4']);
    expect(await runLoadProgram(io)).toBe(0);
    expect(io.out()).toMatch(/^messages {5}8 in /m);
  });

  it('echo over websocket: the transport flags reach the generated client', async () => {
    const server = echo.createServer(undefined, { transport: 'websocket', port: 0, websocket: { path: '/load' } });
    servers.push(server);
    const { port } = await server.listen();
    const io = fakeIO([
      'echo',
      '--transport',
      'websocket',
      '--port',
      String(port),
      '--ws-path',
      '/load',
      '-c',
      '2',
      '-n',
      '3',
    ]);
    expect(await runLoadProgram(io)).toBe(0);
    expect(io.out()).toMatch(/^messages {5}6 in /m);
  });

  it('a wrong reply (an echo load against a timestamp server) is counted, named, and exits 1', async () => {
    const server = timestamp.createServer(undefined, { port: 0 });
    servers.push(server);
    const { port } = await server.listen();
    const io = fakeIO(['echo', '--port', String(port), '-c', '2', '-n', '3']);
    expect(await runLoadProgram(io)).toBe(1);
    expect(io.out()).toMatch(/^errors {7}2 wrong replies, 2 failed connections$/m);
    expect(io.err()).toMatch(
      /sockspec-load: connection \d: wrong reply to Line "load c\d m0": expected "load c\d m0", got "\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] load c\d m0"/,
    );
  });

  it('a refused connection is a failure: exit 1 with the transport error', async () => {
    const port = await silentServer();
    await new Promise<void>((resolve) => rawServers.pop()!.close(() => resolve()));
    const io = fakeIO(['echo', '--port', String(port), '-c', '1', '-n', '1']);
    expect(await runLoadProgram(io)).toBe(1);
    expect(io.err()).toMatch(/connection 0: cannot connect: .*127\.0\.0\.1/);
  });

  it('--seconds caps the run even when the server never answers', async () => {
    const port = await silentServer();
    const started = performance.now();
    const result = await runLoad({
      protocol: LOAD_PROTOCOLS.get('echo')!,
      client: { transport: 'tcp', host: '127.0.0.1', port, closeTimeoutMs: 200 },
      connections: 2,
      messagesPerConnection: 1_000,
      connectConcurrency: 2,
      seconds: 1,
      timeoutMs: 60_000,
    });
    expect(result.cappedByTime).toBe(true);
    expect(result.messages).toBe(0);
    expect(result.connected).toBe(2);
    expect(result.failures).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('connects', () => {
  it('at most --connect-concurrency connects are in progress at once; all N connections run', async () => {
    let connecting = 0;
    let maxConnecting = 0;
    const pending: Array<() => void> = [];
    const requests: number[] = [];
    const protocol: LoadProtocol = {
      name: 'counting',
      async connect(_options, connection) {
        connecting += 1;
        maxConnecting = Math.max(maxConnecting, connecting);
        await new Promise<void>((resolve) => pending.push(resolve));
        connecting -= 1;
        return {
          request: async () => {
            requests.push(connection);
          },
          close: async () => undefined,
        };
      },
    };
    // Releases connects one event-loop turn at a time, so several would overlap if the bound did not hold.
    const releaser = setInterval(() => pending.shift()?.(), 1);
    try {
      const result = await runLoad({
        protocol,
        client: {},
        connections: 7,
        messagesPerConnection: 3,
        connectConcurrency: 2,
        seconds: 10,
        timeoutMs: 1000,
      });
      expect(result.connected).toBe(7);
      expect(result.messages).toBe(21);
      expect(maxConnecting).toBe(2);
      expect(new Set(requests)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    } finally {
      clearInterval(releaser);
    }
  });
});

describe('arguments', () => {
  it.each([
    [
      ['echo', '--host', '10.0.0.1', '--port', '5678'],
      /refusing to load "10\.0\.0\.1": sockspec-load only targets loopback/,
    ],
    [['echo', '--host', 'example.com', '--port', '5678'], /refusing to load "example\.com"/],
    [['echo', '--transport', 'tcp6', '--host', '2001:db8::1', '--port', '5678'], /refusing to load "2001:db8::1"/],
    [['echo'], /--port is required/],
    [['chat', '--port', '5678'], /'chat' is invalid for argument 'protocol'. Allowed choices are echo, timestamp/],
    [['echo', '--port', '5678', '--connections', '0'], /--connections.*from 1 to 10000, got '0'/],
    [['echo', '--port', '5678', '--messages', '1000001'], /from 1 to 1000000/],
    [['echo', '--port', '5678', '--seconds', '3601'], /from 1 to 3600/],
  ])('%j is a one-line usage error, exit 2, before any connection', async (argv, message) => {
    const io = fakeIO(argv);
    expect(await runLoadProgram(io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(message);
    expect(io.err().trimEnd().split('\n')).toHaveLength(1);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['128.0.0.1', false],
    ['192.168.1.1', false],
    ['::ffff:10.0.0.1', false],
    ['localhost.example.com', false],
  ])('isLoopbackHost(%j) is %j', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
