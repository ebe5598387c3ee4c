import dgram from 'node:dgram';
import { once } from 'node:events';
import { serial } from '@sockspec/concurrency';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from './helpers/harness.js';
import { lineProtocol } from './helpers/line-protocol.js';

const sockets: dgram.Socket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function udpPeer(type: 'udp4' | 'udp6', host: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket(type);
  sockets.push(socket);
  socket.bind(0, host);
  await once(socket, 'listening');
  return socket;
}

async function exchange(socket: dgram.Socket, port: number, host: string, datagram: string): Promise<string> {
  const reply = once(socket, 'message');
  socket.send(datagram, port, host);
  const [message] = (await reply) as [Buffer];
  return message.toString('utf8');
}

describe('a line protocol over datagram transports', () => {
  it('udp: one request per datagram, with or without its line ending; replies carry "\\n"', async () => {
    const { server } = await startServer(lineProtocol(), { transport: 'udp', host: '127.0.0.1', port: 0 });
    const port = server.address!.port;
    const peer = await udpPeer('udp4', '127.0.0.1');
    expect(await exchange(peer, port, '127.0.0.1', 'echo hi')).toBe('hi\n');
    expect(await exchange(peer, port, '127.0.0.1', 'echo there\n')).toBe('there\n');
    expect(await exchange(peer, port, '127.0.0.1', 'echo windows\r\n')).toBe('windows\n');
  });

  it('udp6: two datagrams are two requests, even without line endings', async () => {
    const { server } = await startServer(lineProtocol(), { transport: 'udp6', host: '::1', port: 0 });
    const peer = await udpPeer('udp6', '::1');
    const port = server.address!.port;
    expect(await exchange(peer, port, '::1', 'echo one')).toBe('one\n');
    expect(await exchange(peer, port, '::1', 'echo two')).toBe('two\n');
  });

  it('serial over udp serves each datagram as its own request, so peers take turns (socketserver.UDPServer)', async () => {
    const log: string[] = [];
    const { server } = await startServer(lineProtocol(), {
      transport: 'udp',
      host: '127.0.0.1',
      port: 0,
      concurrency: serial(),
      log: (line) => log.push(line),
    });
    const port = server.address!.port;
    const [a, b] = await Promise.all([udpPeer('udp4', '127.0.0.1'), udpPeer('udp4', '127.0.0.1')]);
    // Under per-peer channels b would wait for a's channel to idle out (60 s) before it got the one slot.
    expect(await exchange(a, port, '127.0.0.1', 'echo a1')).toBe('a1\n');
    expect(await exchange(b, port, '127.0.0.1', 'echo b1')).toBe('b1\n');
    expect(await exchange(a, port, '127.0.0.1', 'echo a2')).toBe('a2\n');
    expect(await exchange(b, port, '127.0.0.1', 'echo b2')).toBe('b2\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.connectionCount).toBe(0);
    expect(log).toEqual([]);
  });
});
