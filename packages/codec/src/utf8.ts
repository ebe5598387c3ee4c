import { InvalidUtf8Error } from './errors.js';
import { allocateFrame } from './frame-allocation.js';

// One instance each: TextEncoder/TextDecoder are stateless between calls
// (decode is never called with { stream: true }), so sharing them saves an
// allocation per field. ignoreBOM keeps a leading U+FEFF as data: a string
// field's bytes must decode to exactly what was sent.
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The UTF-8 bytes of `text` (lone surrogates become U+FFFD, as TextEncoder writes them). */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Writes `text` as UTF-8 into `target` at `offset` and returns the bytes
 * written, so a generated encoder can size the frame with utf8ByteLength,
 * allocate it once, and fill it in place. `target` must have room for
 * utf8ByteLength(text) bytes from `offset`; it is never written past its end.
 */
export function utf8Write(text: string, target: Uint8Array, offset: number): number {
  return encoder.encodeInto(text, target.subarray(offset)).written;
}

/**
 * `text` as UTF-8 with `tail` (a line's delimiter) after it, in one frame cut
 * from a slab: a text protocol's whole line. Not utf8Encode(text + tail):
 * that joins two strings and gives every line an ArrayBuffer of its own
 * (650 ns for a 65-byte echo line, more than the rest of the encode).
 */
export function utf8Frame(text: string, tail: Uint8Array): Uint8Array {
  const textBytes = utf8ByteLength(text);
  const frame = allocateFrame(textBytes + tail.length);
  utf8Write(text, frame, 0);
  frame.set(tail, textBytes);
  return frame;
}

/** The length of utf8Encode(text) without encoding it (and without allocating). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < n) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3; // the rest of the BMP, and lone surrogates (written as U+FFFD)
  }
  return bytes;
}

/**
 * `text` cut to at most `maxBytes` of UTF-8 (with `…` marking the cut),
 * never inside a character: for messages built from text a field cannot
 * hold in full, such as an error's explanation.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8ByteLength(text) <= maxBytes) return text;
  const ellipsis = '…';
  const budget = maxBytes - utf8ByteLength(ellipsis);
  if (budget < 0) return '';
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = utf8ByteLength(character);
    if (bytes + size > budget) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end) + ellipsis;
}

/**
 * Decodes UTF-8 strictly: overlong forms, surrogates, code points above
 * U+10FFFF, stray continuation bytes and truncated sequences are rejected
 * with InvalidUtf8Error naming `field` and the byte offset, never replaced
 * with U+FFFD (a replaced string could pass a pattern check the peer's bytes
 * would not).
 */
export function utf8Decode(bytes: Uint8Array, field: string): string {
  try {
    return decoder.decode(bytes);
  } catch (err) {
    const problem = findInvalidUtf8(bytes) ?? { offset: 0, reason: 'rejected by TextDecoder' };
    throw new InvalidUtf8Error(field, problem.offset, problem.reason, { cause: err });
  }
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * Where and why `bytes` is not well-formed UTF-8 (Unicode 15, table 3-7), or
 * null when it is. Only runs after TextDecoder has rejected the bytes, to
 * say where; the fast path is the engine's decoder.
 */
export function findInvalidUtf8(bytes: Uint8Array): { offset: number; reason: string } | null {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    let lowReason = '';
    let highReason = '';
    if (lead >= 0xc2 && lead <= 0xdf) need = 1;
    else if (lead === 0xe0) {
      need = 2;
      low = 0xa0;
      lowReason = 'overlong encoding';
    } else if ((lead >= 0xe1 && lead <= 0xec) || lead === 0xee || lead === 0xef) need = 2;
    else if (lead === 0xed) {
      need = 2;
      high = 0x9f;
      highReason = 'UTF-16 surrogate (U+D800-U+DFFF)';
    } else if (lead === 0xf0) {
      need = 3;
      low = 0x90;
      lowReason = 'overlong encoding';
    } else if (lead >= 0xf1 && lead <= 0xf3) need = 3;
    else if (lead === 0xf4) {
      need = 3;
      high = 0x8f;
      highReason = 'code point above U+10FFFF';
    } else {
      const why =
        lead <= 0xbf
          ? 'continuation byte with no lead byte'
          : lead <= 0xc1
            ? 'overlong encoding'
            : 'code point above U+10FFFF';
      return { offset: i, reason: `byte ${hex(lead)} cannot start a character (${why})` };
    }
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) {
        return {
          offset: i,
          reason: `sequence starting ${hex(lead)} needs ${need + 1} bytes, the field ends after ${n - i} (truncated)`,
        };
      }
      const next = bytes[i + k]!;
      if (next < low || next > high) {
        const why = next < 0x80 || next > 0xbf ? 'not a continuation byte' : next < low ? lowReason : highReason;
        return { offset: i, reason: `sequence starting ${hex(lead)} continues with ${hex(next)} (${why})` };
      }
      low = 0x80;
      high = 0xbf;
    }
    i += need + 1;
  }
  return null;
}
