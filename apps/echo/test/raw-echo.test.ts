import dgram from 'node:dgram';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connectTo, type ListeningAddress, runProgram, startServer, stopAllPrograms } from '@sockspec/app-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const sockets: Socket[] = [];
const datagramSockets: dgram.Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const socket of datagramSockets.splice(0)) socket.close();
  await stopAllPrograms();
});

const echoServer = async (args: readonly string[]) =>
  (await startServer({ cwd, script: 'src/server.ts', args: ['--port', '0', ...args] })).address;

/** Writes `payload` with no line ending and collects what comes back until `expected` bytes arrived. */
async function roundTrip(address: ListeningAddress, payload: string, expected: number): Promise<string> {
  const socket = connectTo(address);
  sockets.push(socket);
  await once(socket, 'connect');
  socket.write(payload);
  let received = Buffer.alloc(0);
  while (received.length < expected) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    received = Buffer.concat([received, chunk]);
  }
  return received.toString('utf8');
}

describe("sockspec-echo-server (the tutorials' echo: no framing)", () => {
  it('sends back bytes that carry no line ending, as they came', async () => {
    const address = await echoServer([]);
    expect(await roundTrip(address, 'hello', 5)).toBe('hello');
    expect(await roundTrip(address, 'h\u00e9llo \u2713', 10)).toBe('h\u00e9llo \u2713');
  });

  it.each([['async'], ['threads'], ['serial']])(
    "--prefix 'echo ' puts it before every read's bytes, under --concurrency %s",
    async (model) => {
      const address = await echoServer(['--prefix', 'echo ', '--concurrency', model]);
      expect(await roundTrip(address, 'hello', 10)).toBe('echo hello');
    },
  );

  it('over udp answers each datagram with exactly its bytes, no line ending added', async () => {
    const address = await echoServer(['--transport', 'udp']);
    if ('path' in address) throw new Error('expected a udp address');
    const socket = dgram.createSocket('udp4');
    datagramSockets.push(socket);
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(data.toString('utf8')));
    socket.send('hi', address.port, address.host);
    socket.send('there', address.port, address.host);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${JSON.stringify(replies)}`)), 5000);
      socket.on('message', () => {
        if (replies.length < 2) return;
        clearTimeout(timer);
        resolve();
      });
    });
    expect(replies.sort()).toEqual(['hi', 'there']);
  });
});

describe('sockspec-echo-client', () => {
  it('sends each stdin line without its line ending, one at a time, and prints what came back', async () => {
    const address = await echoServer(['--prefix', 'echo ']);
    if ('path' in address) throw new Error('expected a tcp address');
    const result = await runProgram({
      cwd,
      script: 'src/client.ts',
      args: ['--host', address.host, '--port', String(address.port)],
      input: 'hello\nw\u00f6rld\n',
    });
    expect(result.stderr).toEqual([]);
    expect(result.stdout).toEqual(['echo hello', 'echo w\u00f6rld']);
    expect(result.code).toBe(0);
  });
});
