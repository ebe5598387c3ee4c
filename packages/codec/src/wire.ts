const TWO_POW_32 = 0x1_0000_0000;

/**
 * An unsigned 64-bit value as a number, for length and count prefixes:
 * exact up to Number.MAX_SAFE_INTEGER, and above it some number that is
 * still above it, so `value > maxBytes` rejects it correctly without a
 * BigInt per field. (Use DataView.getBigUint64 for u64 fields that are
 * values rather than lengths.)
 */
export function getUint64Number(view: DataView, offset: number, littleEndian: boolean): number {
  const high = view.getUint32(littleEndian ? offset + 4 : offset, littleEndian);
  const low = view.getUint32(littleEndian ? offset : offset + 4, littleEndian);
  return high * TWO_POW_32 + low;
}

/**
 * A signed 64-bit field read as a number, without a BigInt: for timestamps,
 * whose valid range (±8.64e15 ms) is inside 2^53, so every value a Date can
 * hold comes back exact, and one beyond it still compares beyond the range.
 * A BigInt per field cost 50-90 ns (chat Said, file-transfer Listing).
 */
export function getInt64Number(view: DataView, offset: number, littleEndian: boolean): number {
  const high = view.getInt32(littleEndian ? offset + 4 : offset, littleEndian);
  const low = view.getUint32(littleEndian ? offset : offset + 4, littleEndian);
  return high * TWO_POW_32 + low;
}

/** Writes an integer within ±2^53 as a signed 64-bit field, without a BigInt (see getInt64Number). */
export function setInt64Number(view: DataView, offset: number, value: number, littleEndian: boolean): void {
  const high = Math.floor(value / TWO_POW_32);
  const low = value - high * TWO_POW_32;
  view.setInt32(littleEndian ? offset + 4 : offset, high, littleEndian);
  view.setUint32(littleEndian ? offset : offset + 4, low, littleEndian);
}

/** Whether frame[offset, offset + expected.length) holds exactly `expected`; the caller has checked the bounds. */
export function bytesEqualAt(frame: Uint8Array, offset: number, expected: Uint8Array): boolean {
  for (let index = 0; index < expected.length; index += 1) {
    if (frame[offset + index] !== expected[index]) return false;
  }
  return true;
}

/** Bytes of `value` (an unsigned integer below 2^53) as an unsigned LEB128 varint. */
export function uvarintSize(value: number): number {
  let bytes = 1;
  // Division, not >>>: values past 2^32 (a 5-byte varint's range) must not wrap.
  for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) bytes += 1;
  return bytes;
}

/** Writes `value` as an unsigned LEB128 varint at `offset`; returns the bytes written. */
export function writeUvarint(frame: Uint8Array, offset: number, value: number): number {
  let at = offset;
  let rest = value;
  while (rest >= 0x80) {
    frame[at] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
    at += 1;
  }
  frame[at] = rest;
  return at + 1 - offset;
}

/** Bytes of a 64-bit unsigned `value` as an unsigned LEB128 varint (at most 10). */
export function uvarintSize64(value: bigint): number {
  let bytes = 1;
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) bytes += 1;
  return bytes;
}

/** Writes a 64-bit unsigned `value` as an unsigned LEB128 varint at `offset`; returns the bytes written. */
export function writeUvarint64(frame: Uint8Array, offset: number, value: bigint): number {
  let at = offset;
  let rest = value;
  while (rest >= 0x80n) {
    frame[at] = Number(rest & 0x7fn) | 0x80;
    rest >>= 7n;
    at += 1;
  }
  frame[at] = Number(rest);
  return at + 1 - offset;
}
