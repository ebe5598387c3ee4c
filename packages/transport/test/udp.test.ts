import dgram from 'node:dgram';
import { isSockspecError } from '@sockspec/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ByteChannel,
  connect,
  type DatagramChannel,
  DatagramListener,
  DatagramTooLargeError,
  isDatagramTransport,
  listen,
  MAX_HELD_DATAGRAMS_PER_PEER,
  parseUrl,
} from '../src/index.js';
import { closedWith, nextChannel, Resources, until } from './harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

const text = (s: string) => new TextEncoder().encode(s);

/** Collects whole datagrams, one entry each, so merged or split datagrams show. */
function datagrams(channel: ByteChannel): string[] {
  const got: string[] = [];
  channel.onData((chunk) => got.push(Buffer.from(chunk).toString()));
  return got;
}

/** A plain dgram socket as a hostile or foreign peer. */
async function rawPeer(type: 'udp4' | 'udp6'): Promise<dgram.Socket> {
  const socket = dgram.createSocket(type);
  await new Promise<void>((resolve) => socket.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', resolve));
  res.defer(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

function nextMessage(socket: dgram.Socket): Promise<{ data: string; port: number }> {
  return new Promise((resolve) =>
    socket.once('message', (data, rinfo) => resolve({ data: data.toString(), port: rinfo.port })),
  );
}

/** Echoes every datagram back on the channel it came in on. */
function echo(listener: DatagramListener): void {
  listener.onChannel((channel) => channel.onData((chunk) => channel.write(chunk)));
}

describe('udp and udp6', () => {
  it('knows which kinds are datagrams', () => {
    expect(isDatagramTransport('udp')).toBe(true);
    expect(isDatagramTransport('unix-dgram')).toBe(true);
    expect(isDatagramTransport('tcp')).toBe(false);
    expect(isDatagramTransport('websocket')).toBe(false);
  });

  it.each([
    ['udp', '127.0.0.1', /^udp:\/\/127\.0\.0\.1:\d+$/],
    ['udp6', '::1', /^udp6:\/\/\[::1\]:\d+$/],
  ] as const)('%s: round trip on an ephemeral port, one chunk per datagram, never batched', async (kind, host, url) => {
    const listener = res.listener(await listen({ transport: kind }));
    expect(listener).toBeInstanceOf(DatagramListener);
    expect(listener.address).toMatchObject({ transport: kind, host });
    expect(listener.address.port).toBeGreaterThan(0);
    expect(listener.address.url).toMatch(url);
    echo(listener as DatagramListener);
    const client = res.channel(await connect(parseUrl(listener.address.url)));
    const got = datagrams(client);
    // Three writes in one tick: a stream channel would merge them; datagrams must stay three.
    client.write(text('one'));
    client.write(text('two'));
    client.write(text('three'));
    await until(() => got.length === 3, 'three echoed datagrams');
    expect(got.sort()).toEqual(['one', 'three', 'two']);
  });

  it('gives each sender its own channel and replies to the sender', async () => {
    const listener = res.listener(await listen({ transport: 'udp' })) as DatagramListener;
    listener.onChannel((channel) => channel.onData((chunk) => channel.write(text(`${channel.remote.port}:${chunk}`))));
    const [a, b] = await Promise.all([rawPeer('udp4'), rawPeer('udp4')]);
    const replyA = nextMessage(a);
    const replyB = nextMessage(b);
    a.send('from a', listener.address.port, '127.0.0.1');
    b.send('from b', listener.address.port, '127.0.0.1');
    expect((await replyA).data).toBe(`${a.address().port}:from a`);
    expect((await replyB).data).toBe(`${b.address().port}:from b`);
    expect(listener.peerCount).toBe(2);
  });

  it('drops an oversize datagram with one log line and serves the next one', async () => {
    const logs: string[] = [];
    const listener = res.listener(
      await listen({ transport: 'udp', maxDatagramBytes: 100, transportLog: (line) => logs.push(line) }),
    ) as DatagramListener;
    echo(listener);
    const peer = await rawPeer('udp4');
    const reply = nextMessage(peer);
    peer.send(Buffer.alloc(101, 0x61), listener.address.port, '127.0.0.1');
    peer.send('small', listener.address.port, '127.0.0.1');
    expect((await reply).data).toBe('small');
    expect(listener.droppedDatagrams).toBe(1);
    expect(logs).toEqual([
      `${listener.address.url}: dropped a datagram of 101 bytes from 127.0.0.1:${peer.address().port}: over maxDatagramBytes 100`,
    ]);
  });

  it('refuses to send a datagram over maxDatagramBytes instead of letting the OS split or fail it', async () => {
    const listener = res.listener(await listen({ transport: 'udp' }));
    const client = res.channel(await connect({ transport: 'udp', port: listener.address.port, maxDatagramBytes: 8 }));
    const closed = closedWith(client);
    expect(client.write(new Uint8Array(9))).toBe(false);
    const error = await closed;
    expect(error).toBeInstanceOf(DatagramTooLargeError);
    expect(error?.message).toMatch(/datagram of 9 bytes to 127\.0\.0\.1:\d+ is over maxDatagramBytes 8/);
  });

  it('expires an idle peer channel after datagramPeerIdleMs, and a new datagram opens a new one', async () => {
    const listener = res.listener(await listen({ transport: 'udp', datagramPeerIdleMs: 50 })) as DatagramListener;
    const first = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'udp', port: listener.address.port }));
    client.write(text('hi'));
    const channel = await first;
    channel.onData(() => {});
    expect(await closedWith(channel)).toBeUndefined();
    expect(listener.peerCount).toBe(0);
    const second = nextChannel(listener);
    client.write(text('again'));
    expect(await second).not.toBe(channel);
  });

  it('keeps at most maxDatagramPeers channels and says so once', async () => {
    const logs: string[] = [];
    const listener = res.listener(
      await listen({ transport: 'udp', maxDatagramPeers: 1, transportLog: (line) => logs.push(line) }),
    ) as DatagramListener;
    echo(listener);
    const [a, b] = await Promise.all([rawPeer('udp4'), rawPeer('udp4')]);
    const replyA = nextMessage(a);
    a.send('a', listener.address.port, '127.0.0.1');
    await replyA;
    b.send('b1', listener.address.port, '127.0.0.1');
    b.send('b2', listener.address.port, '127.0.0.1');
    await until(() => listener.droppedDatagrams === 2, 'two dropped datagrams');
    expect(listener.peerCount).toBe(1);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/dropping datagrams from new peers .* \(maxDatagramPeers 1\)/);
  });

  it("datagramChannels 'datagram': a channel per datagram, whose input ends after it (UDPServer's request)", async () => {
    const listener = res.listener(await listen({ transport: 'udp', datagramChannels: 'datagram' })) as DatagramListener;
    const events: string[] = [];
    const channels: ByteChannel[] = [];
    listener.onChannel((channel) => {
      channels.push(channel);
      channel.onData((chunk) => events.push(`data ${Buffer.from(chunk).toString()}`));
      channel.onEnd(() => {
        events.push('end');
        channel.write(text(`done ${channels.indexOf(channel)}`));
        channel.end();
      });
    });
    const peer = await rawPeer('udp4');
    const replies: string[] = [];
    peer.on('message', (data) => replies.push(data.toString()));
    peer.send('one', listener.address.port, '127.0.0.1');
    peer.send('two', listener.address.port, '127.0.0.1');
    await until(() => replies.length === 2, 'a reply to each datagram');
    expect(channels).toHaveLength(2);
    expect(events).toEqual(['data one', 'end', 'data two', 'end']);
    expect(replies).toEqual(['done 0', 'done 1']);
    await until(() => listener.peerCount === 0, 'both channels closed after end()');
  });

  it("datagramChannels 'datagram': a paused channel ends only after its held datagram is read", async () => {
    const listener = res.listener(await listen({ transport: 'udp', datagramChannels: 'datagram' })) as DatagramListener;
    const first = nextChannel(listener);
    const peer = await rawPeer('udp4');
    peer.send('held', listener.address.port, '127.0.0.1');
    const channel = await first;
    channel.pause();
    const events: string[] = [];
    channel.onEnd(() => events.push('end'));
    channel.onData((chunk) => events.push(`data ${Buffer.from(chunk).toString()}`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([]);
    channel.resume();
    await until(() => events.length === 2, 'the datagram, then the end');
    expect(events).toEqual(['data held', 'end']);
  });

  it('refuses a datagramChannels value it does not know', async () => {
    await expect(listen({ transport: 'udp', datagramChannels: 'each' as 'peer' })).rejects.toThrow(
      /datagramChannels must be 'peer' or 'datagram', got "each"/,
    );
  });

  it('a client sees ECONNREFUSED when nothing is bound at the port', async () => {
    const listener = res.listener(await listen({ transport: 'udp' }));
    const port = listener.address.port;
    await listener.close();
    const client = res.channel(await connect({ transport: 'udp', port }));
    client.onData(() => {});
    const closed = closedWith(client);
    client.write(text('anyone?'));
    const error = await closed;
    expect(isSockspecError(error, 'SOCKSPEC_CONNECTION_CLOSED')).toBe(true);
    expect(error?.message).toMatch(/refused a datagram \(ECONNREFUSED\)/);
  });

  it('end() closes a client channel once its datagrams are sent; the listener close ends its peer channels', async () => {
    const listener = res.listener(await listen({ transport: 'udp' }));
    const accepted = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'udp', port: listener.address.port }));
    client.write(text('last'));
    const clientClosed = closedWith(client);
    client.end();
    expect(await clientClosed).toBeUndefined();
    const peer = await accepted;
    const peerClosed = closedWith(peer);
    await listener.close();
    expect(await peerClosed).toBeUndefined();
    expect((client as DatagramChannel).closed).toBe(true);
  });
});

