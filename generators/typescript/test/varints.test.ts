/**
 * Variable-length integers (issue 8) in the generated `varints` package,
 * checked against an independent LEB128 encoder in Python and at the edges
 * of each declared width.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as varints from './golden/varints/src/index.js';
import { failure as typedFailure } from './wire.js';

const failure = (run: () => unknown): string => {
  const { code, message } = typedFailure(run);
  return `${code}: ${message}`;
};

/** LEB128 and zigzag as protobuf documents them, in Python, knowing nothing of the generated code. */
const PYTHON_LEB128 = `
import json, sys
def uleb(n):
    out = bytearray()
    while True:
        byte = n & 0x7f
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
def zig(n, bits):
    return (n << 1) ^ (n >> (bits - 1))
m = json.loads(sys.argv[1])
body = b"\\x01" + uleb(m["small"]) + uleb(zig(m["signed"], 32)) + uleb(int(m["big"])) + uleb(zig(int(m["bigSigned"]), 64))
body += uleb(m["remaining"]) + bytes([len(m["tags"])]) + b"".join(uleb(zig(t, 32)) for t in m["tags"]) + bytes([m["after"]])
print((len(body)).to_bytes(2, "big").hex() + body.hex())
`;

const message = {
  small: 4_294_967_295,
  signed: -2_147_483_648,
  big: 2n ** 64n - 1n,
  bigSigned: -(2n ** 63n),
  remaining: 268_435_455,
  tags: [0, -1, 1, -64, 64, 2_147_483_647],
  after: 7,
};

describe('varints', () => {
  it.skipIf(spawnSync('python3', ['--version']).status !== 0)(
    'encode as an independent Python LEB128 encoder does, at the extremes of every width',
    () => {
      const json = JSON.stringify(message, (_, value) => (typeof value === 'bigint' ? String(value) : value));
      const python = execFileSync('python3', ['-c', PYTHON_LEB128, json], { encoding: 'utf8' }).trim();
      const encoded = varints.encodeCounts(message);
      expect(Buffer.from(encoded).toString('hex')).toBe(python);
      expect(varints.decodeCounts(encoded)).toEqual({ type: 'Counts', ...message });
    },
  );

  it('writes 300 as ac 02 and MQTT’s largest remaining length as ff ff ff 7f', () => {
    const bytes = Buffer.from(
      varints.encodeCounts({
        small: 300,
        signed: 0,
        big: 0n,
        bigSigned: 0n,
        remaining: 268_435_455,
        tags: [],
        after: 0,
      }),
    );
    expect(bytes.subarray(3, 5).toString('hex')).toBe('ac02');
    expect(bytes.subarray(8, 12).toString('hex')).toBe('ffffff7f');
  });

  it('refuses values a field cannot carry, and input longer than its width', () => {
    const base = { small: 0, signed: 0, big: 0n, bigSigned: 0n, remaining: 0, tags: [], after: 0 };
    expect(failure(() => varints.encodeCounts({ ...base, remaining: 268_435_456 }))).toContain(
      "field 'remaining': expected an integer from 0 to 268435455 (a varint of at most 4 bytes)",
    );
    expect(failure(() => varints.encodeCounts({ ...base, small: -1 }))).toContain('SOCKSPEC_INVALID_FIELD');
    expect(failure(() => varints.encodeCounts({ ...base, small: 2 ** 32 }))).toContain('SOCKSPEC_INVALID_FIELD');
    const frame = (body: number[]) => new Uint8Array([0, body.length + 1, 1, ...body]);
    // 'remaining' takes at most 4 bytes: a fifth with the high bit still set on the fourth is refused.
    expect(failure(() => varints.decodeCounts(frame([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0])))).toContain(
      "field 'remaining': expected a varint of at most 4 bytes",
    );
    // Five bytes is a 32-bit varint's width, but this one says 2^35 - 1.
    expect(failure(() => varints.decodeCounts(frame([0xff, 0xff, 0xff, 0xff, 0x7f])))).toContain(
      "field 'small': expected a varint of at most 4294967295",
    );
    // A varint that runs off the end of the frame.
    expect(failure(() => varints.decodeCounts(frame([0x80])))).toContain('SOCKSPEC_TRUNCATED_MESSAGE');
  });
});
