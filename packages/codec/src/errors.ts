import { SockspecError, type SockspecErrorOptions } from '@sockspec/errors';

// ---------------------------------------------------------------------------
// Framing errors: raised by frame decoders and encodeFrame.

export interface FrameTooLargeDetails {
  /** The framing's maxFrameBytes. */
  readonly limit: number;
  /** The frame's exact size when it is known (from a length field, a datagram, a body to encode). */
  readonly actual: number | null;
  /** A lower bound of the frame's size; equal to `actual` when that is known. */
  readonly atLeast: number;
  /** Why the size is what it is, appended to the message in parentheses. */
  readonly detail?: string;
}

/** A frame is (or would be) larger than the framing's maxFrameBytes. Raised before the frame is buffered. */
export class FrameTooLargeError extends SockspecError {
  readonly limit: number;
  readonly actual: number | null;
  readonly atLeast: number;

  constructor(details: FrameTooLargeDetails, options?: SockspecErrorOptions) {
    const size = details.actual === null ? `at least ${details.atLeast}` : String(details.actual);
    const detail = details.detail === undefined ? '' : ` (${details.detail})`;
    super(
      'SOCKSPEC_FRAME_TOO_LARGE',
      `frame of ${size} bytes exceeds maxFrameBytes ${details.limit}${detail}`,
      options,
    );
    this.limit = details.limit;
    this.actual = details.actual;
    this.atLeast = details.atLeast;
  }
}

/** A length field holds a value no frame can have (below the header size, or beyond what a number holds exactly). */
export class InvalidLengthError extends SockspecError {
  constructor(message: string, options?: SockspecErrorOptions) {
    super('SOCKSPEC_INVALID_LENGTH', message, options);
  }
}

/** The stream ended while part of a frame was still held. */
export class TruncatedFrameError extends SockspecError {
  readonly bufferedBytes: number;

  constructor(bufferedBytes: number, detail: string, options?: SockspecErrorOptions) {
    super('SOCKSPEC_TRUNCATED_FRAME', `stream ended inside a frame: ${bufferedBytes} bytes held (${detail})`, options);
    this.bufferedBytes = bufferedBytes;
  }
}

/** A framing configuration that cannot work, or a body that this framing cannot carry intact. */
export class InvalidFramingError extends SockspecError {
  constructor(message: string, options?: SockspecErrorOptions) {
    super('SOCKSPEC_INVALID_FRAMING', message, options);
  }
}

// ---------------------------------------------------------------------------
// Message errors: raised by generated decoders (and the primitives they call)
// for a frame that was cut correctly but whose contents are wrong.

/** Where in a protocol a message error happened; every message error names it. */
export interface MessageContext {
  /** Protocol name, e.g. `chat`. */
  readonly protocol?: string;
  /** Message name, e.g. `Join`; absent when the message is not known yet (header, discriminator). */
  readonly message?: string;
}

/** "chat message Join: ", "message Join: ", "chat: " or "" — whatever the context names. */
function where(context: MessageContext): string {
  const parts: string[] = [];
  if (context.protocol !== undefined) parts.push(context.protocol);
  if (context.message !== undefined) parts.push(`message ${context.message}`);
  return parts.length === 0 ? '' : `${parts.join(' ')}: `;
}

/** Shows untrusted text in a message: quoted, escaped, and cut so a hostile peer cannot flood logs. */
export function previewText(text: string, maxChars = 60): string {
  const cut = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  return JSON.stringify(cut);
}

export interface TruncatedMessageDetails extends MessageContext {
  readonly field: string;
  /** Bytes the field needs. */
  readonly needed: number;
  /** Offset of the field within the frame. */
  readonly offset: number;
  /** Size of the whole frame. */
  readonly frameBytes: number;
}

/** A field runs past the end of its frame: "message Join: field 'room' needs 12 bytes at offset 5, frame has 9". */
export class TruncatedMessageError extends SockspecError {
  readonly field: string;
  readonly needed: number;
  readonly offset: number;
  readonly frameBytes: number;

  constructor(details: TruncatedMessageDetails, options?: SockspecErrorOptions) {
    super(
      'SOCKSPEC_TRUNCATED_MESSAGE',
      `${where(details)}field '${details.field}' needs ${details.needed} bytes at offset ${details.offset}, frame has ${details.frameBytes}`,
      options,
    );
    this.field = details.field;
    this.needed = details.needed;
    this.offset = details.offset;
    this.frameBytes = details.frameBytes;
  }
}

export interface TrailingBytesDetails extends MessageContext {
  /** Bytes the decoder consumed. */
  readonly consumed: number;
  readonly frameBytes: number;
}

/** A message decoded completely before the end of its frame. */
export class TrailingBytesError extends SockspecError {
  readonly consumed: number;
  readonly frameBytes: number;

  constructor(details: TrailingBytesDetails, options?: SockspecErrorOptions) {
    const extra = details.frameBytes - details.consumed;
    super(
      'SOCKSPEC_TRAILING_BYTES',
      `${where(details)}message ends after ${details.consumed} bytes, frame has ${details.frameBytes} (${extra} trailing bytes)`,
      options,
    );
    this.consumed = details.consumed;
    this.frameBytes = details.frameBytes;
  }
}

export type UnknownMessageDetails =
  | {
      readonly protocol?: string;
      /** The discriminator value read from the frame. */
      readonly code: number | bigint;
      /** The discriminator field's name. */
      readonly field: string;
    }
  | {
      readonly protocol?: string;
      /** A text frame that matched no message template. */
      readonly line: string;
    };

