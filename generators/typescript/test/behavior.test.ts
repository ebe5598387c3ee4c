/**
 * The generated chat and file-transfer packages running on loopback: the
 * declared steps (guards, session values, groups, broadcasts), the errors
 * message, and streams with flow control, end to end through the engine.
 */
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import type { ProtocolServer } from '@sockspec/server';
import { afterEach, describe, expect, it } from 'vitest';
import * as chat from '../../../packages/protocols/chat/src/index.js';
import * as files from '../../../packages/protocols/file-transfer/src/index.js';

const servers: ProtocolServer[] = [];
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const server of servers.splice(0)) await server.shutdown({ drainMs: 200 });
});

function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 5);
    };
    check();
  });
}

/** A chat server whose guards let everything through, so the declared steps alone decide. */
async function chatServer(options: Parameters<typeof chat.createServer>[1] = {}) {
  const log: string[] = [];
  const server = chat.createServer(
    {
      onJoin() {},
      onSay() {},
      onLeave() {},
      onWhisper(message) {
        if (message.text === 'crash') throw new Error('handler bug');
        return chat.refuse('noSuchNick', `nobody is called ${message.to}`);
      },
      onListRooms(_message, connection) {
        const rooms = connection.groupNames().map((name) => ({ name, members: connection.members(name).length }));
        return { type: 'Rooms', total: rooms.length, rooms };
      },
      onListMembers(message, connection) {
        const nicks = connection.members(message.room).map((m) => m.session.nick ?? '');
        return { type: 'Members', room: message.room, total: nicks.length, nicks };
      },
    },
    { log: (line) => log.push(line), ...options },
  );
  servers.push(server);
  const address = await server.listen();
  return { port: address.port, log };
}

async function chatClient(port: number) {
  const client = await chat.createClient({ port });
  closers.push(() => client.close());
  return client;
}

function refusal(error: unknown): { reason: string; text: string } {
  expect(error).toBeInstanceOf(chat.RemoteError);
  return (error as chat.RemoteError<chat.Failed>).reply;
}

