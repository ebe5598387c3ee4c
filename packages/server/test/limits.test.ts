import { type ConcurrencyModel, eventLoop, serial, threads } from '@sockspec/concurrency';
import { connect, parseUrl } from '@sockspec/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, startServer } from './helpers/harness.js';
import { lineProtocol } from './helpers/line-protocol.js';
import { workProtocol } from './helpers/work-protocol.js';

const WORK_MODULE = new URL('./fixtures/work-module.ts', import.meta.url);

const models: ConcurrencyModel[] = [];
afterEach(async () => {
  await Promise.all(models.splice(0).map((model) => model.close()));
});

type Overflow = 'queue' | 'refuse';
interface Queue {
  readonly maxQueued?: number;
  readonly queueTimeoutMs?: number;
}
const builders: Record<'async' | 'serial' | 'threads', (overflow: Overflow, queue?: Queue) => ConcurrencyModel> = {
  async: (overflow, queue = {}) => eventLoop({ maxConnections: 1, overflow, ...queue }),
  serial: (overflow, queue = {}) => serial({ overflow, ...queue }),
  threads: (overflow, queue = {}) => threads({ size: 1, maxConnections: 1, overflow, module: WORK_MODULE, ...queue }),
};

describe.each(Object.keys(builders) as Array<keyof typeof builders>)('maxConnections under %s', (name) => {
  function model(overflow: Overflow, queue?: Queue): ConcurrencyModel {
    const built = builders[name](overflow, queue);
    models.push(built);
    return built;
  }

  it("overflow 'queue': a connection past the cap waits, then is served once a slot frees", async () => {
    const { connect, logs } = await startServer(workProtocol(), { concurrency: model('queue') });
    const first = await connect();
    expect(await first.request('echo one')).toBe('one');
    const second = await connect();
    let secondReplied = false;
    const reply = second.request('echo two').then((line) => {
      secondReplied = true;
      return line;
    });
    // The first connection is still served while the second waits unread.
    expect(await first.request('echo again')).toBe('again');
    expect(secondReplied).toBe(false);
    first.socket.end();
    expect(await reply).toBe('two');
    expect(logs).toEqual([]);
  });

  it('a full wait queue closes the next connection at once, and a wait past queueTimeoutMs closes the waiter', async () => {
    const { connect, logs } = await startServer(workProtocol(), {
      concurrency: model('queue', { maxQueued: 1, queueTimeoutMs: 300 }),
    });
    const first = await connect();
    expect(await first.request('echo one')).toBe('one');
    const waiting = await connect();
    const overflowing = await connect();
    expect(await overflowing.nextLine()).toBeNull();
    await overflowing.closed;
    await waiting.closed;
    expect(logs).toEqual([
      expect.stringMatching(/admission failed: SOCKSPEC_CONNECTION_LIMIT .*1 wait for a slot \(maxQueued 1\)/),
      expect.stringMatching(/admission failed: SOCKSPEC_CONNECTION_LIMIT .*after it waited 300 ms for a slot/),
    ]);
    // The served connection never noticed.
    expect(await first.request('echo still')).toBe('still');
  });

  it("overflow 'refuse': a connection past the cap is accepted and closed at once, with one log line", async () => {
    const { connect, logs } = await startServer(workProtocol(), { concurrency: model('refuse') });
    const first = await connect();
    expect(await first.request('echo one')).toBe('one');
    const second = await connect();
    second.send('echo two');
    expect(await second.nextLine()).toBeNull();
    await second.closed;
    expect(logs).toEqual([
      expect.stringMatching(
        new RegExp(`admission failed: SOCKSPEC_CONNECTION_LIMIT ${name}: refused a connection: 1 of maxConnections 1`),
      ),
    ]);
    // The first is unaffected, and once it leaves a new connection is admitted.
    expect(await first.request('echo still')).toBe('still');
    first.close();
    await first.closed;
    await expect
      .poll(async () => {
        const third = await connect();
        const line = await third.request('echo three');
        third.close();
        return line;
      })
      .toBe('three');
  });
});

