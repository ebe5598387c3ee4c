import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamReceiver } from '../src/index.js';

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

describe('StreamReceiver', () => {
  it('delivers chunks in order, then ends with the end message', async () => {
    const stream = new StreamReceiver<number, string>();
    stream.push(1);
    stream.push(2);
    const collected = collect(stream);
    stream.push(3);
    stream.finish('done');
    expect(await collected).toEqual([1, 2, 3]);
    expect(await stream.end).toBe('done');
  });

  it('reports a full queue at the high-water mark and frees space at half', async () => {
    const stream = new StreamReceiver<number, null>({ highWaterMark: 4 });
    expect([stream.push(1), stream.push(2), stream.push(3), stream.push(4)]).toEqual([true, true, true, false]);
    let freed = false;
    const space = stream.space().then(() => {
      freed = true;
    });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await Promise.resolve();
    expect(freed).toBe(false);
    await iterator.next();
    await space;
    expect(freed).toBe(true);
  });

  it('hands queued chunks out before the failure that followed them', async () => {
    const stream = new StreamReceiver<number, null>();
    stream.push(1);
    stream.fail(new Error('connection lost'));
    const iterator = stream[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: 1, done: false });
    await expect(iterator.next()).rejects.toThrow('connection lost');
    await expect(stream.end).rejects.toThrow('connection lost');
  });

  it('fails a consumer that is already waiting', async () => {
    const stream = new StreamReceiver<number, null>();
    const pending = collect(stream);
    stream.fail(new Error('gone'));
    await expect(pending).rejects.toThrow('gone');
  });

  it('drops chunks once the consumer stops early, and never makes the sender wait', async () => {
    const stream = new StreamReceiver<number, null>({ highWaterMark: 2 });
    stream.push(0);
    for await (const chunk of stream) {
      expect(chunk).toBe(0);
      break;
    }
    stream.push(1);
    expect(stream.push(2)).toBe(true);
    expect(stream.push(3)).toBe(true);
    await stream.space();
    expect(stream.buffered).toBe(0);
  });

  it('allows one consumer only', () => {
    const stream = new StreamReceiver<number, null>();
    stream[Symbol.asyncIterator]();
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/one consumer/);
  });

  it('keeps order and loses nothing under any interleaving of pushes and reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('push', 'read'), { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        async (steps, highWaterMark) => {
          const stream = new StreamReceiver<number, 'end'>({ highWaterMark });
          const iterator = stream[Symbol.asyncIterator]();
          const received: number[] = [];
          const reads: Promise<void>[] = [];
          let next = 0;
          let reading: Promise<void> = Promise.resolve();
          for (const step of steps) {
            if (step === 'push') {
              stream.push(next++);
            } else {
              // Reads are chained: one consumer never calls next() twice at once.
              reading = reading.then(async () => {
                const result = await iterator.next();
                if (result.done !== true) received.push(result.value);
              });
              reads.push(reading);
            }
          }
          stream.finish('end');
          await Promise.all(reads);
          for (;;) {
            const result = await iterator.next();
            if (result.done === true) break;
            received.push(result.value);
          }
          expect(received).toEqual(Array.from({ length: next }, (_, i) => i));
          expect(await stream.end).toBe('end');
        },
      ),
      { numRuns: 200 },
    );
  });
});
