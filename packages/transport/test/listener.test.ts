import { afterEach, describe, expect, it } from 'vitest';
import { type ByteChannel, connect, listen, SocketListener } from '../src/index.js';
import { nextChannel, Resources, readBytes, until } from './harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

describe('listener', () => {
  it('holds connections made while paused and hands them out, data intact, on resume', async () => {
    const listener = res.listener(await listen({ transport: 'tcp' }));
    expect(listener).toBeInstanceOf(SocketListener);
    const handed: ByteChannel[] = [];
    listener.onChannel((channel) => handed.push(channel));

    listener.pauseAccepting();
    const client = res.channel(await connect({ transport: 'tcp', port: listener.address.port }));
    client.write(new TextEncoder().encode('while paused'));
    await until(() => listener.heldConnections === 1, 'the paused listener to hold the connection');
    expect(handed).toEqual([]);

    const resumed = nextChannel(listener);
    listener.resumeAccepting();
    expect(handed).toEqual([]); // handed out on a later tick, never inside resumeAccepting()
    const server = await resumed;
    expect(handed).toEqual([server]);
    expect(server.remote.port).toBe(client.local.port);
    expect((await readBytes(server, 12)).toString()).toBe('while paused');
  });

  it('holds connections until the first onChannel listener is registered', async () => {
    const listener = await listen({ transport: 'tcp6' });
    res.defer(() => listener.close());
    const client = res.channel(await connect({ transport: 'tcp6', port: listener.address.port }));
    client.write(Uint8Array.of(42));
    await until(() => listener.heldConnections === 1, 'the connection to be held');
    const server = res.channel(await nextChannel(listener));
    expect([...(await readBytes(server, 1))]).toEqual([42]);
  });

  it('closes held connections on close() and frees the port, keeping accepted channels open', async () => {
    const listener = res.listener(await listen({ transport: 'tcp' }));
    const { port } = listener.address;
    const accepted = nextChannel(listener);
    const early = res.channel(await connect({ transport: 'tcp', port }));
    const server = await accepted;

    listener.pauseAccepting();
    const held = res.channel(await connect({ transport: 'tcp', port }));
    held.onData(() => undefined);
    await until(() => listener.heldConnections === 1, 'the connection to be held');
    const heldClosed = new Promise<void>((resolve) => held.onEnd(resolve));

    await listener.close();
    expect(listener.accepting).toBe(false);
    await heldClosed;

    // The port is free again at once...
    const again = res.listener(await listen({ transport: 'tcp', port }));
    expect(again.address.port).toBe(port);
    // ...while the channel accepted before close() still works.
    const reply = readBytes(early, 2);
    server.write(Uint8Array.of(9, 9));
    expect([...(await reply)]).toEqual([9, 9]);
  });

  it('closes connections beyond the hold limit (backlog) at once', async () => {
    const listener = res.listener(await listen({ transport: 'tcp', backlog: 2 }));
    listener.pauseAccepting();
    const port = listener.address.port;
    const clients = [];
    for (let i = 0; i < 3; i++) clients.push(res.channel(await connect({ transport: 'tcp', port })));
    for (const c of clients) c.onData(() => undefined);
    // The third is dropped: its client sees end of input (the channel itself
    // stays half-open until it ends too).
    const ended = await Promise.race(
      clients.map((c, i) => new Promise<number>((resolve) => c.onEnd(() => resolve(i)))),
    );
    expect(ended).toBe(2);
    expect(listener.heldConnections).toBe(2);
  });
});
