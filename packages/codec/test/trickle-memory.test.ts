import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createFrameDecoder, type FramingConfig } from '../src/index.js';

// A fresh context created after the flag is set carries `gc`.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function liveBytes(): number {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/**
 * Memory the decoder holds per byte of one unfinished frame that arrived one
 * byte per read, each read in its own buffer as a socket delivers it. Before
 * small chunks were copied together this was 293 bytes per byte (issue 13).
 */
function bytesHeldPerByte(config: FramingConfig, header: Uint8Array, bytes: number): number {
  // A first pass warms the code up, so what is compiled on the way is not counted as held.
  trickle(config, header, bytes);
  const before = liveBytes();
  const decoder = trickle(config, header, bytes);
  const held = liveBytes() - before;
  expect(decoder.bufferedBytes).toBe(header.length + bytes);
  return held / bytes;
}

function trickle(config: FramingConfig, header: Uint8Array, bytes: number) {
  const decoder = createFrameDecoder(config);
  const frames: Uint8Array[] = [];
  for (const byte of header) decoder.push(Uint8Array.of(byte), (f) => frames.push(f));
  for (let i = 0; i < bytes; i++) decoder.push(Uint8Array.of(0x61), (f) => frames.push(f));
  expect(frames).toEqual([]);
  return decoder;
}

/** Length-prefixed framing: a big-endian length of `lengthBytes` at offset 0 counting the bytes after it. */
function bigEndianLength(lengthBytes: 2 | 4, maxFrameBytes: number): FramingConfig {
  return {
    kind: 'length-prefixed',
    lengthOffset: 0,
    lengthBytes,
    lengthEndian: 'big',
    lengthAdjustment: 0,
    maxFrameBytes,
  };
}

describe('a frame trickled one byte per read', () => {
  // Enough bytes that the few hundred KiB a heap measurement wobbles by is under 2 bytes per byte.
  const bytes = 200_000;

  it('holds a few bytes per byte in a line decoder, not one chunk object per byte', () => {
    const lines: FramingConfig = {
      kind: 'delimited',
      delimiter: [0x0a],
      keepDelimiter: false,
      stripCarriageReturn: true,
      maxFrameBytes: 256 * 1024,
    };
    expect(bytesHeldPerByte(lines, new Uint8Array(0), bytes)).toBeLessThan(8);
  });

  it('holds a few bytes per byte in a length-prefixed decoder', () => {
    const u32 = bigEndianLength(4, 256 * 1024);
    expect(bytesHeldPerByte(u32, Uint8Array.of(0, 0x03, 0x0d, 0x41), bytes)).toBeLessThan(8);
  });
});

describe('a frame announced large and sent small', () => {
  it('costs what arrived, not what its length field promised: 200 peers announcing 8 MiB hold a few MiB', () => {
    const u32 = bigEndianLength(4, 8 * 1024 * 1024);
    // A u32 length of 8 MiB - 4 (the bytes after it), then 4 of them.
    const announce = Uint8Array.of(0x00, 0x7f, 0xff, 0xfc, 0x61, 0x62, 0x63, 0x64);
    const before = liveBytes();
    const decoders = Array.from({ length: 200 }, () => {
      const decoder = createFrameDecoder(u32);
      decoder.push(announce.slice(), () => {
        throw new Error('no frame is complete');
      });
      return decoder;
    });
    const held = liveBytes() - before;
    expect(decoders.every((decoder) => decoder.bufferedBytes === 8)).toBe(true);
    // Whole frames at header time would be 200 × 8 MiB = 1.6 GB; a first buffer of 16 KiB each is 3.2 MiB.
    expect(held).toBeLessThan(8 * 1024 * 1024);
  });

  it('still delivers the whole frame, byte for byte, when it arrives in many reads', () => {
    const u16 = bigEndianLength(2, 65_535);
    const body = Uint8Array.from({ length: 60_000 }, (_, index) => (index * 7) % 251);
    const decoder = createFrameDecoder(u16);
    const frames: Uint8Array[] = [];
    // 60,000 bytes after the u16 length: the frame is those 2 bytes and the body.
    decoder.push(Uint8Array.of(0xea, 0x60), (frame) => frames.push(frame));
    for (let at = 0; at < body.length; at += 1000) {
      decoder.push(body.slice(at, at + 1000), (frame) => frames.push(frame.slice()));
    }
    expect(frames).toHaveLength(1);
    expect(Buffer.from(frames[0]!).equals(Buffer.concat([Buffer.of(0xea, 0x60), body]))).toBe(true);
  });
});
