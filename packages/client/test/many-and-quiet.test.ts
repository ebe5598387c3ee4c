import { afterEach, describe, expect, it } from 'vitest';
import { connectProtocolClient, type ProtocolClient } from '../src/index.js';
import { fakeServer, isReply, line, lineClientProtocol, onLines, type ServerLine } from './helpers/fake-server.js';

const clients: ProtocolClient<ServerLine>[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

async function connect(options: Parameters<typeof connectProtocolClient>[1]): Promise<ProtocolClient<ServerLine>> {
  const client = await connectProtocolClient(lineClientProtocol, options);
  clients.push(client);
  return client;
}

describe('a request answered by many replies', () => {
  it('yields every reply in order up to the end, which it leaves out (until) or keeps (through)', async () => {
    const options = await fakeServer((socket) =>
      onLines(socket, (text) => {
        if (text === 'list') socket.write('item a\nitem b\nPUSH meanwhile\nitem c\nend\n');
      }),
    );
    const client = await connect(options);
    const pushes: string[] = [];
    client.onMessage((message) => pushes.push(message.text));
    const isEnd = (reply: ServerLine): boolean => reply.text === 'end';
    const texts: string[] = [];
    for await (const reply of client.requestMany(line('list'), isReply, isEnd, false)) texts.push(reply.text);
    expect(texts).toEqual(['item a', 'item b', 'item c']);
    expect(pushes).toEqual(['meanwhile']);
    const kept = await client.requestMany(line('list'), isReply, isEnd, true).all();
    expect(kept.map((reply) => reply.text)).toEqual(['item a', 'item b', 'item c', 'end']);
  });

  it('fails with SOCKSPEC_REQUEST_TIMEOUT when the replies stop before the end, and takes the request off the list', async () => {
    const options = await fakeServer((socket) =>
      onLines(socket, (text) => {
        if (text === 'stall') socket.write('item a\n');
        if (text === 'ping') socket.write('pong\n');
      }),
    );
    const client = await connect(options);
    const stream = client.requestMany(line('stall'), isReply, (reply) => reply.text === 'end', false, {
      timeoutMs: 100,
    });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const reply of stream) seen.push(reply.text);
      })(),
    ).rejects.toMatchObject({ code: 'SOCKSPEC_REQUEST_TIMEOUT' });
    expect(seen).toEqual(['item a']);
    expect((await client.request(line('ping'), isReply)).text).toBe('pong');
  });

  it('rejects an encode error on the stream, without sending anything', async () => {
    const client = await connect(await fakeServer(() => {}));
    const stream = client.requestMany(
      () => {
        throw new RangeError('field out of range');
      },
      isReply,
      () => true,
      false,
    );
    await expect(stream.all()).rejects.toThrow('field out of range');
  });
});

describe('quiet requests', () => {
  it('resolve with their reply when the server sends one, and with undefined once the barrier returns', async () => {
    let barriers = 0;
    const options = await fakeServer((socket) =>
      onLines(socket, (text) => {
        // Like memcached GETQ: answer hits only; NOOP answers always, in order.
        if (text.startsWith('get hit')) socket.write(`${text.slice(4)}\n`);
        if (text === 'noop') {
          barriers += 1;
          socket.write('noop done\n');
        }
      }),
    );
    const client = await connect(options);
    const barrier = () => client.request(line('noop'), (m): m is ServerLine => m.text === 'noop done');
    const isFor =
      (name: string) =>
      (m: ServerLine): m is ServerLine =>
        m.text === name;
    const results = await Promise.all(
      ['hit1', 'miss1', 'hit2', 'miss2'].map((name) => client.requestQuiet(line(`get ${name}`), isFor(name), barrier)),
    );
    expect(results.map((reply) => reply?.text)).toEqual(['hit1', undefined, 'hit2', undefined]);
    // Four quiet requests in one turn of the event loop share one barrier.
    expect(barriers).toBe(1);
  });
});
