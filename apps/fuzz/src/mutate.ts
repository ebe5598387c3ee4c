/**
 * Mutations of valid frames, as a hostile or broken peer would send them:
 * bit flips, bytes set to boundary values, truncation, extension, splices of
 * two frames, a length header rewritten (huge, zero, off by one), and
 * invalid UTF-8 spliced in. Driven by a seeded PRNG so a failing run can be
 * replayed with the same --seed.
 */

/** mulberry32: small, fast and good enough to pick mutations; not for anything secret. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;

const below = (random: Random, n: number): number => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[below(random, items.length)]!;

/** Values at the edges of integer fields: where off-by-one and sign bugs live. */
const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x0a, 0x0d, 0x20, 0x25];
/** Sequences a UTF-8 decoder must refuse: a lone continuation, an overlong NUL, a surrogate, a truncated sequence. */
const INVALID_UTF8 = [[0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff]];

export const MUTATIONS = [
  'flip-bit',
  'set-boundary-byte',
  'truncate',
  'extend',
  'splice',
  'length-header',
  'invalid-utf8',
  'repeat',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** One mutated copy of `frame` (never the input itself); `others` feed splices. */
export function mutate(random: Random, frame: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  const mutation = pick(random, MUTATIONS);
  const bytes = Uint8Array.from(frame);
  switch (mutation) {
    case 'flip-bit': {
      if (bytes.length === 0) return Uint8Array.of(below(random, 256));
      for (let n = 1 + below(random, 3); n > 0; n--) bytes[below(random, bytes.length)]! ^= 1 << below(random, 8);
      return bytes;
    }
    case 'set-boundary-byte': {
      if (bytes.length === 0) return Uint8Array.of(pick(random, BOUNDARY_BYTES));
      bytes[below(random, bytes.length)] = pick(random, BOUNDARY_BYTES);
      return bytes;
    }
    case 'truncate':
      return bytes.subarray(0, below(random, Math.max(1, bytes.length)));
    case 'extend': {
      const extra = new Uint8Array(1 + below(random, 64));
      for (let i = 0; i < extra.length; i++) extra[i] = below(random, 256);
      return concat([bytes, extra]);
    }
    case 'splice': {
      const other = pick(random, others);
      return concat([
        bytes.subarray(0, below(random, bytes.length + 1)),
        other.subarray(below(random, other.length + 1)),
      ]);
    }
    case 'length-header': {
      // Most binary framings put a length in the first bytes: huge, zero, or one off.
      const width = pick(random, [1, 2, 4]);
      if (bytes.length < width) return bytes;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const max = 2 ** (8 * width) - 1;
      const current = width === 1 ? view.getUint8(0) : width === 2 ? view.getUint16(0) : view.getUint32(0);
      const value = pick(random, [max, 0, current + 1, Math.max(0, current - 1), below(random, max + 1)]);
      if (width === 1) view.setUint8(0, value & 0xff);
      else if (width === 2) view.setUint16(0, value & 0xffff);
      else view.setUint32(0, value >>> 0);
      return bytes;
    }
    case 'invalid-utf8': {
      const at = below(random, bytes.length + 1);
      return concat([bytes.subarray(0, at), Uint8Array.from(pick(random, INVALID_UTF8)), bytes.subarray(at)]);
    }
    case 'repeat':
      return concat([bytes, bytes]);
  }
}

/** Cuts `bytes` into 1–4 pieces at random places, as TCP may deliver them. */
export function cut(random: Random, bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (let n = below(random, 4); n > 0 && at < bytes.length; n--) {
    const next = at + 1 + below(random, bytes.length - at);
    pieces.push(bytes.subarray(at, next));
    at = next;
  }
  if (at < bytes.length) pieces.push(bytes.subarray(at));
  return pieces;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
