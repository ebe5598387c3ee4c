import { eventLoop, serial } from '@sockspec/concurrency';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../src/index.js';
import { createServer, startServer } from './helpers/harness.js';
import { encodeLine, lineProtocol } from './helpers/line-protocol.js';

describe('hooks', () => {
  it('runs setup, then the greeting, then messages, then finish exactly once', async () => {
    const events: string[] = [];
    const protocol = lineProtocol();
    const dispatch = protocol.dispatch.bind(protocol);
    protocol.onConnect = (connection) => {
      events.push(`greet ${connection.id}`);
      connection.send(encodeLine('hello'));
    };
    protocol.dispatch = (message, connection) => {
      events.push(`dispatch ${message.verb}`);
      return dispatch(message, connection);
    };
    let finished!: () => void;
    const finishedOnce = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const { connect } = await startServer(protocol, {
      hooks: {
        setup: async (connection) => {
          await new Promise((resolve) => setImmediate(resolve));
          connection.state.set('user', 'ada');
          events.push(`setup ${connection.id}`);
        },
        finish: (connection: Connection, error?: Error) => {
          events.push(`finish ${connection.id} ${String(connection.state.get('user'))} ${error === undefined}`);
          finished();
        },
      },
    });
    const peer = await connect();
    expect(await peer.nextLine()).toBe('hello');
    expect(await peer.request('echo hi')).toBe('hi');
    peer.socket.end();
    await peer.closed;
    await finishedOnce;
    expect(events).toEqual(['setup 1', 'greet 1', 'dispatch echo', 'finish 1 ada true']);
  });

  it('passes the error to finish when a connection closes because of one', async () => {
    const errors: unknown[] = [];
    const { connect } = await startServer(lineProtocol(), {
      hooks: { finish: (_connection, error) => void errors.push(error) },
    });
    const peer = await connect();
    peer.send('throw');
    await peer.closed;
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toBeInstanceOf(Error);
    expect((errors[0] as Error).message).toBe('handler exploded');
  });

  it('a setup hook that throws closes only that connection', async () => {
    let calls = 0;
    const { connect, logs } = await startServer(lineProtocol(), {
      hooks: {
        setup: () => {
          calls += 1;
          if (calls === 1) throw new Error('no seats');
        },
      },
    });
    const refused = await connect();
    await refused.closed;
    const served = await connect();
    expect(await served.request('echo seated')).toBe('seated');
    expect(logs).toEqual([expect.stringMatching(/: setup failed: Error: no seats; closing connection$/)]);
  });
});

describe('handleOne', () => {
  it('serves exactly one connection to its end, then accepts no other until asked again', async () => {
    const { server, connect } = createServer(lineProtocol());
    await server.listen();
    let firstDone = false;
    const first = server.handleOne().then(() => {
      firstDone = true;
    });
    const a = await connect();
    expect(await a.request('echo from a')).toBe('from a');
    const b = await connect();
    b.send('echo from b');
    expect(await a.request('echo a again')).toBe('a again');
    expect(firstDone).toBe(false);
    a.socket.end();
    await first;
    expect(server.connectionCount).toBe(0);
    expect(b.bufferedLines).toBe(0);

    const second = server.handleOne();
    expect(await b.nextLine()).toBe('from b');
    b.socket.end();
    await second;
  });
});

describe('idle timeout', () => {
  it('closes a connection that sends nothing for idleTimeoutMs, with one log line', async () => {
    const { connect, logs } = await startServer(lineProtocol({ idleTimeoutMs: 80 }));
    const peer = await connect();
    expect(await peer.request('echo awake')).toBe('awake');
    const quietSince = Date.now();
    await peer.closed;
    expect(Date.now() - quietSince).toBeGreaterThanOrEqual(60);
    expect(logs).toEqual([expect.stringMatching(/^line: 127\.0\.0\.1:\d+: idle for 80 ms; closing connection$/)]);
  });

  it('does not count a slow handler as idle, and options override the protocol', async () => {
    const { connect } = await startServer(lineProtocol({ idleTimeoutMs: null }), { idleTimeoutMs: 60 });
    const peer = await connect();
    expect(await peer.request('slow 150 took a while')).toBe('took a while');
    await peer.closed;
  });
});

