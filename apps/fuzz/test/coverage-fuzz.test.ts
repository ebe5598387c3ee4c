import { SockspecError } from '@sockspec/errors';
import { describe, expect, it } from 'vitest';
import { type CodecModule, exercise, formatCoverageResults, fuzzCoverage } from '../src/coverage-fuzz.js';
import { createRandom } from '../src/mutate.js';

const lines = {
  kind: 'delimited',
  delimiter: [0x0a],
  keepDelimiter: false,
  stripCarriageReturn: true,
  maxFrameBytes: 64,
} as const;

describe('coverage-guided fuzzing of the generated decoders', () => {
  it('grows a corpus past the test vectors on redis, reaches blocks they do not, and finds nothing untyped', async () => {
    const result = await fuzzCoverage('redis', 1, createRandom(7));
    expect(result.seeds).toBeGreaterThan(0);
    expect(result.executions).toBeGreaterThan(result.seeds);
    expect(result.blocks).toBeGreaterThan(result.seedBlocks);
    expect(result.corpus).toBeGreaterThan(result.seeds);
    expect(result.findings).toEqual([]);
    expect([...result.refusals.keys()].every((code) => code.startsWith('SOCKSPEC_'))).toBe(true);
    expect(formatCoverageResults([result]).split('\n')[1]).toMatch(/^redis\s+[\d,]+\s+\d+\s+\d+\s+\d+ → \d+\s+0 /);
  }, 30_000);

  it('counts a typed refusal as a refusal and anything else as a finding', () => {
    const refusals = new Map<string, number>();
    const refusing: CodecModule = {
      framing: lines,
      decodeClientMessage: () => {
        throw new SockspecError('SOCKSPEC_UNKNOWN_MESSAGE', 'no such message');
      },
      decodeServerMessage: () => undefined,
    };
    expect(exercise(refusing, Uint8Array.from(Buffer.from('x\n')), refusals)).toBeNull();
    expect(refusals.get('SOCKSPEC_UNKNOWN_MESSAGE')).toBe(1);
    const broken: CodecModule = {
      ...refusing,
      decodeServerMessage: (frame) => (frame as unknown as { missing: { field: number } }).missing.field,
    };
    expect(exercise(broken, Uint8Array.from(Buffer.from('x\n')), refusals)).toMatch(/^TypeError: /);
  });
});
