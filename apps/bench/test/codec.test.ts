import { describe, expect, it } from 'vitest';
import { codecCases } from '../src/codec.js';

describe('codec bench baselines', () => {
  it('every codec but JSON decodes each case back to the value it encoded', () => {
    for (const benchCase of codecCases()) {
      for (const codec of benchCase.codecs as readonly {
        name: string;
        encode: (v: unknown) => Uint8Array | string;
        decode: (b: Uint8Array | string) => unknown;
      }[]) {
        if (codec.name === 'JSON') continue;
        const decoded = codec.decode(codec.encode(benchCase.value)) as Record<string, unknown>;
        const { type: _type, ...fields } = decoded;
        expect(fields, `${benchCase.name} through ${codec.name}`).toEqual(benchCase.value);
      }
    }
  });

  it('protobuf-es writes the proto3 wire format: Said is field 1 varint, then strings and a Timestamp', () => {
    const [said] = codecCases();
    const protobuf = said.codecs.find((codec) => codec.name === 'protobuf-es')!;
    const bytes = Buffer.from(protobuf.encode({ ...said.value, id: 5 }) as Uint8Array);
    // 0x08 = field 1, varint; 0x12 = field 2, length-delimited ("lobby").
    expect(bytes.subarray(0, 4).toString('hex')).toBe('0805' + '1205');
    expect(bytes.subarray(4, 9).toString()).toBe('lobby');
  });
});
