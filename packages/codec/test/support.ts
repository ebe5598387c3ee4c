import { isSockspecError, type SockspecErrorCode } from '@sockspec/errors';
import { expect } from 'vitest';
import { createFrameDecoder, type FollowingSteps, type FrameSender, type FramingConfig } from '../src/index.js';

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
export const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** What `fn` threw (undefined when it returned). */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cuts `stream` at `cuts` (any order, duplicates allowed); each chunk gets its own ArrayBuffer, as socket reads do. */
export function split(stream: Uint8Array, cuts: readonly number[]): { chunks: Uint8Array[]; starts: number[] } {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(c, 0), stream.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  const starts: number[] = [];
  let from = 0;
  for (const p of [...points, stream.length]) {
    chunks.push(stream.slice(from, p));
    starts.push(from);
    from = p;
  }
  return { chunks, starts };
}

// ---------------------------------------------------------------------------
// Reference decoders: obviously correct, whole-stream, no incrementality.
// The incremental decoders must agree with them however the stream is cut.

export interface ExpectedFrame {
  readonly bytes: Uint8Array;
  /** The stream range the delivered bytes are, or null when they are not contiguous there. */
  readonly range: readonly [number, number] | null;
}

export interface Expected {
  readonly frames: ExpectedFrame[];
  /** Error code, and how many stream bytes it takes to know it. */
  readonly error: { readonly code: SockspecErrorCode; readonly at: number } | null;
  /** Bytes of an incomplete frame at the end (when no error). */
  readonly leftover: number;
}

export function reference(config: FramingConfig, s: Uint8Array): Expected {
  const frames: ExpectedFrame[] = [];
  let pos = 0;
  switch (config.kind) {
    case 'fixed': {
      while (s.length - pos >= config.frameBytes) {
        frames.push({ bytes: s.slice(pos, pos + config.frameBytes), range: [pos, pos + config.frameBytes] });
        pos += config.frameBytes;
      }
      return { frames, error: null, leftover: s.length - pos };
    }
    case 'delimited': {
      const d = config.delimiter;
      const L = d.length;
      const max = config.maxFrameBytes;
      for (;;) {
        let found = -1;
        for (let i = pos; i + L <= s.length && i + L - pos <= max; i++) {
          if (d.every((b, k) => s[i + k] === b)) {
            found = i + L;
            break;
          }
        }
        if (found < 0) {
          if (s.length - pos >= max)
            return { frames, error: { code: 'SOCKSPEC_FRAME_TOO_LARGE', at: pos + max }, leftover: 0 };
          return { frames, error: null, leftover: s.length - pos };
        }
        const raw = Array.from(s.slice(pos, found));
        let content = config.keepDelimiter ? raw : raw.slice(0, raw.length - L);
        let range: [number, number] | null = [pos, pos + content.length];
        if (config.stripCarriageReturn && raw.length >= 2 && raw[raw.length - 2] === 0x0d) {
          if (config.keepDelimiter) {
            content = [...raw.slice(0, raw.length - 2), 0x0a];
            range = null;
          } else {
            content = content.slice(0, -1);
            range = [pos, pos + content.length];
          }
        }
        frames.push({ bytes: Uint8Array.from(content), range });
        pos = found;
      }
    }
    case 'length-prefixed': {
      const H = config.lengthOffset + config.lengthBytes;
      while (s.length - pos >= H) {
        const view = new DataView(s.buffer, s.byteOffset + pos + config.lengthOffset, config.lengthBytes);
        const le = config.lengthEndian === 'little';
        const big =
          config.lengthBytes === 1
            ? BigInt(view.getUint8(0))
            : config.lengthBytes === 2
              ? BigInt(view.getUint16(0, le))
              : config.lengthBytes === 4
                ? BigInt(view.getUint32(0, le))
                : view.getBigUint64(0, le);
        const frameLength = BigInt(H) + big + BigInt(config.lengthAdjustment);
        if (big > BigInt(Number.MAX_SAFE_INTEGER) || frameLength < BigInt(H)) {
          return { frames, error: { code: 'SOCKSPEC_INVALID_LENGTH', at: pos + H }, leftover: 0 };
        }
        if (frameLength > BigInt(config.maxFrameBytes)) {
          return { frames, error: { code: 'SOCKSPEC_FRAME_TOO_LARGE', at: pos + H }, leftover: 0 };
        }
        const n = Number(frameLength);
        if (s.length - pos < n) break;
        frames.push({ bytes: s.slice(pos, pos + n), range: [pos, pos + n] });
        pos += n;
      }
      return { frames, error: null, leftover: s.length - pos };
    }
    default:
      throw new Error(`no reference decoder for ${config.kind}`);
  }
}