describe('declared behavior (chat)', () => {
  it('joins, replies, and broadcasts to the group with and without the sender', async () => {
    const { port } = await chatServer();
    const [alice, bob, carol] = [await chatClient(port), await chatClient(port), await chatClient(port)];
    const seen = { alice: [] as string[], bob: [] as string[], carol: [] as string[] };
    for (const [name, client] of [
      ['alice', alice],
      ['bob', bob],
      ['carol', carol],
    ] as const) {
      client.on('Joined', (m) => seen[name].push(`joined ${m.nick}`));
      client.on('Said', (m) => seen[name].push(`said ${m.nick}: ${m.text}`));
    }
    expect(await alice.join({ nick: 'alice', room: 'lobby' })).toMatchObject({ type: 'Joined', nick: 'alice' });
    await bob.join({ nick: 'bob', room: 'lobby' });
    await carol.join({ nick: 'carol', room: 'kitchen' });
    await bob.say({ room: 'lobby', text: 'hi' });
    await until(() => seen.alice.length === 2 && seen.bob.length === 1, 'the broadcasts');
    // Joined goes to the others in the room; Said to everyone in it, the sender included; carol is elsewhere.
    expect(seen).toEqual({ alice: ['joined bob', 'said bob: hi'], bob: ['said bob: hi'], carol: [] });
    expect((await alice.listRooms()).rooms).toEqual([
      { name: 'kitchen', members: 1 },
      { name: 'lobby', members: 2 },
    ]);
  });

  it('refuses a message that needs a session value no earlier message stored, and keeps serving', async () => {
    const { port } = await chatServer();
    const client = await chatClient(port);
    const error = await client.say({ room: 'lobby', text: 'hello?' }).catch((caught: unknown) => caught);
    expect(refusal(error)).toEqual({
      type: 'Failed',
      id: 1,
      reason: 'badRequest',
      text: 'Say needs the nick that Join stores; send Join first',
    });
    expect((await client.join({ nick: 'late', room: 'lobby' })).type).toBe('Joined');
  });

  it('leaves groups when a connection closes', async () => {
    const { port } = await chatServer();
    const alice = await chatClient(port);
    const bob = await chat.createClient({ port });
    await alice.join({ nick: 'alice', room: 'lobby' });
    await bob.join({ nick: 'bob', room: 'lobby' });
    await bob.close();
    // The server sees the close a moment after the client does.
    let nicks: readonly string[] = ['alice', 'bob'];
    for (let attempt = 0; attempt < 200 && nicks.length > 1; attempt++) {
      nicks = (await alice.listMembers({ room: 'lobby' })).nicks;
      if (nicks.length > 1) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(nicks).toEqual(['alice']);
  });

  it('answers a handler that throws with the errors message and keeps the connection', async () => {
    const { port, log } = await chatServer();
    const client = await chatClient(port);
    const error = await client.whisper({ to: 'x', text: 'crash' }).catch((caught: unknown) => caught);
    expect(refusal(error)).toMatchObject({
      reason: 'internal',
      text: 'the server failed while handling Whisper; its log has the details',
    });
    expect(log.join('\n')).toMatch(/handler failed: Error: handler bug; answered with an error message/);
    expect(refusal(await client.whisper({ to: 'x', text: 'hi' }).catch((caught: unknown) => caught)).reason).toBe(
      'noSuchNick',
    );
  });

  it('answers a frame that does not decode with badRequest and closes only that connection', async () => {
    const { port } = await chatServer();
    const other = await chatClient(port);
    await other.join({ nick: 'steady', room: 'lobby' });
    const socket: Socket = netConnect(port, '127.0.0.1');
    closers.push(() => socket.destroy());
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(chunk));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    // A well-framed message with code 200, which no message has.
    socket.write(Buffer.from([0, 0, 0, 5, 200, 0, 0, 0, 1]));
    await closed;
    const reply = chat.decodeServerMessage(new Uint8Array(Buffer.concat(received)));
    expect(reply).toMatchObject({ type: 'Failed', id: 0, reason: 'badRequest' });
    expect((await other.say({ room: 'lobby', text: 'still here' })).type).toBe('Ok');
  });

  it('closes a member too slow to read its broadcasts instead of buffering without bound', async () => {
    const { port, log } = await chatServer({ maxBroadcastBacklogBytes: 64 * 1024 });
    const talker = await chatClient(port);
    await talker.join({ nick: 'talker', room: 'lobby' });
    // A member that joins and then never reads.
    const sleeper: Socket = netConnect(port, '127.0.0.1');
    closers.push(() => sleeper.destroy());
    await new Promise((resolve) => sleeper.on('connect', resolve));
    sleeper.write(chat.encodeJoin({ id: 1, nick: 'sleeper', room: 'lobby' }));
    sleeper.pause();
    await until(() => log.length === 0, 'the join');
    const text = 'x'.repeat(3900);
    for (let round = 0; round < 200 && !log.some((line) => line.includes('maxBroadcastBacklogBytes')); round++) {
      await Promise.all(Array.from({ length: 20 }, () => talker.say({ room: 'lobby', text })));
    }
    expect(log.join('\n')).toMatch(/bytes of broadcasts unread \(maxBroadcastBacklogBytes 65536\); closing connection/);
    expect((await talker.listMembers({ room: 'lobby' })).nicks).toEqual(['talker']);
  });
});

