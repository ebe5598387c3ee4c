import { describe, expect, it } from 'vitest';
import { eventLoop, resolveConcurrency, serial } from '../src/index.js';

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

describe('resolveConcurrency', () => {
  it('builds models by name and passes models through', () => {
    expect(resolveConcurrency('async').name).toBe('async');
    expect(resolveConcurrency('serial').name).toBe('serial');
    const model = serial();
    expect(resolveConcurrency(model)).toBe(model);
    expect(() => resolveConcurrency('threads' as never)).toThrow(/expected 'async' or 'serial'/);
  });
});
