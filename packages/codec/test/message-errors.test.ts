import { isSockspecError, SockspecError } from '@sockspec/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FieldTooLargeError,
  getInt64Number,
  getUint64Number,
  InvalidFieldError,
  previewText,
  setInt64Number,
  TrailingBytesError,
  TruncatedMessageError,
  UnknownMessageError,
} from '../src/index.js';

describe('message errors', () => {
  it('TruncatedMessageError says field, need, offset and frame size', () => {
    const err = new TruncatedMessageError({ message: 'Join', field: 'room', needed: 12, offset: 5, frameBytes: 9 });
    expect(err.message).toBe("message Join: field 'room' needs 12 bytes at offset 5, frame has 9");
    expect(err.code).toBe('SOCKSPEC_TRUNCATED_MESSAGE');
    expect(err).toBeInstanceOf(SockspecError);
    expect(err.name).toBe('TruncatedMessageError');
  });

  it('TrailingBytesError says how many bytes are left over', () => {
    const err = new TrailingBytesError({ protocol: 'chat', message: 'Say', consumed: 10, frameBytes: 14 });
    expect(err.message).toBe('chat message Say: message ends after 10 bytes, frame has 14 (4 trailing bytes)');
    expect(isSockspecError(err, 'SOCKSPEC_TRAILING_BYTES')).toBe(true);
  });

  it('UnknownMessageError names the code or quotes the line, cut short', () => {
    expect(new UnknownMessageError({ protocol: 'chat', code: 9, field: 'type' }).message).toBe(
      "chat: unknown message code 9 in field 'type'",
    );
    const line = `HELO ${'x'.repeat(100)}\u0000`;
    const err = new UnknownMessageError({ line });
    expect(err.message).toBe(`line matches no message template: "HELO ${'x'.repeat(55)}…"`);
    expect(err.line).toBe(line);
    expect(err.code).toBe('SOCKSPEC_UNKNOWN_MESSAGE');
  });

  it('FieldTooLargeError says the announced size and the maximum', () => {
    expect(new FieldTooLargeError({ message: 'Join', field: 'nick', limit: 32, actual: 40 }).message).toBe(
      "message Join: field 'nick' is 40 bytes, maxBytes is 32",
    );
    expect(
      new FieldTooLargeError({ message: 'List', field: 'items', limit: 8, actual: 2n ** 40n, unit: 'elements' })
        .message,
    ).toBe("message List: field 'items' is 1099511627776 elements, maxCount is 8");
  });

  it('InvalidFieldError says expected vs got', () => {
    const err = new InvalidFieldError({
      protocol: 'chat',
      message: 'Join',
      field: 'nick',
      expected: 'a match for /^[A-Za-z0-9_]+$/',
      got: previewText('a b'),
    });
    expect(err.message).toBe(`chat message Join: field 'nick': expected a match for /^[A-Za-z0-9_]+$/, got "a b"`);
    expect(err.field).toBe('nick');
  });
});

describe('getUint64Number', () => {
  it('is exact up to MAX_SAFE_INTEGER and stays above it beyond, in both byte orders', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.boolean(), (value, littleEndian) => {
        const view = new DataView(new ArrayBuffer(9));
        view.setBigUint64(1, value, littleEndian);
        const got = getUint64Number(view, 1, littleEndian);
        if (value <= BigInt(Number.MAX_SAFE_INTEGER)) expect(got).toBe(Number(value));
        else expect(got).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
      }),
      {
        numRuns: 500,
        examples: [
          [2n ** 53n - 1n, false],
          [2n ** 53n, true],
          [2n ** 53n + 1n, false],
          [2n ** 64n - 1n, true],
        ],
      },
    );
  });
});

describe('getInt64Number and setInt64Number', () => {
  const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

  it('write the bytes setBigInt64 writes and read them back exactly within ±2^53, in both byte orders', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -SAFE, max: SAFE }), fc.boolean(), (value, littleEndian) => {
        const ours = new DataView(new ArrayBuffer(9));
        const reference = new DataView(new ArrayBuffer(9));
        setInt64Number(ours, 1, Number(value), littleEndian);
        reference.setBigInt64(1, value, littleEndian);
        expect(new Uint8Array(ours.buffer)).toEqual(new Uint8Array(reference.buffer));
        expect(getInt64Number(reference, 1, littleEndian)).toBe(Number(value));
      }),
      {
        numRuns: 500,
        examples: [
          [0n, false],
          [-1n, true],
          [-SAFE, false],
          [SAFE, true],
          [-(2n ** 32n), false],
        ],
      },
    );
  });

  it('read any value beyond ±2^53 as beyond it, so a range check below 2^53 still refuses it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.boolean(), (value, littleEndian) => {
        const view = new DataView(new ArrayBuffer(8));
        view.setBigInt64(0, value, littleEndian);
        const got = getInt64Number(view, 0, littleEndian);
        if (value > SAFE) expect(got).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
        else if (value < -SAFE) expect(got).toBeLessThan(-Number.MAX_SAFE_INTEGER);
        else expect(got).toBe(Number(value));
      }),
      {
        numRuns: 500,
        examples: [
          [2n ** 63n - 1n, false],
          [-(2n ** 63n), true],
          [SAFE + 1n, false],
        ],
      },
    );
  });
});
