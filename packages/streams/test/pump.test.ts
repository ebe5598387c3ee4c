import { describe, expect, it } from 'vitest';
import { endOf, mapChunks, pumpChunks } from '../src/index.js';

describe('pumpChunks', () => {
  it('sends a sync iterable and waits whenever the target is full', async () => {
    const written: number[] = [];
    let waits = 0;
    const result = await pumpChunks([1, 2, 3, 4], {
      write: (chunk) => {
        written.push(chunk);
        return chunk % 2 === 1;
      },
      writable: async () => {
        waits += 1;
      },
      stopped: () => false,
    });
    expect(result).toEqual({ sent: 4, complete: true });
    expect(written).toEqual([1, 2, 3, 4]);
    expect(waits).toBe(2);
  });

  it('stops an async source early when the target says so, and closes the source', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const written: number[] = [];
    const result = await pumpChunks(source(), {
      write: (chunk) => {
        written.push(chunk);
        return true;
      },
      writable: async () => undefined,
      stopped: () => written.length >= 3,
    });
    expect(result).toEqual({ sent: 3, complete: false });
    expect(closed).toBe(true);
  });

  it('rejects with the error of a source that throws', async () => {
    async function* source() {
      yield 1;
      throw new Error('disk read failed');
    }
    await expect(
      pumpChunks(source(), { write: () => true, writable: async () => undefined, stopped: () => false }),
    ).rejects.toThrow('disk read failed');
  });
});

describe('mapChunks and endOf', () => {
  it('maps lazily, one chunk per pull', async () => {
    const pulled: number[] = [];
    function* source() {
      for (const n of [1, 2, 3]) {
        pulled.push(n);
        yield n;
      }
    }
    const mapped = mapChunks(source(), (n) => n * 10);
    expect(await mapped.next()).toEqual({ value: 10, done: false });
    expect(pulled).toEqual([1]);
    const rest: number[] = [];
    for await (const n of mapped) rest.push(n);
    expect(rest).toEqual([20, 30]);
  });

  it('resolves the end fields from a value, a function or the fallback', () => {
    expect(endOf({ chunks: [], end: { n: 1 } }, { n: 0 })).toEqual({ n: 1 });
    expect(endOf({ chunks: [], end: () => ({ n: 2 }) }, { n: 0 })).toEqual({ n: 2 });
    expect(endOf({ chunks: [] }, { n: 0 })).toEqual({ n: 0 });
  });
});