/** A discriminator value that names no message, or a text line that matches no template. */
export class UnknownMessageError extends SockspecError {
  readonly messageCode: number | bigint | null;
  readonly line: string | null;

  constructor(details: UnknownMessageDetails, options?: SockspecErrorOptions) {
    const prefix = details.protocol === undefined ? '' : `${details.protocol}: `;
    const message =
      'code' in details
        ? `${prefix}unknown message code ${details.code} in field '${details.field}'`
        : `${prefix}line matches no message template: ${previewText(details.line)}`;
    super('SOCKSPEC_UNKNOWN_MESSAGE', message, options);
    this.messageCode = 'code' in details ? details.code : null;
    this.line = 'line' in details ? details.line : null;
  }
}

export interface FieldTooLargeDetails extends MessageContext {
  readonly field: string;
  /** The field's declared maximum (maxBytes, or maxCount for arrays). */
  readonly limit: number;
  /** The size the length (or count) prefix announced. */
  readonly actual: number | bigint;
  /** `bytes` for strings and bytes, `elements` for arrays. */
  readonly unit?: 'bytes' | 'elements';
}

/** A length or count prefix announces more than the field's maximum; raised before anything is allocated. */
export class FieldTooLargeError extends SockspecError {
  readonly field: string;
  readonly limit: number;
  readonly actual: number | bigint;

  constructor(details: FieldTooLargeDetails, options?: SockspecErrorOptions) {
    const unit = details.unit ?? 'bytes';
    const max = unit === 'bytes' ? 'maxBytes' : 'maxCount';
    super(
      'SOCKSPEC_FIELD_TOO_LARGE',
      `${where(details)}field '${details.field}' is ${details.actual} ${unit}, ${max} is ${details.limit}`,
      options,
    );
    this.field = details.field;
    this.limit = details.limit;
    this.actual = details.actual;
  }
}

export interface InvalidFieldDetails extends MessageContext {
  readonly field: string;
  /** What a valid value looks like, e.g. `a match for /^[a-z]+$/`, `one of 1, 2, 3`. */
  readonly expected: string;
  /** What the frame held, already made safe to print (see previewText). */
  readonly got: string;
}

/** A field decoded to a value its type does not allow: pattern mismatch, unknown enum value, bad timestamp. */
export class InvalidFieldError extends SockspecError {
  readonly field: string;

  constructor(details: InvalidFieldDetails, options?: SockspecErrorOptions) {
    super(
      'SOCKSPEC_INVALID_FIELD',
      `${where(details)}field '${details.field}': expected ${details.expected}, got ${details.got}`,
      options,
    );
    this.field = details.field;
  }
}

export interface ConstantMismatchDetails extends MessageContext {
  readonly field: string;
  /** The constant the spec declares: an integer (enums and bools as their numbers) or bytes. */
  readonly expected: number | bigint | Uint8Array;
  /** What the frame held in its place. */
  readonly actual: number | bigint | Uint8Array;
  /** Where the field starts in the frame. */
  readonly offset: number;
}

/** `0xcafe (51966)`, or bytes as hex with their printable ASCII: `50 4b 03 04 "PK\x03\x04"`. */
function describeConstant(value: number | bigint | Uint8Array): string {
  if (typeof value !== 'object') return value >= 10 ? `0x${value.toString(16)} (${value})` : String(value);
  const shown = value.subarray(0, 32);
  const hex = [...shown].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const text = [...shown]
    .map((byte) =>
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x22
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`,
    )
    .join('');
  return `${hex}${value.length > shown.length ? ' …' : ''} "${text}"`;
}

/**
 * A field the spec declares constant (a magic number, a version, a
 * signature) held something else: usually a peer speaking another protocol
 * or another version, or a frame cut at the wrong place.
 */
export class ConstantMismatchError extends SockspecError {
  readonly field: string;
  readonly offset: number;

  constructor(details: ConstantMismatchDetails, options?: SockspecErrorOptions) {
    super(
      'SOCKSPEC_CONSTANT_MISMATCH',
      `${where(details)}field '${details.field}' at offset ${details.offset} must be ${describeConstant(details.expected)}, got ${describeConstant(details.actual)}`,
      options,
    );
    this.field = details.field;
    this.offset = details.offset;
  }
}

export interface ChecksumMismatchDetails extends MessageContext {
  readonly field: string;
  readonly algorithm: string;
  /** What the frame's bytes add up to. */
  readonly computed: number;
  /** What the frame carries in the checksum field. */
  readonly carried: number;
}

/** A frame whose checksum field does not match its bytes: damaged in transit, or cut at the wrong place. */
export class ChecksumMismatchError extends SockspecError {
  readonly field: string;

  constructor(details: ChecksumMismatchDetails, options?: SockspecErrorOptions) {
    const hex = (value: number): string => `0x${value.toString(16)}`;
    super(
      'SOCKSPEC_CHECKSUM_MISMATCH',
      `${where(details)}${details.algorithm} field '${details.field}' is ${hex(details.carried)}, but the bytes it covers give ${hex(details.computed)}`,
      options,
    );
    this.field = details.field;
  }
}

/** Bytes that are not well-formed UTF-8 where a string was expected. */
export class InvalidUtf8Error extends SockspecError {
  readonly field: string;
  /** Offset of the first byte that is not part of a well-formed sequence, within the decoded bytes. */
  readonly offset: number;

  constructor(field: string, offset: number, reason: string, options?: SockspecErrorOptions) {
    super('SOCKSPEC_INVALID_UTF8', `field '${field}': invalid UTF-8 at byte ${offset}: ${reason}`, options);
    this.field = field;
    this.offset = offset;
  }
}
