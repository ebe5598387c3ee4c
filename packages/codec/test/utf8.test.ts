import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findInvalidUtf8, InvalidUtf8Error, utf8ByteLength, utf8Decode, utf8Encode, utf8Write } from '../src/index.js';
import { caught } from './support.js';

/** Any UTF-16 string, lone surrogates included. */
const anyString = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff })), { maxLength: 40 })
  .map((units) => String.fromCharCode(...units));

describe('utf8', () => {
  it('round-trips every well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        expect(utf8Decode(utf8Encode(text), 'f')).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('utf8ByteLength equals the encoded length, lone surrogates included; utf8Write writes the same bytes', () => {
    fc.assert(
      fc.property(anyString, fc.nat({ max: 5 }), (text, offset) => {
        const bytes = utf8Encode(text);
        expect(utf8ByteLength(text)).toBe(bytes.length);
        const target = new Uint8Array(offset + bytes.length + 2).fill(0xee);
        expect(utf8Write(text, target, offset)).toBe(bytes.length);
        expect(target.subarray(offset, offset + bytes.length)).toEqual(bytes);
        expect(target.subarray(offset + bytes.length)).toEqual(Uint8Array.of(0xee, 0xee));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a leading byte order mark as data', () => {
    expect(utf8Decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41), 'f')).toBe('\ufeffA');
  });

  const invalid: [string, number[], number, RegExp][] = [
    ['overlong 2-byte NUL', [0x41, 0xc0, 0x80], 1, /byte 0xc0 cannot start a character \(overlong encoding\)/],
    ['overlong 3-byte', [0xe0, 0x80, 0xaf], 0, /continues with 0x80 \(overlong encoding\)/],
    ['overlong 4-byte', [0xf0, 0x8f, 0xbf, 0xbf], 0, /continues with 0x8f \(overlong encoding\)/],
    ['high surrogate', [0x61, 0x62, 0xed, 0xa0, 0x80], 2, /UTF-16 surrogate/],
    ['low surrogate', [0xed, 0xbf, 0xbf], 0, /UTF-16 surrogate/],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0, /code point above U\+10FFFF/],
    ['lead byte 0xf5', [0xf5, 0x80, 0x80, 0x80], 0, /byte 0xf5 cannot start a character/],
    ['stray continuation', [0x80], 0, /continuation byte with no lead byte/],
    ['truncated 3-byte', [0x61, 0xe2, 0x82], 1, /needs 3 bytes, the field ends after 2 \(truncated\)/],
    ['truncated 4-byte', [0xf0, 0x9f, 0x98], 0, /needs 4 bytes, the field ends after 3 \(truncated\)/],
    ['ASCII where a continuation belongs', [0xc3, 0x41], 0, /continues with 0x41 \(not a continuation byte\)/],
  ];
  it.each(invalid)('rejects %s with InvalidUtf8Error naming the field and offset', (_name, bytes, offset, reason) => {
    const err = caught(() => utf8Decode(Uint8Array.from(bytes), 'Join.nick'));
    expect(err).toBeInstanceOf(InvalidUtf8Error);
    expect(err).toMatchObject({ code: 'SOCKSPEC_INVALID_UTF8', field: 'Join.nick', offset });
    expect((err as Error).message).toMatch(new RegExp(`^field 'Join.nick': invalid UTF-8 at byte ${offset}: `));
    expect((err as Error).message).toMatch(reason);
  });

  it('accepts exactly what a fatal TextDecoder accepts, on random bytes', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const highBytes = fc.array(fc.oneof(fc.integer({ min: 0x80, max: 0xff }), fc.integer({ min: 0, max: 0xff })), {
      maxLength: 12,
    });
    fc.assert(
      fc.property(highBytes, (array) => {
        const bytes = Uint8Array.from(array);
        let expected: string | null;
        try {
          expected = strict.decode(bytes);
        } catch {
          expected = null;
        }
        expect(findInvalidUtf8(bytes) === null).toBe(expected !== null);
        const err = caught(() => utf8Decode(bytes, 'f'));
        if (expected === null) expect(err).toBeInstanceOf(InvalidUtf8Error);
        else expect(utf8Decode(bytes, 'f')).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
