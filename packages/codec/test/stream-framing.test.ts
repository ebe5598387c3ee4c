import { isSockspecError } from '@sockspec/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFrameDecoder, encodeFrame, type FramingConfig } from '../src/index.js';
import { checkAgainstReference, checkEveryBoundary, concat } from './support.js';

type Delimited = Extract<FramingConfig, { kind: 'delimited' }>;
type LengthPrefixed = Extract<FramingConfig, { kind: 'length-prefixed' }>;

const delimited = (delimiter: number[], rest: Partial<Delimited> = {}): Delimited => ({
  kind: 'delimited',
  delimiter,
  keepDelimiter: false,
  stripCarriageReturn: false,
  maxFrameBytes: 48,
  ...rest,
});

const lengthPrefixed = (rest: Partial<LengthPrefixed>): LengthPrefixed => ({
  kind: 'length-prefixed',
  lengthOffset: 0,
  lengthBytes: 2,
  lengthEndian: 'big',
  lengthAdjustment: 0,
  maxFrameBytes: 64,
  ...rest,
});

const CR = 0x0d;
const LF = 0x0a;

const CONFIGS: Record<string, FramingConfig> = {
  'lines (\\n, strip \\r)': delimited([LF], { stripCarriageReturn: true }),
  'lines keeping the delimiter': delimited([LF], { stripCarriageReturn: true, keepDelimiter: true }),
  'NUL-terminated': delimited([0]),
  '\\r\\n': delimited([CR, LF]),
  '\\r\\n kept': delimited([CR, LF], { keepDelimiter: true }),
  'self-overlapping "--."': delimited([0x2d, 0x2d, 0x2e], { maxFrameBytes: 20 }),
  'self-overlapping "\\0\\0" kept': delimited([0, 0], { keepDelimiter: true, maxFrameBytes: 16 }),
  '"abab" boundary': delimited([0x61, 0x62, 0x61, 0x62]),
  'u16 big endian': lengthPrefixed({}),
  'u32 little endian': lengthPrefixed({ lengthBytes: 4, lengthEndian: 'little' }),
  'u8 at offset 2 (type, flags, len)': lengthPrefixed({ lengthOffset: 2, lengthBytes: 1 }),
  'u16 counting the whole frame': lengthPrefixed({ lengthAdjustment: -2 }),
  'u16 LE at offset 3 counting the whole frame': lengthPrefixed({
    lengthOffset: 3,
    lengthEndian: 'little',
    lengthAdjustment: -5,
  }),
  'u16 with negative adjustment -1 (length includes a trailing byte counted twice)': lengthPrefixed({
    lengthOffset: 1,
    lengthAdjustment: -1,
  }),
  'u8 with positive adjustment +3 (uncounted checksum)': lengthPrefixed({ lengthBytes: 1, lengthAdjustment: 3 }),
  'u64 big endian': lengthPrefixed({ lengthBytes: 8 }),
  'u64 little endian at offset 1': lengthPrefixed({ lengthBytes: 8, lengthEndian: 'little', lengthOffset: 1 }),
  'fixed 1 byte': { kind: 'fixed', frameBytes: 1, maxFrameBytes: 1 },
  'fixed 7 bytes': { kind: 'fixed', frameBytes: 7, maxFrameBytes: 7 },
};

/** Bytes that matter to `config`, so random input hits delimiters and length fields often. */
function interestingBytes(config: FramingConfig): number[] {
  const base = [0, 1, 2, 3, 0x41, 0xff];
  if (config.kind === 'delimited') return [...new Set([...base, ...config.delimiter, CR, LF])];
  return base;
}

function bytesArb(config: FramingConfig, maxLength: number): fc.Arbitrary<Uint8Array> {
  return fc
    .array(fc.oneof(fc.constantFrom(...interestingBytes(config)), fc.integer({ min: 0, max: 255 })), { maxLength })
    .map((a) => Uint8Array.from(a));
}

/** Makes `body` one the framing can carry and frames it with encodeFrame. */
function frameOf(config: FramingConfig, body: Uint8Array): Uint8Array {
  switch (config.kind) {
    case 'delimited': {
      let clean = body;
      try {
        return encodeFrame(config, clean);
      } catch {
        clean = body.filter((b) => !config.delimiter.includes(b));
        while (config.stripCarriageReturn && clean[clean.length - 1] === CR) clean = clean.subarray(0, -1);
        return encodeFrame(config, clean);
      }
    }
    case 'length-prefixed': {
      let padded = body;
      for (;;) {
        try {
          return encodeFrame(config, padded);
        } catch (err) {
          if (!isSockspecError(err, 'SOCKSPEC_INVALID_LENGTH') && !isSockspecError(err, 'SOCKSPEC_INVALID_FRAMING')) {
            throw err;
          }
          padded = concat([padded, new Uint8Array(1)]);
        }
      }
    }
    case 'fixed': {
      const frame = new Uint8Array(config.frameBytes);
      frame.set(body.subarray(0, config.frameBytes));
      return frame;
    }
    default:
      throw new Error('stream framings only');
  }
}