/**
 * Pushes `stream` cut at `cuts` through a fresh decoder and checks it against
 * the reference: the same frames in order; every frame lying inside one chunk
 * is a view of that chunk, every other one an exact-size copy; the error (if
 * any) thrown by the push holding the byte that decides it; bufferedBytes never
 * above maxFrameBytes; end() truncated exactly when bytes are left over.
 */
export function checkAgainstReference(config: FramingConfig, stream: Uint8Array, cuts: readonly number[]): void {
  const expected = reference(config, stream);
  const { chunks, starts } = split(stream, cuts);
  const decoder = createFrameDecoder(config);
  const got: { frame: Uint8Array; chunk: number }[] = [];
  let thrown: unknown = null;
  let thrownAtChunk = -1;
  for (let c = 0; c < chunks.length; c++) {
    try {
      decoder.push(chunks[c]!, (frame) => got.push({ frame, chunk: c }));
    } catch (err) {
      thrown = err;
      thrownAtChunk = c;
      break;
    }
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(config.maxFrameBytes);
  }

  expect(got.map((g) => Array.from(g.frame))).toEqual(expected.frames.map((f) => Array.from(f.bytes)));

  for (let i = 0; i < got.length; i++) {
    const { frame } = got[i]!;
    const range = expected.frames[i]!.range;
    if (frame.length === 0) continue;
    const inside =
      range === null ? -1 : chunks.findIndex((ch, c) => starts[c]! <= range[0] && range[1] <= starts[c]! + ch.length);
    if (inside >= 0 && range !== null) {
      expect(frame.buffer).toBe(chunks[inside]!.buffer);
      expect(frame.byteOffset).toBe(range[0] - starts[inside]!);
    } else {
      expect(chunks.some((ch) => ch.buffer === frame.buffer)).toBe(false);
      expect(frame.byteOffset).toBe(0);
      expect(frame.buffer.byteLength).toBe(frame.length);
    }
  }

  if (expected.error === null) {
    expect(thrown).toBeNull();
    expect(decoder.bufferedBytes).toBe(expected.leftover);
    if (expected.leftover > 0)
      expect(() => decoder.end()).toThrowError(
        expect.objectContaining({ code: 'SOCKSPEC_TRUNCATED_FRAME', bufferedBytes: expected.leftover }),
      );
    else decoder.end();
  } else {
    expect(isSockspecError(thrown, expected.error.code)).toBe(true);
    // The push that threw is the one holding the deciding byte.
    const at = expected.error.at;
    expect(starts[thrownAtChunk]! < at && at <= starts[thrownAtChunk]! + chunks[thrownAtChunk]!.length).toBe(true);
    // Poisoned: the same error again, whatever comes next.
    expect(caught(() => decoder.push(new Uint8Array(1), () => {}))).toBe(thrown);
    expect(caught(() => decoder.end())).toBe(thrown);
  }
}

/** Every way of cutting the stream once, plus one byte per chunk. */
export function checkEveryBoundary(config: FramingConfig, stream: Uint8Array): void {
  for (let k = 0; k <= stream.length; k++) checkAgainstReference(config, stream, [k]);
  checkAgainstReference(
    config,
    stream,
    Array.from({ length: stream.length }, (_, i) => i),
  );
}

/** CRLF-delimited framing whose frames are several lines, as `following` says (RESP, HTTP). */
export function crlfFollowing(following: FollowingSteps, maxFrameBytes: number): FramingConfig {
  return {
    kind: 'delimited',
    delimiter: [13, 10],
    keepDelimiter: false,
    stripCarriageReturn: false,
    maxFrameBytes,
    following,
  };
}

/** Every frame a decoder cuts from `chunks`, as text, after end(). */
export function framesOf(config: FramingConfig, chunks: readonly Uint8Array[], sender: FrameSender): string[] {
  const decoder = createFrameDecoder(config, { sender });
  const out: string[] = [];
  for (const chunk of chunks) decoder.push(chunk, (frame) => out.push(dec(frame)));
  decoder.end();
  return out;
}
