import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adler32, crc16Ccitt, crc32, sum8, xor8 } from '../src/index.js';

const check = new TextEncoder().encode('123456789');

describe('checksums', () => {
  it('give the catalogued check values for "123456789"', () => {
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc16Ccitt(check)).toBe(0x29b1);
    expect(adler32(check)).toBe(0x091e01de);
    expect(sum8(check)).toBe(0xdd);
    expect(xor8(check)).toBe(0x31);
    expect([crc32, crc16Ccitt, adler32, sum8, xor8].map((sum) => sum(new Uint8Array(0)))).toEqual([0, 0xffff, 1, 0, 0]);
  });

  it('crc32 agrees with zlib, and adler32 keeps exact past the 5552-byte runs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(crc32(bytes)).toBe(zlibCrc32(bytes));
      }),
    );
    // 20,000 bytes of 0xFF: the sums would pass 2^32 without the modulo every 5552 bytes.
    const ones = new Uint8Array(20_000).fill(0xff);
    let a = 1;
    let b = 0;
    for (const byte of ones) {
      a = (a + byte) % 65521;
      b = (b + a) % 65521;
    }
    expect(adler32(ones)).toBe(((b << 16) | a) >>> 0);
  });
});