/** A valid stream of frames, then maybe the first part of one more. */
function validStream(config: FramingConfig, maxFrames: number): fc.Arbitrary<Uint8Array> {
  const bodyMax = config.kind === 'delimited' ? config.maxFrameBytes - config.delimiter.length : 24;
  return fc
    .tuple(fc.array(bytesArb(config, bodyMax), { maxLength: maxFrames }), bytesArb(config, bodyMax), fc.nat())
    .map(([bodies, last, cut]) => {
      const tail = frameOf(config, last);
      return concat([...bodies.map((b) => frameOf(config, b)), tail.subarray(0, cut % tail.length)]);
    });
}

/**
 * Frames whose size is within 2 bytes of maxFrameBytes (delimited) or whose
 * length field says so (length-prefixed), where an off-by-one in the limit
 * would show.
 */
function nearMaxStream(config: FramingConfig): fc.Arbitrary<Uint8Array> {
  const max = config.maxFrameBytes;
  const size = fc.integer({ min: Math.max(1, max - 2), max: max + 2 });
  switch (config.kind) {
    case 'delimited': {
      const L = config.delimiter.length;
      const filler = config.delimiter.includes(0x41) ? 0x5a : 0x41;
      return fc
        .array(size, { minLength: 1, maxLength: 4 })
        .map((sizes) =>
          concat(
            sizes.map((n) =>
              concat([new Uint8Array(Math.max(0, n - L)).fill(filler), Uint8Array.from(config.delimiter)]),
            ),
          ),
        );
    }
    case 'length-prefixed': {
      const H = config.lengthOffset + config.lengthBytes;
      return fc.array(size, { minLength: 1, maxLength: 4 }).map((sizes) =>
        concat(
          sizes.map((n) => {
            const frame = new Uint8Array(Math.max(n, H));
            const value = BigInt(n - H - config.lengthAdjustment);
            const view = new DataView(frame.buffer, config.lengthOffset, config.lengthBytes);
            const le = config.lengthEndian === 'little';
            if (value >= 0n) {
              if (config.lengthBytes === 1) view.setUint8(0, Number(value) & 0xff);
              else if (config.lengthBytes === 2) view.setUint16(0, Number(value) & 0xffff, le);
              else if (config.lengthBytes === 4) view.setUint32(0, Number(value), le);
              else view.setBigUint64(0, value, le);
            }
            return frame;
          }),
        ),
      );
    }
    default:
      return fc.array(size, { maxLength: 4 }).map((sizes) => concat(sizes.map((n) => new Uint8Array(n))));
  }
}

const cutsArb = fc.array(fc.nat({ max: 400 }), { maxLength: 40 });

describe.each(Object.entries(CONFIGS))('%s', (_name, config) => {
  it('decodes a valid stream cut at every byte boundary (and byte by byte) to the same frames', () => {
    fc.assert(
      fc.property(validStream(config, 5), (stream) => checkEveryBoundary(config, stream)),
      { numRuns: 20 },
    );
  });

  it('decodes a valid stream re-chunked at random to the same frames', () => {
    fc.assert(
      fc.property(validStream(config, 12), cutsArb, (stream, cuts) => checkAgainstReference(config, stream, cuts)),
      { numRuns: 100 },
    );
  });

  it('agrees with the reference decoder on random bytes: same frames, same typed error, raised on the same push', () => {
    fc.assert(
      fc.property(bytesArb(config, 300), cutsArb, (stream, cuts) => checkAgainstReference(config, stream, cuts)),
      { numRuns: 150 },
    );
  });

  it('draws the maxFrameBytes line exactly: frames of max-2 … max+2 bytes, however cut', () => {
    fc.assert(
      fc.property(nearMaxStream(config), cutsArb, (stream, cuts) => checkAgainstReference(config, stream, cuts)),
      { numRuns: 150 },
    );
  });

  it('delivers every frame of a single-chunk stream as a view of that chunk', () => {
    fc.assert(
      fc.property(validStream(config, 8), (stream) => {
        const frames: Uint8Array[] = [];
        const decoder = createFrameDecoder(config);
        decoder.push(stream, (f) => frames.push(f));
        const copies = frames.filter((f) => f.length > 0 && f.buffer !== stream.buffer);
        // Only "line\r\n" kept as "line\n" cannot be a view.
        if (!(config.kind === 'delimited' && config.keepDelimiter && config.stripCarriageReturn)) {
          expect(copies).toEqual([]);
        }
      }),
      { numRuns: 50 },
    );
  });
});
