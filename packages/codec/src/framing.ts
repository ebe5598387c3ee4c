import { FrameTooLargeError, InvalidFramingError, InvalidLengthError } from './errors.js';
import { allocateFrame } from './frame-allocation.js';
import type { FramingConfig } from './types.js';
import { uvarintSize, writeUvarint } from './wire.js';

export type LengthPrefixedFraming = Extract<FramingConfig, { kind: 'length-prefixed' }>;
export type DelimitedFraming = Extract<FramingConfig, { kind: 'delimited' }>;
export type DatagramFraming = Extract<FramingConfig, { kind: 'datagram' }>;

const LF = 0x0a;
const CR = 0x0d;
const MAX_FIELD_VALUE = { 1: 0xff, 2: 0xffff, 4: 0xffff_ffff, 8: Number.MAX_SAFE_INTEGER } as const;

/** The delimiter as it would be written in a spec, for messages. */
export function describeDelimiter(delimiter: ArrayLike<number>): string {
  return JSON.stringify(String.fromCharCode(...Array.from(delimiter)));
}

function positiveInteger(value: number, name: string, kind: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidFramingError(`${kind} framing: ${name} must be a positive integer, got ${value}`);
  }
}

function checkDelimiter(
  kind: string,
  delimiter: readonly number[],
  maxFrameBytes: number,
  stripCarriageReturn: boolean,
): void {
  if (delimiter.length === 0) throw new InvalidFramingError(`${kind} framing: delimiter must have at least 1 byte`);
  for (const byte of delimiter) {
    if (!Number.isInteger(byte) || byte < 0 || byte > 0xff) {
      throw new InvalidFramingError(`${kind} framing: delimiter bytes must be integers 0-255, got ${byte}`);
    }
  }
  if (delimiter.length > maxFrameBytes) {
    throw new InvalidFramingError(
      `${kind} framing: delimiter of ${delimiter.length} bytes does not fit maxFrameBytes ${maxFrameBytes}`,
    );
  }
  if (stripCarriageReturn && !(delimiter.length === 1 && delimiter[0] === LF)) {
    throw new InvalidFramingError(
      `${kind} framing: stripCarriageReturn needs the delimiter "\\n", got ${describeDelimiter(delimiter)}`,
    );
  }
}

/**
 * Throws InvalidFramingError when `config` cannot work. The spec compiler
 * already rejects such specs; this guards hand-written configs, where a zero
 * maximum or an empty delimiter would otherwise make a decoder loop or
 * reject everything.
 */
export function checkFramingConfig(config: FramingConfig): void {
  positiveInteger(config.maxFrameBytes, 'maxFrameBytes', config.kind);
  switch (config.kind) {
    case 'raw':
      return;
    case 'datagram':
      if (config.trailingDelimiter !== undefined) {
        checkDelimiter('datagram', config.trailingDelimiter, config.maxFrameBytes, config.stripCarriageReturn === true);
      } else if (config.stripCarriageReturn === true) {
        throw new InvalidFramingError('datagram framing: stripCarriageReturn needs trailingDelimiter "\\n", got none');
      }
      return;
    case 'delimited':
      checkDelimiter('delimited', config.delimiter, config.maxFrameBytes, config.stripCarriageReturn);
      return;
    case 'length-prefixed': {
      const { lengthOffset, lengthBytes, lengthEndian, lengthAdjustment, maxFrameBytes } = config;
      if (!Number.isSafeInteger(lengthOffset) || lengthOffset < 0) {
        throw new InvalidFramingError(
          `length-prefixed framing: lengthOffset must be an integer >= 0, got ${lengthOffset}`,
        );
      }
      if (lengthBytes !== 1 && lengthBytes !== 2 && lengthBytes !== 4 && lengthBytes !== 8) {
        throw new InvalidFramingError(`length-prefixed framing: lengthBytes must be 1, 2, 4 or 8, got ${lengthBytes}`);
      }
      if (lengthEndian !== 'big' && lengthEndian !== 'little') {
        throw new InvalidFramingError(
          `length-prefixed framing: lengthEndian must be big or little, got ${lengthEndian}`,
        );
      }
      if (!Number.isSafeInteger(lengthAdjustment)) {
        throw new InvalidFramingError(
          `length-prefixed framing: lengthAdjustment must be an integer, got ${lengthAdjustment}`,
        );
      }
      if (config.lengthVarint === true && lengthBytes === 8) {
        throw new InvalidFramingError('length-prefixed framing: a varint length field takes at most 4 bytes, got 8');
      }
      if (lengthOffset + lengthBytes > maxFrameBytes) {
        throw new InvalidFramingError(
          `length-prefixed framing: the length field ends at byte ${lengthOffset + lengthBytes}, beyond maxFrameBytes ${maxFrameBytes}`,
        );
      }
      return;
    }
    case 'fixed':
      positiveInteger(config.frameBytes, 'frameBytes', 'fixed');
      if (config.frameBytes > config.maxFrameBytes) {
        throw new InvalidFramingError(
          `fixed framing: frameBytes ${config.frameBytes} exceeds maxFrameBytes ${config.maxFrameBytes}`,
        );
      }
      return;
    default: {
      const kind: string = (config as { kind: string }).kind;
      throw new InvalidFramingError(`unknown framing kind ${JSON.stringify(kind)}`);
    }
  }
}