describe('frame deadline', () => {
  it('closes a peer that trickles a frame a byte at a time (slowloris), and keeps serving others', async () => {
    const { connect, logs } = await startServer(lineProtocol({ idleTimeoutMs: null }), { frameTimeoutMs: 150 });
    const slow = await connect();
    const other = await connect();
    // Never idle, never a whole line: one byte every 20 ms.
    const drip = setInterval(() => slow.socket.write('x'), 20);
    try {
      const started = Date.now();
      await slow.closed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(130);
    } finally {
      clearInterval(drip);
    }
    expect(logs).toEqual([
      expect.stringMatching(
        /a frame has been arriving for \d+ ms \(\d+ bytes held, frameTimeoutMs 150\); closing connection$/,
      ),
    ]);
    expect(await other.request('echo still here')).toBe('still here');
  });

  it('does not count a steady stream of whole frames against the deadline', async () => {
    const { connect, logs } = await startServer(lineProtocol({ idleTimeoutMs: null }), { frameTimeoutMs: 100 });
    const peer = await connect();
    // Each chunk ends inside the next line, so some bytes are always held, but frames keep completing.
    const until = Date.now() + 400;
    let n = 0;
    while (Date.now() < until) {
      peer.socket.write(`echo ${n}\necho `);
      n += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    peer.socket.write('last\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(peer.socket.destroyed).toBe(false);
    expect(logs).toEqual([]);
  });
});

describe('concurrency models', () => {
  it('eventLoop({ maxConnections: 1 }) queues the next connection until one leaves', async () => {
    let setups = 0;
    const { connect } = await startServer(lineProtocol(), {
      concurrency: eventLoop({ maxConnections: 1 }),
      hooks: {
        setup: () => {
          setups += 1;
        },
      },
    });
    const a = await connect();
    expect(await a.request('echo a')).toBe('a');
    const b = await connect();
    b.send('echo b');
    expect(await a.request('echo a still alone')).toBe('a still alone');
    expect(setups).toBe(1);
    expect(b.bufferedLines).toBe(0);
    a.socket.end();
    expect(await b.nextLine()).toBe('b');
    expect(setups).toBe(2);
  });

  it('a queued peer that leaves before its turn gives its place up (maxQueued 1 has room again), with no log line', async () => {
    const log: string[] = [];
    const { connect } = await startServer(lineProtocol(), {
      concurrency: serial({ maxQueued: 1 }),
      log: (line) => log.push(line),
    });
    const holder = await connect();
    holder.send('echo first');
    expect(await holder.nextLine()).toBe('first');
    // Connects, waits, gives up: a FIN with no request, as a client that timed out sends.
    const leaver = await connect();
    leaver.socket.end();
    await leaver.closed;
    const next = await connect();
    next.send('echo next');
    holder.socket.end();
    await holder.closed;
    expect(await next.nextLine()).toBe('next');
    expect(log).toEqual([]);
  });

  it('serial() serves one connection at a time, in arrival order', async () => {
    const active = { now: 0, max: 0 };
    const order: number[] = [];
    const { connect } = await startServer(lineProtocol(), {
      concurrency: serial(),
      hooks: {
        setup: (connection) => {
          active.now += 1;
          active.max = Math.max(active.max, active.now);
          order.push(connection.id);
        },
        finish: () => {
          active.now -= 1;
        },
      },
    });
    const peers = [await connect(), await connect(), await connect()];
    for (const [i, peer] of peers.entries()) peer.send(`echo peer ${i}`);
    for (const [i, peer] of peers.entries()) {
      expect(await peer.nextLine()).toBe(`peer ${i}`);
      peer.socket.end();
      await peer.closed;
    }
    expect(order).toEqual([1, 2, 3]);
    expect(active.max).toBe(1);
  });
});
