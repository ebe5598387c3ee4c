import {
  type ChecksumMismatchDetails,
  ChecksumMismatchError,
  type ConstantMismatchDetails,
  ConstantMismatchError,
  type FieldTooLargeDetails,
  FieldTooLargeError,
  type InvalidFieldDetails,
  InvalidFieldError,
  type TrailingBytesDetails,
  TrailingBytesError,
  type TruncatedMessageDetails,
  TruncatedMessageError,
  UnknownMessageError,
} from './errors.js';

/** The details of a message error, less the protocol the codec already knows. */
type InProtocol<Details> = Omit<Details, 'protocol'>;

/**
 * The errors one protocol's generated codec raises, built off the hot path.
 *
 * A generated decoder keeps each check inline, as straight-line code the
 * engine can fold (`if (frame.length < 10) throw fail.truncated({ … });`),
 * and only a failing check reaches here. Binding the protocol once keeps
 * `PROTOCOL.name` out of every throw: the chat codec named it 182 times, and
 * its error blocks were 51 % of its 1,123 lines.
 */
export interface CodecFailures {
  /** A field runs past the end of its frame. */
  truncated(details: InProtocol<TruncatedMessageDetails>): TruncatedMessageError;
  /** A message decoded completely before the end of its frame. */
  trailing(details: InProtocol<TrailingBytesDetails>): TrailingBytesError;
  /** A discriminator value that names no message. */
  unknownCode(code: number | bigint, field: string): UnknownMessageError;
  /** A text line that matches no message template, or a value that is no message of this protocol. */
  unknownLine(line: string): UnknownMessageError;
  /** A length or count past the field's maximum; raised before anything is allocated. */
  tooLarge(details: InProtocol<FieldTooLargeDetails>): FieldTooLargeError;
  /** A value the field's type does not allow. */
  invalid(details: InProtocol<InvalidFieldDetails>): InvalidFieldError;
  /** A `const:` field that held something else. */
  constant(details: InProtocol<ConstantMismatchDetails>): ConstantMismatchError;
  /** A checksum field that does not match the bytes it covers. */
  checksum(details: InProtocol<ChecksumMismatchDetails>): ChecksumMismatchError;
}

/** The error builders for the protocol named `protocol`; a generated codec makes one at module load. */
export function codecFailures(protocol: string): CodecFailures {
  return {
    truncated: (details) => new TruncatedMessageError({ protocol, ...details }),
    trailing: (details) => new TrailingBytesError({ protocol, ...details }),
    unknownCode: (code, field) => new UnknownMessageError({ protocol, code, field }),
    unknownLine: (line) => new UnknownMessageError({ protocol, line }),
    tooLarge: (details) => new FieldTooLargeError({ protocol, ...details }),
    invalid: (details) => new InvalidFieldError({ protocol, ...details }),
    constant: (details) => new ConstantMismatchError({ protocol, ...details }),
    checksum: (details) => new ChecksumMismatchError({ protocol, ...details }),
  };
}
