import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFrameDecoder, encodeFrame, type FramingConfig } from '../src/index.js';

/** MQTT's framing: one byte of type and flags, then the remaining length as a varint of at most 4 bytes. */
const mqtt: FramingConfig = {
  kind: 'length-prefixed',
  lengthOffset: 1,
  lengthBytes: 4,
  lengthEndian: 'big',
  lengthAdjustment: 0,
  lengthVarint: true,
  maxFrameBytes: 1 << 20,
};

function cut(config: FramingConfig, ...chunks: Uint8Array[]): Uint8Array[] {
  const decoder = createFrameDecoder(config);
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (frame) => frames.push(frame.slice()));
  decoder.end();
  return frames;
}

describe('varint length framing', () => {
  it('frames a PINGREQ (c0 00) and a 200-byte PUBLISH whose length takes two bytes (c8 01)', () => {
    const publish = encodeFrame(mqtt, new Uint8Array([0x30, ...new Uint8Array(200).fill(7)]));
    expect(Buffer.from(publish.subarray(0, 3)).toString('hex')).toBe('30c801');
    expect(publish.length).toBe(203);
    const frames = cut(mqtt, new Uint8Array([0xc0, 0x00]), publish);
    expect(frames.map((frame) => frame.length)).toEqual([2, 203]);
  });

  it('gives the same frames however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (bodies, cuts) => {
          const frames = bodies.map((body) => encodeFrame(mqtt, new Uint8Array([0x30, ...body])));
          const stream = Buffer.concat(frames);
          const points = [...new Set(cuts.map((n) => n % (stream.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let last = 0;
          for (const point of points) {
            chunks.push(stream.subarray(last, point));
            last = point;
          }
          chunks.push(stream.subarray(last));
          expect(cut(mqtt, ...chunks).map((frame) => Buffer.from(frame).toString('hex'))).toEqual(
            frames.map((frame) => Buffer.from(frame).toString('hex')),
          );
        },
      ),
    );
  });

  it('refuses a varint longer than its limit, and a frame too large, before buffering the body', () => {
    expect(() => cut(mqtt, new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(
      expect.objectContaining({ code: 'SOCKSPEC_INVALID_LENGTH' }),
    );
    const decoder = createFrameDecoder(mqtt);
    // 268,435,455 announced: refused at once, with 5 bytes held.
    expect(() => decoder.push(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f]), () => {})).toThrow(
      expect.objectContaining({ code: 'SOCKSPEC_FRAME_TOO_LARGE' }),
    );
  });
});
