/**
 * Lengths and counts held by other fields (issue 8), in the generated `sized`
 * package: memcached's header layout, where keyLength and extrasLength sit in
 * the header, far from the key and extras they measure.
 */
import { describe, expect, it } from 'vitest';
import * as sized from './golden/sized/src/index.js';
import { failure } from './wire.js';

/** The 24-byte header from the byte table: magic, opcode, keyLength, extrasLength, dataType, status, length, opaque, cas. */
function header(opcode: number, keyLength: number, extrasLength: number, bodyBytes: number, opaque: number): Buffer {
  const bytes = Buffer.alloc(24);
  bytes.writeUInt8(0x80, 0);
  bytes.writeUInt8(opcode, 1);
  bytes.writeUInt16BE(keyLength, 2);
  bytes.writeUInt8(extrasLength, 4);
  bytes.writeUInt32BE(bodyBytes, 8);
  bytes.writeUInt32BE(opaque, 12);
  return bytes;
}

const set = {
  status: 0,
  opaque: 5,
  cas: 0n,
  extras: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]),
  key: new TextEncoder().encode('hello'),
  tags: [1, 2, 3],
  value: new TextEncoder().encode('world'),
};

describe('lengths and counts in other fields', () => {
  it('fills keyLength, extrasLength and tagCount in; the caller never passes them', () => {
    const body = Buffer.concat([
      Buffer.from(set.extras),
      Buffer.from('hello'),
      Buffer.from([3, 0, 1, 0, 2, 0, 3]),
      Buffer.from('world'),
    ]);
    expect(Buffer.from(sized.encodeSet(set))).toEqual(Buffer.concat([header(2, 5, 8, body.length, 5), body]));
    expect(sized.decodeClientMessage(sized.encodeSet(set))).toEqual({ type: 'Set', ...set });
  });

  it('writes 0 for a header length no field of the message uses, and refuses anything else there', () => {
    const noop = sized.encodeNoop({ status: 0, opaque: 1, cas: 0n });
    expect(Buffer.from(noop)).toEqual(header(10, 0, 0, 0, 1));
    const bad = Buffer.from(noop);
    bad.writeUInt16BE(3, 2);
    const error = failure(() => sized.decodeNoop(new Uint8Array(bad)));
    expect(error.code).toBe('SOCKSPEC_INVALID_FIELD');
    expect(error.message).toContain("field 'keyLength': expected 0 (Noop has no field it gives the size of), got 3");
  });

  it('checks a header length against the field limit before reading, and against the frame', () => {
    const tooLong = Buffer.concat([header(0, 251, 0, 251, 1), Buffer.alloc(251)]);
    expect(failure(() => sized.decodeGet(new Uint8Array(tooLong))).message).toContain(
      "field 'key' is 251 bytes, maxBytes is 250",
    );
    const pastFrame = Buffer.concat([header(0, 20, 0, 4, 1), Buffer.from('abcd')]);
    expect(failure(() => sized.decodeGet(new Uint8Array(pastFrame))).code).toBe('SOCKSPEC_TRUNCATED_MESSAGE');
    const short = Buffer.concat([header(0, 2, 0, 4, 1), Buffer.from('abcd')]);
    expect(failure(() => sized.decodeGet(new Uint8Array(short))).code).toBe('SOCKSPEC_TRAILING_BYTES');
  });

  it('refuses to encode a value longer than its length field can say', () => {
    const error = failure(() => sized.encodeGet({ status: 0, opaque: 1, cas: 0n, key: new Uint8Array(251) }));
    expect(error.code).toBe('SOCKSPEC_FIELD_TOO_LARGE');
    // A count field of one byte caps the list at 255 elements (maxCount defaults to what the field holds).
    const tags = Array.from({ length: 256 }, () => 0);
    expect(failure(() => sized.encodeSet({ ...set, tags })).code).toBe('SOCKSPEC_FIELD_TOO_LARGE');
  });
});
