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

/** Whether frame[offset, offset + expected.length) holds exactly `expected`; the caller has checked the bounds. */
export function bytesEqualAt(frame: Uint8Array, offset: number, expected: Uint8Array): boolean {
  for (let index = 0; index < expected.length; index += 1) {
    if (frame[offset + index] !== expected[index]) return false;
  }
  return true;
}