describe.each(Object.keys(builders) as Array<keyof typeof builders>)('idle timeout and drain under %s', (name) => {
  function model(): ConcurrencyModel {
    const built = builders[name]('queue');
    models.push(built);
    return built;
  }

  it('closes a connection that sent nothing for idleTimeoutMs, with one log line', async () => {
    const { connect, logs } = await startServer(workProtocol(), { concurrency: model(), idleTimeoutMs: 200 });
    const peer = await connect();
    expect(await peer.request('echo awake')).toBe('awake');
    const quietSince = Date.now();
    await peer.closed;
    expect(Date.now() - quietSince).toBeGreaterThanOrEqual(150);
    expect(logs).toEqual([expect.stringMatching(/: idle for 200 ms; closing connection$/)]);
  });

  it('shutdown lets a running handler finish, and cuts off one still running at drainMs', async () => {
    const finishing = await startServer(workProtocol(), { concurrency: model() });
    const peer = await finishing.connect();
    peer.send('tick 200 done');
    expect(await peer.nextLine()).toBe('tick');
    const drained = finishing.server.shutdown({ drainMs: 5000 });
    expect(await peer.nextLine()).toBe('done');
    await drained;

    const stuck = await startServer(workProtocol(), { concurrency: model() });
    const late = await stuck.connect();
    // Short enough that model.close() in afterEach, which waits for running
    // handlers (an inline one cannot be cancelled), does not wait long.
    late.send('tick 1500 never');
    expect(await late.nextLine()).toBe('tick');
    const began = Date.now();
    await stuck.server.shutdown({ drainMs: 200 });
    expect(Date.now() - began).toBeLessThan(2000);
    expect(await late.nextLine()).toBeNull();
    expect(stuck.logs).toEqual([
      expect.stringMatching(/still open 200 ms after shutdown began \(drainMs\); destroying connection$/),
    ]);
  });
});

describe('serial', () => {
  it('handleOne() serves exactly one connection, then accepts no other until asked', async () => {
    const { server, connect } = createServer(workProtocol(), { concurrency: serial() });
    const handled = server.handleOne();
    await expect.poll(() => server.address).not.toBeNull();
    const first = await connect();
    expect(await first.request('echo one')).toBe('one');
    const second = await connect(); // sits in the backlog: nothing accepts it yet
    second.send('echo two');
    first.socket.end();
    await handled;
    expect(second.bufferedLines).toBe(0);
    const next = server.handleOne();
    expect(await second.nextLine()).toBe('two');
    second.socket.end();
    await next;
  });
});

describe('maxConnectionsPerAddress', () => {
  it('closes one connection too many from an address at once, serves other addresses, and frees the place on close', async () => {
    const { connect, logs } = await startServer(workProtocol(), { maxConnectionsPerAddress: 2 });
    const first = await connect();
    const second = await connect();
    const refused = [await connect(), await connect(), await connect()];
    for (const peer of refused) {
      expect(await peer.nextLine()).toBeNull();
      await peer.closed;
    }
    // Three refusals within 10 s: one log line, not three.
    expect(logs).toEqual([
      expect.stringMatching(
        /^work: 127\.0\.0\.1:\d+: refused a connection: 2 of maxConnectionsPerAddress 2 from 127\.0\.0\.1 are open$/,
      ),
    ]);
    // Another address is not affected.
    const other = await connect('127.0.0.2');
    expect(await other.request('echo other')).toBe('other');
    expect(await first.request('echo one')).toBe('one');
    expect(await second.request('echo two')).toBe('two');
    first.close();
    await first.closed;
    await expect
      .poll(async () => {
        const again = await connect();
        const line = await again.request('echo again');
        again.close();
        return line;
      })
      .toBe('again');
  });

  it('checks the limit', () => {
    expect(() => createServer(workProtocol(), { maxConnectionsPerAddress: 0 })).toThrow(
      /maxConnectionsPerAddress must be a positive integer, got 0/,
    );
  });
});

