/**
 * @sockspec/codec: frame decoders and the wire primitives generated codecs
 * call. Browser-safe: Uint8Array, DataView, TextEncoder/TextDecoder only.
 *
 * For generator authors — what generated code is expected to use:
 * - framing: `createFrameDecoder(ir.framing)` per connection; frames are the
 *   whole frame (length prefix, leading header included), so a decoder for
 *   length-prefixed framing starts reading at lengthOffset + lengthBytes.
 * - fixed-width fields: DataView get/set directly (getBigUint64 for u64/i64
 *   values); `getUint64Number` for 8-byte length/count prefixes, to compare
 *   against maxBytes/maxCount before allocating, without a BigInt;
 *   `getInt64Number` / `setInt64Number` for timestamps, likewise.
 * - strings: `utf8ByteLength` to size a frame, `utf8Write` to fill it,
 *   `utf8Decode(bytes, 'Message.field')` to read (strict).
 * - ctime timestamps: `formatCtime` / `parseCtime`.
 * - errors: keep each check inline and build the error with one module-level
 *   `const fail = codecFailures(PROTOCOL.name)`: `fail.truncated`,
 *   `fail.trailing`, `fail.unknownCode`, `fail.tooLarge` (check before
 *   allocating), `fail.invalid` (pattern, enum, flags, timestamp; use
 *   `previewText` for untrusted text in `got`), `fail.constant` for a
 *   `const:` field (`bytesEqualAt` compares a long byte constant in place),
 *   `fail.checksum`.
 */

// Wire primitives.
export { adler32, crc16Ccitt, crc32, sum8, xor8 } from './checksums.js';
// Errors.
export { type CodecFailures, codecFailures } from './codec-failures.js';
export { formatCtime, parseCtime } from './ctime.js';
export {
  type ChecksumMismatchDetails,
  ChecksumMismatchError,
  type ConstantMismatchDetails,
  ConstantMismatchError,
  type FieldTooLargeDetails,
  FieldTooLargeError,
  type FrameTooLargeDetails,
  FrameTooLargeError,
  type InvalidFieldDetails,
  InvalidFieldError,
  InvalidFramingError,
  InvalidLengthError,
  InvalidUtf8Error,
  type MessageContext,
  previewText,
  type TrailingBytesDetails,
  TrailingBytesError,
  TruncatedFrameError,
  type TruncatedMessageDetails,
  TruncatedMessageError,
  type UnknownMessageDetails,
  UnknownMessageError,
} from './errors.js';
export { MAX_TEXT_NESTING } from './followed-lines-decoder.js';
// Framing.
export { allocateFrame, copyBytes } from './frame-allocation.js';
export { createFrameDecoder } from './frame-decoder.js';
export { checkFramingConfig, encodeFrame, framingForTransport } from './framing.js';
export {
  checkTextCount,
  checkTextLength,
  equalsIgnoringAsciiCase,
  formatTextFloat,
  formatTextInt,
  parseTextBigInt,
  parseTextInt,
  parseTextLength,
  type TextFieldContext,
  TextReader,
  TextWriter,
} from './text-frames.js';
export type {
  Endian,
  FollowingListContext,
  FollowingStep,
  FollowingSteps,
  FrameDecoder,
  FrameSender,
  FramingConfig,
} from './types.js';
export { findInvalidUtf8, truncateUtf8, utf8ByteLength, utf8Decode, utf8Encode, utf8Frame, utf8Write } from './utf8.js';
export {
  bytesEqualAt,
  getInt64Number,
  getUint64Number,
  setInt64Number,
  uvarintSize,
  uvarintSize64,
  writeUvarint,
  writeUvarint64,
} from './wire.js';
