/**
 * Checksums a spec can declare over part of a frame (`checksum: crc32`).
 * Each is the usual catalogued variant, so a peer's library computes the same
 * number; the check values (of the ASCII bytes "123456789") are in the tests.
 */

/** 256 entries of the reflected IEEE polynomial 0xEDB88320, built once. */
const CRC32_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib, PNG and Ethernet use it): check value 0xCBF43926. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let index = 0; index < bytes.length; index += 1) {
    crc = CRC32_TABLE[(crc ^ bytes[index]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** 256 entries of the polynomial 0x1021, MSB first. */
const CRC16_TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

/** CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, not reflected): check value 0x29B1. */
export function crc16Ccitt(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (let index = 0; index < bytes.length; index += 1) {
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >>> 8) ^ bytes[index]!) & 0xff]!;
  }
  return crc;
}

/** The largest run of bytes whose sums cannot overflow before the modulo (zlib's NMAX). */
const ADLER_RUN = 5552;

/** Adler-32 (zlib): check value 0x091E01DE. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let start = 0; start < bytes.length; start += ADLER_RUN) {
    const end = Math.min(bytes.length, start + ADLER_RUN);
    for (let index = start; index < end; index += 1) {
      a += bytes[index]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** The bytes added up, modulo 256: check value 0xDD. */
export function sum8(bytes: Uint8Array): number {
  let sum = 0;
  for (let index = 0; index < bytes.length; index += 1) sum = (sum + bytes[index]!) & 0xff;
  return sum;
}

/** The bytes XORed together (an LRC): check value 0x31. */
export function xor8(bytes: Uint8Array): number {
  let sum = 0;
  for (let index = 0; index < bytes.length; index += 1) sum ^= bytes[index]!;
  return sum;
}