describe('messageRate', () => {
  it('slows a peer that sends faster than the rate to that rate, answers everything in order, and leaves others alone', async () => {
    const { connect, logs } = await startServer(workProtocol(), { messageRate: { perSecond: 100, burst: 10 } });
    const flooder = await connect();
    const other = await connect();
    const started = performance.now();
    // 60 requests in one write: 10 pass at once (the burst), the other 50 at 100 per second.
    flooder.socket.write(Array.from({ length: 60 }, (_, i) => `echo ${i}\n`).join(''));
    // Another connection's messages do not wait for the flooder's.
    const otherStarted = performance.now();
    expect(await other.request('echo other')).toBe('other');
    expect(performance.now() - otherStarted).toBeLessThan(200);
    const replies: (string | null)[] = [];
    for (let i = 0; i < 60; i++) replies.push(await flooder.nextLine());
    const took = performance.now() - started;
    expect(replies).toEqual(Array.from({ length: 60 }, (_, i) => String(i)));
    // 50 beyond the burst at 100/s cannot take less than 500 ms.
    expect(took).toBeGreaterThanOrEqual(480);
    expect(logs).toEqual([
      expect.stringMatching(
        /^work: 127\.0\.0\.1:\d+: sends faster than messageRate 100\/s \(burst 10\); reading slows to that rate$/,
      ),
    ]);
  });

  it('with messages, rates only those types: the others pass at once, and in order', async () => {
    // The work protocol's requests carry a verb; give them a type, as generated messages have.
    const work = workProtocol();
    const typed = {
      ...work,
      decode: (frame: Uint8Array) => ({ ...work.decode(frame), type: work.decode(frame).verb }),
    };
    // One token per 2 s: were echo rated too, the 40 below would take 80 s.
    const { connect } = await startServer(typed, { messageRate: { perSecond: 0.5, burst: 1, messages: ['count'] } });
    const peer = await connect();
    peer.socket.write(
      ['count', ...Array.from({ length: 40 }, (_, i) => `echo ${i}`)].map((line) => `${line}\n`).join(''),
    );
    const replies: string[] = [];
    for (let i = 0; i < 41; i++) replies.push((await peer.nextLine()) ?? '');
    expect(replies[0]).toMatch(/^1 /);
    expect(replies.slice(1)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    // The next count has no token yet: it is held (not refused), then answered once one comes.
    peer.socket.write('count\n');
    const next = peer.nextLine();
    const early = await Promise.race([next, new Promise((resolve) => setTimeout(() => resolve('still held'), 300))]);
    expect(early).toBe('still held');
    expect(await next).toMatch(/^2 /);
  }, 15_000);

  it('checks the rate', () => {
    expect(() => createServer(workProtocol(), { messageRate: { perSecond: 0 } })).toThrow(
      /messageRate.perSecond must be a number above 0, got 0/,
    );
    expect(() => createServer(workProtocol(), { messageRate: { perSecond: 5, burst: 0.5 } })).toThrow(
      /messageRate.burst must be a positive integer, got 0.5/,
    );
    expect(() => createServer(workProtocol(), { messageRate: { perSecond: 5, messages: [] } })).toThrow(
      /messageRate.messages must name at least one message type/,
    );
  });
});

describe('maxBufferedBytes', () => {
  it('closes the connection whose unfinished frame takes the server past the ceiling, and only that one', async () => {
    const { connect, logs } = await startServer(workProtocol(), { maxBufferedBytes: 2000 });
    const partial = `echo ${'a'.repeat(895)}`;
    const first = await connect();
    const second = await connect();
    const third = await connect();
    first.socket.write(partial);
    second.socket.write(partial);
    await expect.poll(() => logs.length, { timeout: 200 }).toBe(0);
    third.socket.write(partial);
    expect(await third.nextLine()).toBeNull();
    await third.closed;
    expect(logs).toEqual([
      expect.stringMatching(
        /: the server holds more than maxBufferedBytes 2000 of unfinished frames across its connections; closing this one, which holds 900$/,
      ),
    ]);
    // The two within the ceiling finish their lines and are answered; a newcomer is served.
    first.socket.write('\n');
    second.socket.write('\n');
    expect(await first.nextLine()).toBe('a'.repeat(895));
    expect(await second.nextLine()).toBe('a'.repeat(895));
    const fourth = await connect();
    expect(await fourth.request('echo four')).toBe('four');
  });

  it('gives the bytes back when a connection holding them closes', async () => {
    const { connect, logs } = await startServer(workProtocol(), { maxBufferedBytes: 1000 });
    for (let round = 0; round < 5; round++) {
      const peer = await connect();
      peer.socket.write(`echo ${'b'.repeat(800)}`);
      await expect.poll(() => peer.socket.bytesWritten).toBeGreaterThan(800);
      peer.socket.end();
      // The server logs the frame cut short, then closes the connection; only then are its bytes given back.
      await expect.poll(() => logs.length).toBe(round + 1);
      await peer.closed;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const last = await connect();
    last.socket.write(`echo ${'c'.repeat(800)}`);
    last.socket.write('\n');
    expect(await last.nextLine()).toBe('c'.repeat(800));
    // Five frames cut short by their peers, and no connection refused for the ceiling.
    expect(logs).toHaveLength(5);
    expect(logs.every((line) => line.includes('SOCKSPEC_TRUNCATED_FRAME'))).toBe(true);
  });
});

describe('websocket messages', () => {
  it('are refused (1009) past the protocol maxFrameBytes unless websocket.maxMessageBytes says otherwise', async () => {
    const transportLines: string[] = [];
    const { server, logs } = await startServer(lineProtocol(), {
      transport: 'websocket',
      host: '127.0.0.1',
      port: 0,
      transportLog: (line) => transportLines.push(line),
    });
    const url = server.address!.url;
    const within = await connect(parseUrl(url));
    const replies: string[] = [];
    within.onData((chunk) => replies.push(Buffer.from(chunk).toString()));
    within.write(Buffer.from('echo fits\n'));
    await expect.poll(() => replies.join('')).toBe('fits\n');
    within.destroy();

    const over = await connect(parseUrl(url));
    over.onData(() => undefined);
    const closed = new Promise<Error | undefined>((resolve) => over.onClose(resolve));
    // 1,025 bytes in one message: over the line protocol's maxFrameBytes (1,024), refused before it is buffered.
    over.write(Buffer.alloc(1025, 0x61));
    await closed;
    expect(transportLines).toEqual([
      expect.stringMatching(/sent a message over websocket\.maxMessageBytes; closing the connection \(1009\)/),
    ]);
    expect(logs.join('\n')).not.toMatch(/handler failed/);
  });
});
