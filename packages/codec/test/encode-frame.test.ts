import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createFrameDecoder,
  encodeFrame,
  FrameTooLargeError,
  type FramingConfig,
  InvalidFramingError,
  InvalidLengthError,
} from '../src/index.js';
import { caught, enc } from './support.js';

type LengthPrefixed = Extract<FramingConfig, { kind: 'length-prefixed' }>;
const lp = (rest: Partial<LengthPrefixed>): LengthPrefixed => ({
  kind: 'length-prefixed',
  lengthOffset: 0,
  lengthBytes: 2,
  lengthEndian: 'big',
  lengthAdjustment: 0,
  maxFrameBytes: 100,
  ...rest,
});
const hi = enc('hi');

describe('encodeFrame, length-prefixed', () => {
  it('writes the length of what follows the field', () => {
    expect(encodeFrame(lp({}), hi)).toEqual(Uint8Array.of(0, 2, 0x68, 0x69));
  });

  it('reverses a whole-frame adjustment', () => {
    expect(encodeFrame(lp({ lengthAdjustment: -2 }), hi)).toEqual(Uint8Array.of(0, 4, 0x68, 0x69));
  });

  it('writes little-endian 8-byte fields', () => {
    expect(encodeFrame(lp({ lengthBytes: 8, lengthEndian: 'little' }), hi)).toEqual(
      Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0x68, 0x69),
    );
  });

  it('with lengthOffset > 0 fills the placeholder in a copy of the whole frame', () => {
    const body = Uint8Array.of(7, 0xee, 0xee, 1, 2, 3);
    const frame = encodeFrame(lp({ lengthOffset: 1 }), body);
    expect(frame).toEqual(Uint8Array.of(7, 0, 3, 1, 2, 3));
    expect(body).toEqual(Uint8Array.of(7, 0xee, 0xee, 1, 2, 3));
  });

  it('refuses a whole frame shorter than its length field', () => {
    expect(() => encodeFrame(lp({ lengthOffset: 3 }), Uint8Array.of(1, 2, 3, 4))).toThrow(InvalidFramingError);
  });

  it('refuses a length the field cannot hold', () => {
    const err = caught(() => encodeFrame(lp({ lengthBytes: 1, maxFrameBytes: 1000 }), new Uint8Array(256)));
    expect(err).toBeInstanceOf(InvalidLengthError);
    expect((err as Error).message).toBe(
      'a frame of 257 bytes needs the 1-byte length field to hold 256 (lengthAdjustment 0), which it cannot',
    );
    expect(() => encodeFrame(lp({ lengthAdjustment: 3 }), hi)).toThrow(InvalidLengthError);
  });

  it('refuses a frame above maxFrameBytes', () => {
    expect(caught(() => encodeFrame(lp({ maxFrameBytes: 3 }), hi))).toMatchObject({
      code: 'SOCKSPEC_FRAME_TOO_LARGE',
      actual: 4,
      limit: 3,
    });
  });

  it('round-trips through the decoder for random configs and bodies', () => {
    const config = fc.record({
      kind: fc.constant('length-prefixed' as const),
      lengthOffset: fc.nat({ max: 3 }),
      lengthBytes: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
      lengthEndian: fc.constantFrom('big' as const, 'little' as const),
      lengthAdjustment: fc.integer({ min: -12, max: 4 }),
      maxFrameBytes: fc.constant(200),
    });
    fc.assert(
      fc.property(config, fc.uint8Array({ minLength: 16, maxLength: 150 }), (cfg, body) => {
        const frame = encodeFrame(cfg, body);
        const frames: Uint8Array[] = [];
        createFrameDecoder(cfg).push(frame, (f) => frames.push(f));
        expect(frames).toEqual([frame]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodeFrame, delimited', () => {
  const crlf: FramingConfig = {
    kind: 'delimited',
    delimiter: [13, 10],
    keepDelimiter: false,
    stripCarriageReturn: false,
    maxFrameBytes: 6,
  };

  it('appends the delimiter and counts it against the maximum', () => {
    expect(encodeFrame(crlf, enc('abcd'))).toEqual(enc('abcd\r\n'));
    expect(caught(() => encodeFrame(crlf, enc('abcde')))).toBeInstanceOf(FrameTooLargeError);
  });

  it('refuses a body containing the delimiter, or overlapping it at the end', () => {
    expect(caught(() => encodeFrame(crlf, enc('a\r\nb')))).toMatchObject({
      code: 'SOCKSPEC_INVALID_FRAMING',
      message: 'body contains the delimiter "\\r\\n" (ending at byte 3), so the frame would be cut there',
    });
    const aa: FramingConfig = { ...crlf, delimiter: [0x61, 0x61], maxFrameBytes: 10 };
    expect(() => encodeFrame(aa, enc('xa'))).toThrow(/ending at byte 3/);
    expect(encodeFrame({ ...crlf, maxFrameBytes: 10 }, enc('a\r\r'))).toEqual(enc('a\r\r\r\n'));
  });

  it('refuses a body ending in \\r when stripCarriageReturn would eat it', () => {
    const lines: FramingConfig = { ...crlf, delimiter: [10], stripCarriageReturn: true };
    expect(() => encodeFrame(lines, enc('a\r'))).toThrow(InvalidFramingError);
  });
});

describe('encodeFrame, other kinds', () => {
  it('raw and datagram return the body itself, within the maximum', () => {
    expect(encodeFrame({ kind: 'raw', maxFrameBytes: 2 }, hi)).toBe(hi);
    expect(encodeFrame({ kind: 'datagram', maxFrameBytes: 2 }, hi)).toBe(hi);
    expect(() => encodeFrame({ kind: 'datagram', maxFrameBytes: 1 }, hi)).toThrow(FrameTooLargeError);
  });

  it('datagram with a trailing delimiter appends it, allows it inside the body, and counts it against the maximum', () => {
    const framing = {
      kind: 'datagram',
      maxFrameBytes: 4,
      trailingDelimiter: [0x0a],
      stripCarriageReturn: true,
    } as const;
    expect(encodeFrame(framing, Uint8Array.of(0x61, 0x0a, 0x62))).toEqual(Uint8Array.of(0x61, 0x0a, 0x62, 0x0a));
    expect(() => encodeFrame(framing, new Uint8Array(4))).toThrow(FrameTooLargeError);
    expect(() => encodeFrame(framing, Uint8Array.of(0x61, 0x0d))).toThrow(InvalidFramingError);
  });

  it('fixed wants exactly frameBytes', () => {
    const fixed: FramingConfig = { kind: 'fixed', frameBytes: 2, maxFrameBytes: 2 };
    expect(encodeFrame(fixed, hi)).toBe(hi);
    expect(() => encodeFrame(fixed, enc('h'))).toThrow(InvalidLengthError);
    expect(() => encodeFrame(fixed, enc('hi!'))).toThrow(FrameTooLargeError);
  });
});
