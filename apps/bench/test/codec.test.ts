import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codecCases, HAND_WRITTEN } from '../src/codec.js';
import { CUTS, measureFrameStreams } from '../src/frame-stream.js';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

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

  it("the hand-written DataView codecs write exactly the generated codecs' bytes", () => {
    for (const benchCase of codecCases()) {
      const codecs = benchCase.codecs as readonly { name: string; encode: (v: unknown) => Uint8Array | string }[];
      const ours = codecs.find((codec) => codec.name === 'sockspec')!.encode(benchCase.value);
      const byHand = codecs.find((codec) => codec.name === HAND_WRITTEN)!.encode(benchCase.value);
      expect(Buffer.from(byHand).toString('hex'), benchCase.name).toBe(Buffer.from(ours).toString('hex'));
    }
  });

  it('src/gen/bench_pb.ts is what protoc-gen-es makes of proto/bench.proto today', () => {
    const out = mkdtempSync(join(tmpdir(), 'sockspec-proto-'));
    try {
      const bin = join(benchDir, 'node_modules', '.bin');
      execFileSync(join(bin, 'buf'), ['generate', '-o', out], {
        cwd: benchDir,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        stdio: 'pipe',
      });
      const fresh = readFileSync(join(out, 'src', 'gen', 'bench_pb.ts'), 'utf8');
      expect(fresh, 'run pnpm --filter @sockspec/bench proto').toBe(
        readFileSync(join(benchDir, 'src', 'gen', 'bench_pb.ts'), 'utf8'),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('frame decoding counts every frame of the stream at every cut, for both decoders', () => {
    const results = measureFrameStreams(1);
    expect(results).toHaveLength(2 * CUTS.length * 2);
    for (const result of results) expect(result.megabytesPerSecond).toBeGreaterThan(0);
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
