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
    const u32: FramingConfig = {
      kind: 'length-prefixed',
      lengthOffset: 0,
      lengthBytes: 4,
      lengthEndian: 'big',
      lengthAdjustment: 0,
      maxFrameBytes: 256 * 1024,
    };
    expect(bytesHeldPerByte(u32, Uint8Array.of(0, 0x03, 0x0d, 0x41), bytes)).toBeLessThan(8);
  });
});