// ---------------------------------------------------------------------------
// Length fields.

/**
 * Reads an unsigned length field of 1, 2, 4 or 8 bytes at `at`. Byte by byte
 * rather than through a DataView so the decoder needs no DataView per chunk,
 * and as a double rather than a BigInt so nothing is allocated per frame.
 * 8-byte values above Number.MAX_SAFE_INTEGER come back rounded but still
 * above it, which is all checkedFrameLength needs to reject them.
 */
export function readLengthField(bytes: Uint8Array, at: number, width: 1 | 2 | 4 | 8, littleEndian: boolean): number {
  return readWord(bytes, at, width, littleEndian);
}

function readWord(bytes: Uint8Array, at: number, width: number, littleEndian: boolean): number {
  let value = 0;
  // Multiplying instead of shifting keeps 4-byte values unsigned.
  if (littleEndian) for (let k = width - 1; k >= 0; k--) value = value * 256 + bytes[at + k]!;
  else for (let k = 0; k < width; k++) value = value * 256 + bytes[at + k]!;
  return value;
}

/** Writes a non-negative safe integer; dividing by 256 is exact below 2^53, so 8-byte fields need no BigInt. */
function writeWord(bytes: Uint8Array, at: number, width: number, littleEndian: boolean, value: number): void {
  let rest = value;
  for (let k = 0; k < width; k++) {
    bytes[littleEndian ? at + k : at + width - 1 - k] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/**
 * The size of a whole frame given its length field's value, checked: too
 * small to hold its own header is SOCKSPEC_INVALID_LENGTH, larger than
 * maxFrameBytes is SOCKSPEC_FRAME_TOO_LARGE. Both are decided from the header
 * alone, before any payload is buffered.
 */
export function checkedFrameLength(
  config: LengthPrefixedFraming,
  value: number,
  headerBytes: number = config.lengthOffset + config.lengthBytes,
): number {
  if (value > Number.MAX_SAFE_INTEGER) {
    throw new InvalidLengthError(
      `8-byte length field at offset ${config.lengthOffset} holds about ${value}, beyond the largest supported length ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  const frameLength = headerBytes + value + config.lengthAdjustment;
  if (frameLength < headerBytes) {
    throw new InvalidLengthError(
      `length field at offset ${config.lengthOffset} said ${value}, which with lengthAdjustment ${config.lengthAdjustment} ` +
        `makes a frame of ${frameLength} bytes; a frame needs at least the ${headerBytes} bytes up to the end of its length field`,
    );
  }
  if (frameLength > config.maxFrameBytes) {
    throw new FrameTooLargeError({
      limit: config.maxFrameBytes,
      actual: frameLength,
      atLeast: frameLength,
      detail: `length field at offset ${config.lengthOffset} said ${value}`,
    });
  }
  return frameLength;
}

// ---------------------------------------------------------------------------
// Delimiters.

/**
 * Finds a delimiter in a stream that arrives in pieces. `matched` carries how
 * many delimiter bytes ended the bytes scanned so far, so a delimiter split
 * across chunks is found without rescanning anything (Knuth-Morris-Pratt:
 * on a mismatch, fall back to the longest delimiter prefix that is still a
 * suffix of what was seen, which is what makes self-overlapping delimiters
 * like "--." in "---." work).
 */
export class DelimiterScanner {
  matched = 0;
  private readonly delimiter: Uint8Array;
  private readonly first: number;
  /** fallback[k]: length of the longest proper prefix of delimiter[0..k] that is also its suffix. */
  private readonly fallback: Uint8Array | Uint32Array;

  constructor(delimiter: readonly number[]) {
    this.delimiter = Uint8Array.from(delimiter);
    this.first = this.delimiter[0]!;
    const fallback = delimiter.length <= 0xff ? new Uint8Array(delimiter.length) : new Uint32Array(delimiter.length);
    let k = 0;
    for (let i = 1; i < delimiter.length; i++) {
      while (k > 0 && delimiter[i] !== delimiter[k]) k = fallback[k - 1]!;
      if (delimiter[i] === delimiter[k]) k++;
      fallback[i] = k;
    }
    this.fallback = fallback;
  }

  /**
   * Scans bytes[from, limit) and returns the index just past the first
   * delimiter that ends there, or -1 (then `matched` says how much of a
   * delimiter ends at `limit`). Resets `matched` to 0 after a find.
   *
   * Runs of bytes that cannot start a delimiter are skipped with indexOf,
   * which the engine runs natively; the byte-by-byte loop only runs while a
   * delimiter prefix is matched. Nothing is allocated.
   */
  scan(bytes: Uint8Array, from: number, limit: number): number {
    const delimiter = this.delimiter;
    const last = delimiter.length;
    if (last === 1) {
      const at = bytes.indexOf(this.first, from);
      return at >= 0 && at < limit ? at + 1 : -1;
    }
    let m = this.matched;
    let i = from;
    while (i < limit) {
      if (m === 0) {
        const at = bytes.indexOf(this.first, i);
        if (at < 0 || at >= limit) break;
        m = 1;
        i = at + 1;
        continue;
      }
      const byte = bytes[i]!;
      while (m > 0 && byte !== delimiter[m]) m = this.fallback[m - 1]!;
      if (byte === delimiter[m]) m++;
      i++;
      if (m === last) {
        this.matched = 0;
        return i;
      }
    }
    this.matched = m;
    return -1;
  }
}

// ---------------------------------------------------------------------------
// encodeFrame.

/**
 * Wraps `body` in the framing, for payloads that have no generated encoder
 * (and for tests). Checks the result against maxFrameBytes and refuses a
 * body the decoder would not give back intact.
 *
 * - raw, datagram: returns `body` itself; datagram with trailingDelimiter
 *   returns body + delimiter (a delimiter inside the body is fine there).
 * - delimited: body + delimiter. A body containing the delimiter (or, with
 *   stripCarriageReturn, ending in `\r`) is SOCKSPEC_INVALID_FRAMING.
 * - fixed: `body` itself; it must be exactly frameBytes long.
 * - length-prefixed, lengthOffset 0: `body` is everything after the length
 *   field; returns a new array with the length field in front.
 * - length-prefixed, lengthOffset > 0: `body` is the entire frame, with
 *   lengthBytes placeholder bytes at lengthOffset (the protocol's own header
 *   comes first, so only the caller can lay it out). Returns a copy with the
 *   field filled in; `body` is not modified.
 *
 * The length written is the frame's size with the adjustment reversed:
 * frameLength - lengthOffset - lengthBytes - lengthAdjustment.
 */
export function encodeFrame(config: FramingConfig, body: Uint8Array): Uint8Array {
  checkFramingConfig(config);
  const max = config.maxFrameBytes;
  const tooLarge = (size: number, detail: string): FrameTooLargeError =>
    new FrameTooLargeError({ limit: max, actual: size, atLeast: size, detail });
  switch (config.kind) {
    case 'raw':
      if (body.length > max) throw tooLarge(body.length, 'raw body');
      return body;
    case 'datagram':
      if (config.trailingDelimiter !== undefined)
        return encodeDelimitedDatagram(config, config.trailingDelimiter, body);
      if (body.length > max) throw tooLarge(body.length, 'datagram body');
      return body;
    case 'fixed':
      if (body.length > config.frameBytes) throw tooLarge(body.length, `fixed frames are ${config.frameBytes} bytes`);
      if (body.length < config.frameBytes) {
        throw new InvalidLengthError(`fixed frames are exactly ${config.frameBytes} bytes, body has ${body.length}`);
      }
      return body;
    case 'delimited':
      return encodeDelimited(config, body);
    case 'length-prefixed':
      return encodeLengthPrefixed(config, body);
  }
}

/**
 * A datagram holds exactly one frame, so a delimiter inside the body cannot
 * cut it; only a `\r` that stripCarriageReturn would take away is refused.
 */
function encodeDelimitedDatagram(config: DatagramFraming, delimiter: readonly number[], body: Uint8Array): Uint8Array {
  const size = body.length + delimiter.length;
  if (size > config.maxFrameBytes) {
    throw new FrameTooLargeError({
      limit: config.maxFrameBytes,
      actual: size,
      atLeast: size,
      detail: `datagram body of ${body.length} bytes plus delimiter ${describeDelimiter(delimiter)}`,
    });
  }
  if (config.stripCarriageReturn === true && body.length > 0 && body[body.length - 1] === CR) {
    throw new InvalidFramingError('body ends in "\\r", which stripCarriageReturn would remove on decoding');
  }
  const frame = allocateFrame(size);
  frame.set(body);
  frame.set(delimiter, body.length);
  return frame;
}

function encodeDelimited(config: DelimitedFraming, body: Uint8Array): Uint8Array {
  const { delimiter } = config;
  const size = body.length + delimiter.length;
  if (size > config.maxFrameBytes) {
    throw new FrameTooLargeError({
      limit: config.maxFrameBytes,
      actual: size,
      atLeast: size,
      detail: `body of ${body.length} bytes plus delimiter ${describeDelimiter(delimiter)}`,
    });
  }
  const frame = allocateFrame(size);
  frame.set(body);
  frame.set(delimiter, body.length);
  // The decoder cuts at the first delimiter; it must be the one just appended.
  const end = new DelimiterScanner(delimiter).scan(frame, 0, size);
  if (end !== size) {
    throw new InvalidFramingError(
      `body contains the delimiter ${describeDelimiter(delimiter)} (ending at byte ${end}), so the frame would be cut there`,
    );
  }
  if (config.stripCarriageReturn && body.length > 0 && body[body.length - 1] === CR) {
    throw new InvalidFramingError('body ends in "\\r", which stripCarriageReturn would remove on decoding');
  }
  return frame;
}

/** A body behind a varint length: the length's own size depends on the value it says. */
function encodeVarintLength(config: LengthPrefixedFraming, body: Uint8Array): Uint8Array {
  const { lengthOffset, lengthAdjustment } = config;
  if (body.length < lengthOffset) {
    throw new InvalidFramingError(
      `with lengthOffset ${lengthOffset} the body starts with the ${lengthOffset} bytes before the length field, got ${body.length}`,
    );
  }
  const value = body.length - lengthOffset - lengthAdjustment;
  const capacity = 2 ** (7 * config.lengthBytes) - 1;
  if (value < 0 || value > capacity) {
    throw new InvalidLengthError(
      `a body of ${body.length} bytes needs the varint length field to hold ${value}, beyond its ${config.lengthBytes}-byte limit ${capacity}`,
    );
  }
  const size = body.length + uvarintSize(value);
  if (size > config.maxFrameBytes) {
    throw new FrameTooLargeError({
      limit: config.maxFrameBytes,
      actual: size,
      atLeast: size,
      detail: 'with its varint length',
    });
  }
  const frame = allocateFrame(size);
  frame.set(body.subarray(0, lengthOffset));
  const written = writeUvarint(frame, lengthOffset, value);
  frame.set(body.subarray(lengthOffset), lengthOffset + written);
  return frame;
}

function encodeLengthPrefixed(config: LengthPrefixedFraming, body: Uint8Array): Uint8Array {
  if (config.lengthVarint === true) return encodeVarintLength(config, body);
  const { lengthOffset, lengthBytes, lengthAdjustment } = config;
  const headerBytes = lengthOffset + lengthBytes;
  let frame: Uint8Array;
  if (lengthOffset === 0) {
    const size = headerBytes + body.length;
    if (size > config.maxFrameBytes) {
      throw new FrameTooLargeError({
        limit: config.maxFrameBytes,
        actual: size,
        atLeast: size,
        detail: `body of ${body.length} bytes after a ${lengthBytes}-byte length field`,
      });
    }
    frame = allocateFrame(size);
    frame.set(body, headerBytes);
  } else {
    if (body.length < headerBytes) {
      throw new InvalidFramingError(
        `with lengthOffset ${lengthOffset} the body is the whole frame and must reach past the length field (${headerBytes} bytes), got ${body.length}`,
      );
    }
    if (body.length > config.maxFrameBytes) {
      throw new FrameTooLargeError({
        limit: config.maxFrameBytes,
        actual: body.length,
        atLeast: body.length,
        detail: 'whole frame given as body',
      });
    }
    frame = body.slice();
  }
  const value = frame.length - headerBytes - lengthAdjustment;
  if (value < 0 || value > MAX_FIELD_VALUE[lengthBytes]) {
    throw new InvalidLengthError(
      `a frame of ${frame.length} bytes needs the ${lengthBytes}-byte length field to hold ${value} ` +
        `(lengthAdjustment ${lengthAdjustment}), which it cannot`,
    );
  }
  writeWord(frame, lengthOffset, lengthBytes, config.lengthEndian === 'little', value);
  return frame;
}

// ---------------------------------------------------------------------------
// Framing per transport.

/**
 * The framing a decoder uses on a transport, given the protocol's framing.
 * On a byte stream that is the protocol's framing itself. On a datagram
 * transport every datagram is one frame, so a `delimited` (or `lines`)
 * protocol becomes `datagram` framing with the same maximum, whose decoder
 * removes a trailing delimiter when the peer sent one: peers such as
 * Python's `sendto(b'hi', addr)` often send none. With keepDelimiter the
 * datagram is left as it came, delimiter and all.
 *
 * A `raw` protocol becomes `datagram` framing too: "each read is a frame",
 * and a datagram is one read.
 *
 * Other framings are returned unchanged: `datagram` is already per
 * datagram, and the spec compiler keeps length-prefixed and fixed off
 * datagram transports.
 */
export function framingForTransport(framing: FramingConfig, transport: { readonly datagram: boolean }): FramingConfig {
  if (!transport.datagram) return framing;
  // Raw is "each read is a frame"; on a datagram transport a read is a datagram, empty ones included.
  if (framing.kind === 'raw') return { kind: 'datagram', maxFrameBytes: framing.maxFrameBytes };
  if (framing.kind !== 'delimited') return framing;
  if (framing.keepDelimiter) return { kind: 'datagram', maxFrameBytes: framing.maxFrameBytes };
  return {
    kind: 'datagram',
    maxFrameBytes: framing.maxFrameBytes,
    trailingDelimiter: framing.delimiter,
    stripCarriageReturn: framing.stripCarriageReturn,
  };
}
