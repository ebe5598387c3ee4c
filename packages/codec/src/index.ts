export { formatCtime, parseCtime } from './ctime.js';
export {
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
export { createFrameDecoder } from './frame-decoder.js';
export { checkFramingConfig, encodeFrame } from './framing.js';
export type { Endian, FrameDecoder, FramingConfig } from './types.js';
export { findInvalidUtf8, utf8ByteLength, utf8Decode, utf8Encode, utf8Write } from './utf8.js';
export { getUint64Number } from './wire.js';
