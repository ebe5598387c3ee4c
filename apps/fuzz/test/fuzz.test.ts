import { describe, expect, it } from 'vitest';
import { createRandom, cut, MUTATIONS, mutate } from '../src/mutate.js';
import { formatFuzzReport, fuzzPassed } from '../src/report.js';
import { runFuzz } from '../src/run-fuzz.js';
import { FUZZ_TARGETS } from '../src/targets.js';

describe('mutations', () => {
  it('are replayable from the seed, never alter their input, and cut without losing a byte', () => {
    const frame = Uint8Array.of(0, 0, 0, 5, 1, 2, 3, 4, 5);
    const run = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 200 }, () => Array.from(mutate(random, frame, [frame])));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(Array.from(frame)).toEqual([0, 0, 0, 5, 1, 2, 3, 4, 5]);
    // Most mutations change the frame.
    expect(run(7).filter((bytes) => bytes.join() !== frame.join()).length).toBeGreaterThan(150);
    const random = createRandom(3);
    for (let i = 0; i < 100; i++) {
      const pieces = cut(random, frame);
      expect(pieces.flatMap((piece) => Array.from(piece))).toEqual(Array.from(frame));
    }
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(8);
  });
});

// A short run per shipped server is part of the tests; `pnpm fuzz --frames 1000000` is the long one.
describe.each([...FUZZ_TARGETS.keys()])('fuzzing the %s server', (name) => {
  it('2,000 mutated frames: no crash, no hang, every probe answered, bad input refused, descriptors given back', async () => {
    const result = await runFuzz(FUZZ_TARGETS.get(name)!, {
      frames: 2000,
      seconds: 30,
      connections: 16,
      seed: 20261203,
      hangMs: 5000,
      probeBudgetMs: 100,
    });
    expect(fuzzPassed(result), formatFuzzReport([result])).toBe(true);
    expect(result.frames).toBe(2000);
    expect(result.probes).toBeGreaterThanOrEqual(1);
    // The mutations reached the decoders: the server refused some input, one log line each.
    expect(result.serverLogLines).toBeGreaterThan(10);
    expect(result.after.descriptors).toBeLessThanOrEqual(result.before.descriptors + 2);
  }, 60_000);
});