describe('streams (file-transfer)', () => {
  const CHUNK = 65_536;

  async function fileServer(handlers: Partial<files.FileTransferHandlers>) {
    const log: string[] = [];
    const server = files.createServer(
      {
        onList: (message) => ({ type: 'Listing', path: message.path, entries: [] }),
        onOffer: () => ({ type: 'Ready', offset: 0n, held: new Uint8Array(32) }),
        onUpload: async (message, stream) => {
          for await (const _chunk of stream) {
            // drained
          }
          return { type: 'Stored', path: message.path, size: 0n };
        },
        onGet: () => files.refuse('notFound', 'nothing here'),
        ...handlers,
      },
      { log: (line) => log.push(line) },
    );
    servers.push(server);
    const address = await server.listen();
    const client = await files.createClient({ port: address.port });
    closers.push(() => client.close());
    return { client, log };
  }

  const upload = (size: number) => ({
    path: 'a.bin',
    size: BigInt(size),
    sha256: new Uint8Array(32),
    offset: 0n,
    held: new Uint8Array(32),
  });

  it('holds a fast uploader back while the handler does not read, then delivers every byte', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let receivedBytes = 0;
    const { client } = await fileServer({
      async onUpload(message, stream) {
        await gate;
        for await (const chunk of stream) receivedBytes += chunk.bytes.length;
        await stream.end;
        return { type: 'Stored', path: message.path, size: BigInt(receivedBytes) };
      },
    });
    const total = 512;
    let pulled = 0;
    const data = randomBytes(CHUNK);
    function* chunks() {
      for (let index = 0; index < total; index++) {
        pulled += 1;
        yield { bytes: data };
      }
    }
    const stored = client.upload(upload(total * CHUNK), { chunks: chunks() });
    await until(() => pulled > 8, 'the upload to start');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // 32 MiB offered; what is in flight is bounded by the receiver's queue and the socket buffers.
    const pulledWhileBlocked = pulled;
    expect(pulledWhileBlocked).toBeLessThan(total / 2);
    release();
    expect((await stored).size).toBe(BigInt(total * CHUNK));
    expect(receivedBytes).toBe(total * CHUNK);
  });

  it('holds a fast download back while the consumer does not read', async () => {
    let pulled = 0;
    const data = randomBytes(CHUNK);
    const { client } = await fileServer({
      onGet() {
        function* chunks() {
          for (let index = 0; index < 512; index++) {
            pulled += 1;
            yield { bytes: data };
          }
        }
        return {
          type: 'Sending',
          size: BigInt(512 * CHUNK),
          sha256: new Uint8Array(32),
          offset: 0n,
          stream: { chunks: chunks() },
        };
      },
    });
    const sending = await client.get({ path: 'a.bin', offset: 0n });
    await until(() => pulled > 8, 'the download to start');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pulled).toBeLessThan(256);
    let bytes = 0;
    for await (const chunk of sending.stream) bytes += chunk.bytes.length;
    expect(bytes).toBe(512 * CHUNK);
    expect((await sending.stream.end).type).toBe('End');
  });

  it('answers an upload handler that fails mid-stream with the errors message and drops the rest', async () => {
    const { client, log } = await fileServer({
      async onUpload(_message, stream) {
        for await (const _chunk of stream) throw new Error('disk full');
        return { type: 'Stored', path: '', size: 0n };
      },
    });
    const data = randomBytes(CHUNK);
    const error = await client
      .upload(upload(64 * CHUNK), { chunks: Array.from({ length: 64 }, () => ({ bytes: data })) })
      .catch((caught: unknown) => caught);
    expect((error as files.RemoteError<files.Failed>).reply).toMatchObject({ reason: 'internal' });
    expect(log.join('\n')).toMatch(/Upload handler failed: Error: disk full/);
    expect((await client.list({ path: '' })).type).toBe('Listing');
  });

  it('refuses a chunk for a stream that is not open', async () => {
    const { client } = await fileServer({});
    const pushes: files.ServerMessage[] = [];
    client.on('Failed', (message) => pushes.push(message));
    client.send({ type: 'Data', id: 77, bytes: new Uint8Array(3) });
    await until(() => pushes.length === 1, 'the refusal');
    expect(pushes[0]).toMatchObject({ id: 77, reason: 'badRequest', text: 'Data for stream 77, which is not open' });
  });

  it('fails a download whose source breaks with the errors message', async () => {
    const { client } = await fileServer({
      onGet() {
        async function* chunks() {
          yield { bytes: new Uint8Array(10) };
          throw new Error('read error');
        }
        return { type: 'Sending', size: 20n, sha256: new Uint8Array(32), offset: 0n, stream: { chunks: chunks() } };
      },
    });
    const sending = await client.get({ path: 'a.bin', offset: 0n });
    const chunks: number[] = [];
    const error = await (async () => {
      for await (const chunk of sending.stream) chunks.push(chunk.bytes.length);
    })().catch((caught: unknown) => caught);
    expect(chunks).toEqual([10]);
    expect((error as files.RemoteError<files.Failed>).reply).toMatchObject({ reason: 'internal' });
  });
});
