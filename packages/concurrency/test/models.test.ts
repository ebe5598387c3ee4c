import { describe, expect, it } from 'vitest';
import { ConnectionLimitError, eventLoop, processes, resolveConcurrency, serial, threads } from '../src/index.js';

/** Settles pending microtasks and one macrotask turn so queued admits get their chance. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('eventLoop', () => {
  it('admits every connection at once when unlimited', async () => {
    const model = eventLoop();
    expect(model.name).toBe('async');
    const releases = await Promise.all(Array.from({ length: 100 }, () => model.admit()));
    expect(releases).toHaveLength(100);
  });

  it('queues connections past maxConnections and admits them first in, first out', async () => {
    const model = eventLoop({ maxConnections: 2 });
    const first = await model.admit();
    const second = await model.admit();
    const order: string[] = [];
    const third = model.admit().then((release) => {
      order.push('third');
      return release;
    });
    const fourth = model.admit().then((release) => {
      order.push('fourth');
      return release;
    });
    await turn();
    expect(order).toEqual([]);

    first();
    first(); // releasing twice must not free a second slot
    await turn();
    expect(order).toEqual(['third']);

    second();
    await turn();
    expect(order).toEqual(['third', 'fourth']);

    (await third)();
    (await fourth)();
    // All slots free again: two admits resolve immediately, a third waits.
    await model.admit();
    await model.admit();
    let fifthAdmitted = false;
    void model.admit().then(() => {
      fifthAdmitted = true;
    });
    await turn();
    expect(fifthAdmitted).toBe(false);
  });

  it('runs tasks inline and passes results and failures through', async () => {
    const model = eventLoop();
    let ranSynchronously = false;
    const result = model.run(() => {
      ranSynchronously = true;
      return 42;
    });
    expect(ranSynchronously).toBe(true);
    await expect(result).resolves.toBe(42);
    await expect(model.run(async () => 'later')).resolves.toBe('later');
    await expect(
      model.run(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(model.run(() => Promise.reject(new Error('async boom')))).rejects.toThrow('async boom');
  });

  it('close() waits for running tasks', async () => {
    const model = eventLoop();
    let finish!: () => void;
    let done = false;
    void model
      .run(
        () =>
          new Promise<void>((resolve) => {
            finish = resolve;
          }),
      )
      .then(() => {
        done = true;
      });
    let closed = false;
    const closing = model.close().then(() => {
      closed = true;
    });
    await turn();
    expect(closed).toBe(false);
    finish();
    await closing;
    expect(done).toBe(true);
  });

  it('rejects a maxConnections that is not a positive integer', () => {
    expect(() => eventLoop({ maxConnections: 0 })).toThrow(RangeError);
    expect(() => eventLoop({ maxConnections: 1.5 })).toThrow(/positive integer, got 1.5/);
  });
});

describe('serial', () => {
  it('admits one connection at a time, each after the previous releases', async () => {
    const model = serial();
    expect(model.name).toBe('serial');
    const served: number[] = [];
    const active = { count: 0, max: 0 };
    await Promise.all(
      [1, 2, 3, 4].map(async (id) => {
        const release = await model.admit();
        active.count += 1;
        active.max = Math.max(active.max, active.count);
        served.push(id);
        await turn();
        active.count -= 1;
        release();
      }),
    );
    expect(served).toEqual([1, 2, 3, 4]);
    expect(active.max).toBe(1);
  });
});

describe('the wait queue', () => {
  it('refuses a connection past maxQueued at once, and queues again once one leaves the queue', async () => {
    const model = eventLoop({ maxConnections: 1, maxQueued: 2 });
    const first = await model.admit();
    const waiting = [model.admit(), model.admit()];
    const refused = await model.admit().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectionLimitError);
    expect((refused as Error).message).toBe(
      'async: refused a connection: 1 of maxConnections 1 are being served and 2 wait for a slot (maxQueued 2)',
    );
    first();
    const second = await waiting[0]!;
    const again = model.admit();
    second();
    (await waiting[1]!)();
    (await again)();
  });

  it('refuses a connection that waited queueTimeoutMs, keeps the order of the others and frees its place', async () => {
    const model = serial({ queueTimeoutMs: 150, maxQueued: 1 });
    const first = await model.admit();
    const started = Date.now();
    const timedOut = await model.admit().catch((error: unknown) => error);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(timedOut).toBeInstanceOf(ConnectionLimitError);
    expect((timedOut as Error).message).toMatch(
      /^serial: refused a connection after it waited 150 ms for a slot: 1 of maxConnections 1 .*\(queueTimeoutMs 150\)$/,
    );
    // Its place is free again, and the slot goes to the live waiter, not to the one that timed out.
    const next = model.admit();
    first();
    const release = await next;
    const after = model.admit();
    release();
    (await after)();
  });

  it('a waiter whose signal aborts (its peer left) gives its place up: the queue has room and the slot skips it', async () => {
    const model = serial({ maxQueued: 1 });
    const held = await model.admit();
    const left = new AbortController();
    const leaving = model.admit(left.signal).catch((error: unknown) => error);
    left.abort();
    const error = await leaving;
    expect(error).toBeInstanceOf(ConnectionLimitError);
    expect((error as Error).message).toBe('serial: a waiting connection gave up its place: its peer left');
    // With maxQueued 1 this would be refused if the one who left still held the place.
    const next = model.admit(new AbortController().signal);
    held();
    (await next)();
    const aborted = new AbortController();
    aborted.abort();
    // A free slot is taken at once, whatever the signal: only a wait can be given up.
    const free = await model.admit(aborted.signal);
    free();
  });

  it('admits the next live waiter after 300 that timed out while no slot freed', async () => {
    const model = eventLoop({ maxConnections: 1, maxQueued: 1, queueTimeoutMs: 1 });
    const held = await model.admit();
    for (let i = 0; i < 300; i++) await model.admit().catch(() => undefined);
    const next = model.admit();
    held();
    (await next)();
  });

  it('checks maxQueued and queueTimeoutMs', () => {
    expect(() => eventLoop({ maxQueued: -1 })).toThrow(/maxQueued must be an integer 0 or more, got -1/);
    expect(() => eventLoop({ queueTimeoutMs: 0 })).toThrow(/queueTimeoutMs must be an integer 1–2147483647, got 0/);
  });
});

describe('overflow', () => {
  it("'refuse' rejects an admit past the cap with a ConnectionLimitError, and admits again once a slot frees", async () => {
    for (const model of [eventLoop({ maxConnections: 2, overflow: 'refuse' }), serial({ overflow: 'refuse' })]) {
      const cap = model.name === 'serial' ? 1 : 2;
      const releases = await Promise.all(Array.from({ length: cap }, () => model.admit()));
      const refused = await model.admit().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ConnectionLimitError);
      expect(refused).toMatchObject({
        code: 'SOCKSPEC_CONNECTION_LIMIT',
        message: `${model.name}: refused a connection: ${cap} of maxConnections ${cap} are being served (overflow: 'refuse')`,
      });
      releases[0]!();
      const again = await model.admit();
      again();
    }
  });

  it('rejects an unknown overflow policy', () => {
    expect(() => eventLoop({ overflow: 'drop' as never })).toThrow(/overflow must be 'queue' or 'refuse', got 'drop'/);
    expect(() => serial({ overflow: 'drop' as never })).toThrow(RangeError);
  });
});

describe('threads and processes options', () => {
  it('validate sizes before starting anything', () => {
    const module = new URL('./fixtures/none.js', import.meta.url);
    expect(() => threads({ module, size: 0 })).toThrow(/threads: size must be a whole number from 1 to 1024, got 0/);
    expect(() => threads({ module, size: 1.5 })).toThrow(RangeError);
    expect(() => threads({ module: 'relative.js' })).toThrow(
      /module must be a URL or an absolute path, got 'relative.js'/,
    );
    expect(() => threads({ module, maxConnections: -1 })).toThrow(/threads: maxConnections must be a positive integer/);
    expect(() => processes({ workers: 0 })).toThrow(/processes: workers must be a whole number from 1 to 1024, got 0/);
    expect(() => processes({ workers: 2, overflow: 'x' as never })).toThrow(/processes: overflow/);
  });

  it('threads exposes a remote dispatcher; processes in a primary exposes its supervisor', async () => {
    const model = threads({ module: new URL('./fixtures/none.js', import.meta.url), size: 1 });
    expect(model.name).toBe('threads');
    expect(model.remote).toBeDefined();
    await model.close();
    const forked = processes({ workers: 2 });
    expect(forked.name).toBe('processes');
    expect(forked.cluster?.role).toBe('primary');
  });
});

describe('resolveConcurrency', () => {
  it('builds every model by name with its options and passes models through', async () => {
    expect(resolveConcurrency('async').name).toBe('async');
    expect(resolveConcurrency('serial').name).toBe('serial');
    const threaded = resolveConcurrency('threads', {
      workers: 1,
      module: new URL('./fixtures/none.js', import.meta.url),
    });
    expect(threaded.name).toBe('threads');
    await threaded.close();
    expect(resolveConcurrency('processes', { workers: 2, maxConnections: 10, overflow: 'refuse' }).name).toBe(
      'processes',
    );
    const model = serial();
    expect(resolveConcurrency(model)).toBe(model);
  });

  it('passes limits through: a refused admit under async by name', async () => {
    const model = resolveConcurrency('async', { maxConnections: 1, overflow: 'refuse' });
    await model.admit();
    await expect(model.admit()).rejects.toBeInstanceOf(ConnectionLimitError);
  });

  it('says what is missing or wrong', () => {
    expect(() => resolveConcurrency('threads')).toThrow(/'threads' needs options.module/);
    expect(() => resolveConcurrency('serial', { maxConnections: 4 })).toThrow(/serial serves one connection at a time/);
    expect(() => resolveConcurrency('forking' as never)).toThrow(
      /expected 'serial', 'async', 'threads' or 'processes' \(or a ConcurrencyModel\), got 'forking'/,
    );
  });
});
