import {
  FieldTooLargeError,
  FrameTooLargeError,
  InvalidFieldError,
  InvalidLengthError,
  previewText,
  TrailingBytesError,
  TruncatedMessageError,
} from './errors.js';
import { MAX_TEXT_NESTING } from './followed-lines-decoder.js';
import { allocateFrame } from './frame-allocation.js';
import { utf8Decode, utf8Encode } from './utf8.js';

/**
 * Reads a frame of a text protocol whose messages are more than a line, as
 * the followed-lines frame decoder delivers it (every delimiter included):
 * lines, raw bytes with their delimiter, and nested elements. Generated
 * codecs call it; each problem is a typed error that names the message.
 */
export class TextReader {
  readonly #frame: Uint8Array;
  readonly #delimiter: Uint8Array;
  readonly #protocol: string;
  #at = 0;
  #depth = 0;

  constructor(frame: Uint8Array, delimiter: Uint8Array, protocol: string) {
    this.#frame = frame;
    this.#delimiter = delimiter;
    this.#protocol = protocol;
  }

  /** The next line, without its delimiter. */
  line(message: string | undefined): string {
    const frame = this.#frame;
    const end = indexOfBytes(frame, this.#delimiter, this.#at);
    if (end < 0) {
      throw new InvalidFieldError({
        protocol: this.#protocol,
        ...(message === undefined ? {} : { message }),
        field: 'line',
        expected: `a line ending in ${JSON.stringify(String.fromCharCode(...this.#delimiter))}`,
        got: previewText(utf8Decode(frame.subarray(this.#at), 'line')),
      });
    }
    const text = utf8Decode(frame.subarray(this.#at, end), 'line');
    this.#at = end + this.#delimiter.length;
    return text;
  }

  /** `length` raw bytes (a view of the frame) and the delimiter after them. */
  bytes(length: number, message: string, field: string): Uint8Array {
    const frame = this.#frame;
    const start = this.#at;
    const needed = length + this.#delimiter.length;
    if (start + needed > frame.length) {
      throw new TruncatedMessageError({
        protocol: this.#protocol,
        message,
        field,
        needed,
        offset: start,
        frameBytes: frame.length,
      });
    }
    const end = start + length;
    if (indexOfBytes(frame.subarray(0, end + this.#delimiter.length), this.#delimiter, end) !== end) {
      throw new InvalidFieldError({
        protocol: this.#protocol,
        message,
        field,
        expected: `${length} bytes followed by ${JSON.stringify(String.fromCharCode(...this.#delimiter))}`,
        got: 'other bytes where the delimiter belongs (the length was wrong)',
      });
    }
    this.#at = end + this.#delimiter.length;
    return frame.subarray(start, end);
  }

  /** `length` raw bytes (a view of the frame) with no delimiter after them: HTTP's body after the empty line. */
  bareBytes(length: number, message: string, field: string): Uint8Array {
    const frame = this.#frame;
    const start = this.#at;
    if (start + length > frame.length) {
      throw new TruncatedMessageError({
        protocol: this.#protocol,
        message,
        field,
        needed: length,
        offset: start,
        frameBytes: frame.length,
      });
    }
    this.#at = start + length;
    return frame.subarray(start, start + length);
  }

  /** `length` raw bytes as UTF-8 text. */
  text(length: number, message: string, field: string): string {
    return utf8Decode(this.bytes(length, message, field), field);
  }

  /** Enters an element nested in another; throws past MAX_TEXT_NESTING. */
  enter(): void {
    this.#depth += 1;
    if (this.#depth > MAX_TEXT_NESTING) {
      throw new InvalidLengthError(`elements nest more than ${MAX_TEXT_NESTING} deep in one frame`);
    }
  }

  leave(): void {
    this.#depth -= 1;
  }

  /** The whole frame was read. */
  finish(message: string): void {
    if (this.#at !== this.#frame.length) {
      throw new TrailingBytesError({
        protocol: this.#protocol,
        message,
        consumed: this.#at,
        frameBytes: this.#frame.length,
      });
    }
  }
}

/**
 * Builds a frame of lines and raw parts, each followed by the delimiter,
 * refusing to grow past maxFrameBytes (checked as each part is added, so an
 * oversized message is refused before it is joined).
 */
export class TextWriter {
  readonly #delimiter: Uint8Array;
  readonly #max: number;
  readonly #message: string;
  readonly #parts: Uint8Array[] = [];
  #bytes = 0;

  constructor(delimiter: Uint8Array, maxFrameBytes: number, message: string) {
    this.#delimiter = delimiter;
    this.#max = maxFrameBytes;
    this.#message = message;
  }

  /** A line; its text was checked by the caller (no delimiter inside). */
  line(text: string): void {
    // A UTF-16 code unit never encodes to fewer than one byte: an oversized line is refused before encoding.
    this.#grow(text.length);
    this.#bytes -= text.length;
    const bytes = utf8Encode(text);
    this.#grow(bytes.length + this.#delimiter.length);
    this.#parts.push(bytes, this.#delimiter);
  }

  /** Raw bytes, then the delimiter. */
  bytes(value: Uint8Array): void {
    this.#grow(value.length + this.#delimiter.length);
    this.#parts.push(value, this.#delimiter);
  }

  /** Raw bytes with no delimiter after them (HTTP's body). */
  bareBytes(value: Uint8Array): void {
    if (value.length === 0) return;
    this.#grow(value.length);
    this.#parts.push(value);
  }

  finish(): Uint8Array {
    const frame = allocateFrame(this.#bytes);
    let at = 0;
    for (const part of this.#parts) {
      frame.set(part, at);
      at += part.length;
    }
    return frame;
  }

  #grow(bytes: number): void {
    this.#bytes += bytes;
    if (this.#bytes > this.#max) {
      throw new FrameTooLargeError({
        limit: this.#max,
        actual: null,
        atLeast: this.#bytes,
        detail: `encoding ${this.#message}`,
      });
    }
  }
}

/** Where `needle` starts in `haystack` at or after `from`, or -1. */
function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  for (let i = haystack.indexOf(first, from); i >= 0 && i + needle.length <= haystack.length; ) {
    let k = 1;
    while (k < needle.length && haystack[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
    i = haystack.indexOf(first, i + 1);
  }
  return -1;
}

export interface TextFieldContext {
  readonly protocol: string;
  /** Absent for a value's own length line, which the frame decoder reads before the message is known. */
  readonly message?: string;
  readonly field: string;
}

/**
 * A decimal integer part of a line (the template matched `-?\d+`), checked
 * against its type's range. Lengths and counts come through here too, so a
 * `$99999999999` is refused before anything is allocated.
 */
export function parseTextInt(text: string, min: number, max: number, at: TextFieldContext): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidFieldError({ ...at, expected: `an integer from ${min} to ${max}`, got: previewText(text) });
  }
  return value;
}

/** A 64-bit integer part of a line, as a bigint. */
export function parseTextBigInt(text: string, min: bigint, max: bigint, at: TextFieldContext): bigint {
  const value = BigInt(text);
  if (value < min || value > max) {
    throw new InvalidFieldError({ ...at, expected: `an integer from ${min} to ${max}`, got: previewText(text) });
  }
  return value;
}

/** An integer for a line: a safe integer in range, else InvalidFieldError. */
export function formatTextInt(
  value: number | bigint,
  min: number | bigint,
  max: number | bigint,
  at: TextFieldContext,
): string {
  const ok =
    typeof value === 'bigint'
      ? value >= BigInt(min) && value <= BigInt(max)
      : Number.isSafeInteger(value) && value >= Number(min) && value <= Number(max);
  if (!ok) {
    throw new InvalidFieldError({
      ...at,
      expected: `an integer from ${min} to ${max}`,
      got: previewText(String(value)),
    });
  }
  return String(value);
}

/** A float for a line: finite, as JavaScript prints it. */
export function formatTextFloat(value: number, at: TextFieldContext): string {
  if (!Number.isFinite(value)) {
    throw new InvalidFieldError({ ...at, expected: 'a finite number', got: previewText(String(value)) });
  }
  // String(-0) is "0"; "-0" reads back as -0, as a binary float would.
  return Object.is(value, -0) ? '-0' : String(value);
}

/**
 * A length given as text in a field (HTTP's `Content-Length: 42`): decimal
 * digits only, so ` 42`, `+42`, `0x2a` and `` are refused (Number() would
 * take them), then checked like any other announced length.
 */
export function parseTextLength(text: string, maxBytes: number, at: TextFieldContext): number {
  if (!/^\d{1,16}$/.test(text)) {
    throw new InvalidFieldError({ ...at, expected: 'a length in decimal digits', got: previewText(text) });
  }
  const length = Number(text);
  checkTextLength(length, maxBytes, at);
  return length;
}

/** Whether `text` equals `lower` (already lowercase ASCII) ignoring ASCII case only, as HTTP compares header names. */
export function equalsIgnoringAsciiCase(text: string, lower: string): boolean {
  if (text.length !== lower.length) return false;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** A list count a line announced, checked against the field's maxCount before any element is read. */
export function checkTextCount(count: number, maxCount: number, at: TextFieldContext): void {
  if (count > maxCount) {
    throw new FieldTooLargeError({ ...at, limit: maxCount, actual: count, unit: 'elements' });
  }
}

/** A length a line announced, checked against the field's maxBytes before its bytes are read. */
export function checkTextLength(length: number, maxBytes: number, at: TextFieldContext): void {
  if (length > maxBytes) throw new FieldTooLargeError({ ...at, limit: maxBytes, actual: length });
}
