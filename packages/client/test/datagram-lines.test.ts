import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { connectProtocolClient, type ProtocolClient } from '../src/index.js';
import { isReply, line, lineClientProtocol, type ServerLine } from './helpers/fake-server.js';

const clients: ProtocolClient<ServerLine>[] = [];
const sockets: dgram.Socket[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const socket of sockets.splice(0)) socket.close();
});

/** A udp peer that answers every datagram with `reply(text)` sent as is, like Python's `sendto`. */
async function udpServer(reply: (text: string) => string): Promise<{ port: number; received: string[] }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  const received: string[] = [];
  socket.on('message', (message, from) => {
    received.push(message.toString('utf8'));
    socket.send(reply(message.toString('utf8')), from.port, from.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { port: socket.address().port, received };
}

describe('a line protocol client over udp', () => {
  it('sends each line with its "\\n" and takes replies with or without one, one per datagram', async () => {
    const endings = ['', '\n', '\r\n'];
    let n = 0;
    const server = await udpServer((text) => `${text.trimEnd()}${endings[n++ % endings.length]}`);
    const client = await connectProtocolClient(lineClientProtocol, {
      transport: 'udp',
      host: '127.0.0.1',
      port: server.port,
    });
    clients.push(client);
    for (const word of ['bare', 'lf', 'crlf']) {
      expect(await client.request(line(word), isReply)).toEqual({ type: 'reply', text: word });
    }
    expect(server.received).toEqual(['bare\n', 'lf\n', 'crlf\n']);
  });
});