describe('a peer channel that is not reading', () => {
  it('holds at most MAX_HELD_DATAGRAMS_PER_PEER datagrams, drops the rest with a log line, and delivers the held ones in order on resume', async () => {
    const logs: string[] = [];
    const listener = res.listener(
      await listen({ transport: 'udp', transportLog: (line) => logs.push(line) }),
    ) as DatagramListener;
    const accepted = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'udp', port: listener.address.port }));
    client.write(text('0'));
    const peer = await accepted;
    peer.pause();
    const got: string[] = [];
    peer.onData((chunk) => got.push(Buffer.from(chunk).toString()));
    for (let i = 1; i < 70; i++) client.write(text(String(i)));
    await until(() => logs.length === 70 - MAX_HELD_DATAGRAMS_PER_PEER, 'the drops beyond the hold limit');
    expect(got).toEqual([]);
    expect(logs[0]).toMatch(/dropped a datagram of \d+ bytes from 127\.0\.0\.1:\d+: the channel is not reading/);
    peer.resume();
    await until(() => got.length === MAX_HELD_DATAGRAMS_PER_PEER, 'the held datagrams');
    expect(got).toEqual(Array.from({ length: MAX_HELD_DATAGRAMS_PER_PEER }, (_, i) => String(i)));
  });
});
