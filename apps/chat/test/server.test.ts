import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listAllMembers, listAllRooms } from '../src/paging.js';
import { ROOMS_PAGE } from '../src/server-program.js';
import { closeAll, Peer, refusal, startChatServer, type TestTransport } from './helpers.js';

const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await closeAll();
});

describe.each<TestTransport>(['tcp', 'unix'])('sockspec-chat-server over %s', (transport) => {
  it('broadcasts Said to everyone in the room, the sender included, and to nobody else', async () => {
    const server = await startChatServer(transport);
    const alice = await Peer.join(server, 'alice', 'general');
    const bob = await Peer.join(server, 'bob', 'general');
    const carol = await Peer.join(server, 'carol', 'general');
    const dave = await Peer.join(server, 'dave', 'random');

    await alice.client.say({ room: 'general', text: 'hi all' });
    const heard = await Promise.all([alice, bob, carol].map((peer) => peer.said('general', 'hi all')));
    for (const said of heard) {
      expect(said).toMatchObject({ type: 'Said', room: 'general', nick: 'alice', text: 'hi all' });
      expect(said.at).toBeInstanceOf(Date);
      expect(Math.abs(said.at.getTime() - Date.now())).toBeLessThan(5000);
    }
    // Dave's own line reaching him proves the earlier one had its chance to arrive too.
    await dave.client.say({ room: 'random', text: 'anyone?' });
    await dave.said('random', 'anyone?');
    expect(dave.saidIn('general')).toEqual([]);
    expect(alice.saidIn('random')).toEqual([]);
  });

  it('answers Join with Joined and tells the members already there', async () => {
    const server = await startChatServer(transport);
    const alice = await Peer.join(server, 'alice', 'general');
    const bob = await Peer.connect(server);
    const reply = await bob.client.join({ nick: 'bob', room: 'general' });
    expect(reply).toMatchObject({ type: 'Joined', room: 'general', nick: 'bob' });
    await alice.waitFor('Joined bob', (m): m is typeof reply => m.type === 'Joined' && m.nick === 'bob');
    // Bob's own join comes back as the reply, not as a push as well.
    await bob.client.say({ room: 'general', text: 'sync' });
    await bob.said('general', 'sync');
    expect(bob.pushes.filter((message) => message.type === 'Joined')).toEqual([]);
  });

  it('keeps nicks unique across the server; a connection keeps its nick and frees it when it closes', async () => {
    const server = await startChatServer(transport);
    const alice = await Peer.join(server, 'alice', 'general');
    const impostor = await Peer.connect(server);
    expect(await refusal(impostor.client.join({ nick: 'alice', room: 'random' }), 'nickTaken')).toBe(
      "nick 'alice' is taken by someone else; pick another",
    );
    // The same connection may join more rooms under its own nick, and rejoin one it is in.
    await expect(alice.client.join({ nick: 'alice', room: 'random' })).resolves.toMatchObject({ room: 'random' });
    await expect(alice.client.join({ nick: 'alice', room: 'general' })).resolves.toMatchObject({ room: 'general' });
    expect(await refusal(alice.client.join({ nick: 'alicia', room: 'random' }), 'badRequest')).toBe(
      "this connection is already 'alice' and a connection keeps one nick; join #random as 'alice', or connect again to be 'alicia'",
    );
    // Leaving every room keeps the nick; closing the connection frees it.
    await alice.client.leave({ room: 'general' });
    await alice.client.leave({ room: 'random' });
    await refusal(impostor.client.join({ nick: 'alice', room: 'random' }), 'nickTaken');
    await alice.client.close();
    await expect(impostor.client.join({ nick: 'alice', room: 'random' })).resolves.toMatchObject({ nick: 'alice' });
  });

  it('refuses Say and Leave in a room the sender is not in', async () => {
    const server = await startChatServer(transport);
    const alice = await Peer.join(server, 'alice', 'general');
    const bob = await Peer.join(server, 'bob', 'random');
    expect(await refusal(bob.client.say({ room: 'general', text: 'sneaky' }), 'notJoined')).toBe(
      'you are not in #general; join it first',
    );
    await refusal(bob.client.leave({ room: 'general' }), 'notJoined');
    const stranger = await Peer.connect(server);
    await refusal(stranger.client.say({ room: 'general', text: 'hello?' }), 'notJoined');
    await alice.client.say({ room: 'general', text: 'after' });
    await alice.said('general', 'after');
    expect(alice.saidIn('general')).toEqual(['after']);
  });

  it('keeps a connection within its rooms limit, so a few connections cannot take every room', async () => {
    const server = await startChatServer(transport, {}, { maxRoomsPerConnection: 2 });
    const alice = await Peer.join(server, 'alice', 'one');
    await alice.client.join({ nick: 'alice', room: 'two' });
    expect(await refusal(alice.client.join({ nick: 'alice', room: 'three' }), 'badRequest')).toBe(
      'you are in 2 rooms, the most one connection may be in; leave one first',
    );
    // Rejoining a room it is in is not a new room; after a Leave there is room for another.
    await expect(alice.client.join({ nick: 'alice', room: 'two' })).resolves.toMatchObject({ room: 'two' });
    await alice.client.leave({ room: 'one' });
    await expect(alice.client.join({ nick: 'alice', room: 'three' })).resolves.toMatchObject({ room: 'three' });
    // Others are not affected.
    await Peer.join(server, 'bob', 'four');
  });

  it('keeps a room within its member limit and the server within its room limit', async () => {
    const server = await startChatServer(transport, {}, { maxRoomMembers: 2, maxRooms: 2 });
    await Peer.join(server, 'alice', 'general');
    const bob = await Peer.join(server, 'bob', 'general');
    const carol = await Peer.connect(server);
    expect(await refusal(carol.client.join({ nick: 'carol', room: 'general' }), 'badRequest')).toBe(
      '#general is full: it has 2 members, the most it may have',
    );
    // A member rejoining its own room is not counted twice.
    await expect(bob.client.join({ nick: 'bob', room: 'general' })).resolves.toMatchObject({ room: 'general' });
    // The refused join took no nick: another connection can be carol.
    await Peer.join(server, 'carol', 'random');
    const dave = await Peer.connect(server);
    expect(await refusal(dave.client.join({ nick: 'dave', room: 'third' }), 'badRequest')).toBe(
      'the server has 2 rooms, the most it may have; join an existing room (/rooms lists them)',
    );
    await expect(dave.client.join({ nick: 'dave', room: 'random' })).resolves.toMatchObject({ room: 'random' });
    expect((await dave.client.listRooms()).rooms).toEqual([
      { name: 'general', members: 2 },
      { name: 'random', members: 2 },
    ]);
  });

  it('whispers to one existing nick only', async () => {
    const server = await startChatServer(transport);
    const alice = await Peer.join(server, 'alice', 'general');
    const bob = await Peer.join(server, 'bob', 'general');
    const carol = await Peer.join(server, 'carol', 'general');
    await expect(alice.client.whisper({ to: 'bob', text: 'psst' })).resolves.toMatchObject({ type: 'Ok' });
    const whispered = await bob.waitFor(
      'Whispered',
      (m): m is Extract<typeof m, { type: 'Whispered' }> => m.type === 'Whispered',
    );
    expect(whispered).toMatchObject({ from: 'alice', text: 'psst' });
    expect(whispered.at).toBeInstanceOf(Date);
    expect(await refusal(alice.client.whisper({ to: 'zed', text: 'hi' }), 'noSuchNick')).toBe("nobody is called 'zed'");
    const anonymous = await Peer.connect(server);
    await refusal(anonymous.client.whisper({ to: 'bob', text: 'who am I' }), 'notJoined');
    await alice.client.say({ room: 'general', text: 'barrier' });
    await carol.said('general', 'barrier');
    expect(carol.pushes.filter((message) => message.type === 'Whispered')).toEqual([]);
    expect(alice.pushes.filter((message) => message.type === 'Whispered')).toEqual([]);
  });

  it('lists rooms with member counts and the members of a room', async () => {
    const server = await startChatServer(transport);
    const alice = await Peer.join(server, 'alice', 'general');
    await alice.client.join({ nick: 'alice', room: 'random' });
    await Peer.join(server, 'bob', 'general');
    await Peer.join(server, 'carol', 'zoo');
    expect((await alice.client.listRooms()).rooms).toEqual([
      { name: 'general', members: 2 },
      { name: 'random', members: 1 },
      { name: 'zoo', members: 1 },
    ]);
    expect(await alice.client.listMembers({ room: 'general' })).toMatchObject({
      room: 'general',
      nicks: ['alice', 'bob'],
    });
    expect(await refusal(alice.client.listMembers({ room: 'nowhere' }), 'noSuchRoom')).toBe(
      'no room #nowhere: nobody is in it',
    );
    await alice.client.leave({ room: 'random' });
    expect((await alice.client.listRooms()).rooms.map((room) => room.name)).toEqual(['general', 'zoo']);
    await refusal(alice.client.listMembers({ room: 'random' }), 'noSuchRoom');
  });

  it('tells the room when someone leaves, and when a connection drops from every room it was in', async () => {
    const server = await startChatServer(transport);
    const alice = await Peer.join(server, 'alice', 'general');
    await alice.client.join({ nick: 'alice', room: 'random' });
    const bob = await Peer.join(server, 'bob', 'general');
    await bob.client.join({ nick: 'bob', room: 'random' });
    const carol = await Peer.join(server, 'carol', 'general');

    const left = await bob.client.leave({ room: 'general' });
    expect(left).toMatchObject({ type: 'Left', room: 'general', nick: 'bob' });
    await alice.waitFor('Left bob', (m): m is typeof left => m.type === 'Left' && m.nick === 'bob');
    await carol.client.say({ room: 'general', text: 'bob is gone' });
    await alice.said('general', 'bob is gone');
    await bob.client.say({ room: 'random', text: 'still here' });
    await bob.said('random', 'still here');
    expect(bob.saidIn('general')).toEqual([]);

    await alice.client.close();
    const drops = await Promise.all([
      carol.waitFor('Left alice general', (m): m is typeof left => m.type === 'Left' && m.nick === 'alice'),
      bob.waitFor('Left alice random', (m): m is typeof left => m.type === 'Left' && m.nick === 'alice'),
    ]);
    expect(drops.map((drop) => drop.room)).toEqual(['general', 'random']);
    expect((await bob.client.listMembers({ room: 'random' })).nicks).toEqual(['bob']);
  });

  it('answers a garbage frame with Failed{badRequest}, closes that connection and keeps serving the others', async () => {
    const server = await startChatServer(transport);
    const alice = await Peer.join(server, 'alice', 'general');
    const bob = await Peer.join(server, 'bob', 'general');
    const raw =
      server.endpoint.transport === 'unix'
        ? createConnection({ path: server.endpoint.path })
        : createConnection({ host: server.endpoint.host, port: server.endpoint.port });
    sockets.push(raw);
    raw.on('error', () => undefined);
    const received: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => received.push(chunk));
    await once(raw, 'connect');
    // Length 6, type 99 (no such message), id 1, one stray byte.
    raw.write(Buffer.from([0, 0, 0, 6, 99, 0, 0, 0, 1, 0xff]));
    await once(raw, 'close');
    const bytes = Buffer.concat(received);
    expect(bytes.length).toBeGreaterThanOrEqual(4 + 5 + 1 + 2);
    const length = bytes.readUInt32BE(0);
    expect(bytes.length).toBe(4 + length);
    expect(bytes[4]).toBe(14); // Failed
    expect(bytes[9]).toBe(1); // badRequest
    const text = bytes.toString('utf8', 12, 12 + bytes.readUInt16BE(10));
    expect(text.length).toBeGreaterThan(0);

    await alice.client.say({ room: 'general', text: 'unbothered' });
    await bob.said('general', 'unbothered');
  });

  it('closes a connection idle longer than the idle timeout, and only that one', async () => {
    const server = await startChatServer(transport, { idleTimeoutMs: 300 });
    const idle = await Peer.connect(server);
    const started = Date.now();
    await idle.client.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // A client that keeps talking stays connected past the timeout.
    const busy = await Peer.join(server, 'busy', 'general');
    for (let round = 0; round < 4; round++) {
      await busy.client.say({ room: 'general', text: `tick ${round}` });
      await busy.said('general', `tick ${round}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await expect(busy.client.listRooms()).resolves.toMatchObject({ type: 'Rooms' });
  });
});

describe('listings a page at a time (issue 13: 240 long room names made ListRooms answer internal)', () => {
  it('lists 300 rooms of 64-byte names in pages of 200 that fit a frame, every room once, in name order', async () => {
    const server = await startChatServer('tcp');
    const names = Array.from({ length: 300 }, (_, index) => `${String(index).padStart(3, '0')}${'r'.repeat(61)}`);
    // 20 rooms per connection is the per-connection limit, so 15 connections open them.
    for (let peer = 0; peer < 15; peer++) {
      const member = await Peer.connect(server);
      for (const name of names.slice(peer * 20, peer * 20 + 20))
        await member.client.join({ nick: `n${peer}`, room: name });
    }
    const asker = await Peer.connect(server);
    const first = await asker.client.listRooms();
    expect(first.total).toBe(300);
    expect(first.rooms).toHaveLength(ROOMS_PAGE);
    const last = await asker.client.listRooms({ start: 200 });
    expect(last.rooms.map((room) => room.name)).toEqual(names.slice(200));
    const all = await listAllRooms(asker.client);
    expect(all.rooms.map((room) => room.name)).toEqual(names);
    expect(all.rooms.every((room) => room.members === 1)).toBe(true);
    expect(server.logged).toEqual([]);
  });

  it('lists a room of 450 members in pages, every nick once, sorted', async () => {
    const server = await startChatServer('tcp');
    const nicks = Array.from({ length: 450 }, (_, index) => `nick${String(index).padStart(3, '0')}`);
    const peers = await Promise.all(nicks.map((nick) => Peer.join(server, nick, 'crowd')));
    const first = await peers[0]!.client.listMembers({ room: 'crowd' });
    expect({ total: first.total, listed: first.nicks.length }).toEqual({ total: 450, listed: 400 });
    expect((await listAllMembers(peers[0]!.client, 'crowd')).nicks).toEqual(nicks);
    expect((await peers[1]!.client.listMembers({ room: 'crowd', start: 1000 })).nicks).toEqual([]);
  });
});
