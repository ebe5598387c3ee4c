/**
 * The normalized intermediate representation of a protocol spec.
 *
 * Plain, JSON-serialisable data: every default is filled in, every size and
 * limit resolved to a number, every type reference resolved to its
 * definition. Generators consume only this; nothing downstream reads YAML.
 *
 * Bump IR_VERSION whenever a generator would have to change to keep working.
 */
export const IR_VERSION = 7 as const;

export type Endian = 'big' | 'little';
export type Direction = 'client' | 'server' | 'both';

/** Transports a spec may list; `sockspec generate` refuses ones its framing cannot use. */
export type TransportKind = 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'unix' | 'unix-dgram' | 'tls' | 'websocket';

export interface ProtocolIR {
  readonly irVersion: typeof IR_VERSION;
  /** kebab-case protocol name, e.g. `file-transfer`. */
  readonly name: string;
  /** Semver of the protocol (not of sockspec). */
  readonly version: string;
  readonly description: string;
  /** Spec path as written in generated headers, relative to the workspace root, with `/` separators. */
  readonly sourceFile: string;
  readonly transports: readonly TransportKind[];
  /** Protocol-wide byte order; fields carry their own resolved `endian`. */
  readonly byteOrder: Endian;
  /**
   * `text`: frames are lines of text matched against message line templates.
   * `binary`: frames are laid out field by field.
   */
  readonly encoding: 'text' | 'binary';
  readonly framing: FramingIR;
  /** Fields leading every binary frame, in wire order (empty for text protocols). */
  readonly header: readonly FieldIR[];
  /** Name of the header field whose value selects the message, if any. */
  readonly discriminator: string | null;
  /** Name of the header field that pairs a reply with its request, if any. */
  readonly correlation: string | null;
  /** Messages in declaration order. */
  readonly messages: readonly MessageIR[];
  readonly behavior: BehaviorIR;
  /** Limits that apply to the whole protocol. */
  readonly limits: LimitsIR;
}

export interface LimitsIR {
  /** Maximum bytes of one frame on the wire, including any length prefix and delimiter. */
  readonly maxFrameBytes: number;
}

// ---------------------------------------------------------------------------
// Framing: how a byte stream (or datagram sequence) is cut into frames.

export type FramingIR =
  | RawFramingIR
  | DelimitedFramingIR
  | LengthPrefixedFramingIR
  | FixedFramingIR
  | DatagramFramingIR;

/** No framing: every chunk read from the transport is a frame (split at maxFrameBytes). */
export interface RawFramingIR {
  readonly kind: 'raw';
  readonly maxFrameBytes: number;
}

/**
 * Frames end with a delimiter. `lines` in the spec normalizes to this with
 * delimiter `\n` and `stripCarriageReturn: true`.
 */
export interface DelimitedFramingIR {
  readonly kind: 'delimited';
  /** The delimiter as bytes (at least one byte). */
  readonly delimiter: readonly number[];
  /** Whether decoded frames keep the delimiter at their end. */
  readonly keepDelimiter: boolean;
  /** Whether a `\r` right before the delimiter is removed from decoded frames (lines from Windows peers). */
  readonly stripCarriageReturn: boolean;
  /** Maximum frame size including the delimiter; longer input is rejected before it is buffered. */
  readonly maxFrameBytes: number;
}

/**
 * Length field somewhere near the start of the frame: the knobs of Netty's
 * LengthFieldBasedFrameDecoder. The whole frame is
 *   lengthOffset + lengthBytes + value + lengthAdjustment
 * bytes long, where `value` is the length field read as an unsigned integer.
 * Decoded frames are the whole frame (nothing is stripped); generated codecs
 * skip the prefix themselves.
 */
export interface LengthPrefixedFramingIR {
  readonly kind: 'length-prefixed';
  /** Byte position of the length field within the frame. */
  readonly lengthOffset: number;
  readonly lengthBytes: 1 | 2 | 4 | 8;
  readonly lengthEndian: Endian;
  /**
   * Added to the field's value to get the bytes that follow the length field.
   * 0 when the length counts the bytes after it; -(offset+bytes) when it counts the whole frame.
   */
  readonly lengthAdjustment: number;
  /** What the spec said the length counts; kept so docs and diagnostics can say it in the spec's words. */
  readonly lengthCounts: 'after-length' | 'frame';
  /**
   * Set when the length is an unsigned LEB128 varint of 1 to lengthBytes
   * bytes (MQTT's remaining length at offset 1); the frame is then
   * lengthOffset + (the varint's bytes) + value + lengthAdjustment bytes.
   */
  readonly lengthVarint?: true;
  readonly maxFrameBytes: number;
}

/** Every frame has exactly `frameBytes` bytes. */
export interface FixedFramingIR {
  readonly kind: 'fixed';
  readonly frameBytes: number;
  /** Equal to frameBytes. */
  readonly maxFrameBytes: number;
}

/** One frame per datagram (udp, unix-dgram). */
export interface DatagramFramingIR {
  readonly kind: 'datagram';
  readonly maxFrameBytes: number;
}

// ---------------------------------------------------------------------------
// Types of fields.

export type TypeIR =
  | IntTypeIR
  | BitsTypeIR
  | VarintTypeIR
  | FloatTypeIR
  | BoolTypeIR
  | StringTypeIR
  | BytesTypeIR
  | TimestampTypeIR
  | EnumTypeIR
  | FlagsTypeIR
  | ArrayTypeIR
  | StructTypeIR
  | OptionalTypeIR
  | MessageChoiceTypeIR;

export interface IntTypeIR {
  readonly kind: 'int';
  readonly bits: 8 | 16 | 32 | 64;
  readonly signed: boolean;
  readonly endian: Endian;
  /** Set when the spec gave this type a name in `types:`. */
  readonly typeName?: string;
}

/**
 * An unsigned integer of 1 to 32 bits (`b4`). Consecutive bit fields share
 * bytes: a run of them fills whole bytes, read as one integer in the
 * protocol's byte order, and the first field takes the most significant
 * bits (`bitOrder: big`, the default) or the least (`little`). `b1` is a
 * boolean.
 */
export interface BitsTypeIR {
  readonly kind: 'bits';
  readonly width: number;
  readonly bitOrder: Endian;
  readonly typeName?: string;
}

/**
 * A variable-length integer: unsigned LEB128 (protobuf's varint; MQTT's
 * remaining length is the same encoding), seven bits a byte, low bits first,
 * the high bit set on every byte but the last. `zigzag` maps signed values
 * to unsigned ones first (0, -1, 1, -2 → 0, 1, 2, 3). 32-bit varints are
 * numbers, 64-bit ones bigints.
 */
export interface VarintTypeIR {
  readonly kind: 'varint';
  readonly bits: 32 | 64;
  readonly zigzag: boolean;
  /** The most bytes one may take (5 for 32 bits, 10 for 64; MQTT: 4); longer input is an error. */
  readonly maxBytes: number;
  readonly typeName?: string;
}

export interface FloatTypeIR {
  readonly kind: 'float';
  readonly bits: 32 | 64;
  readonly endian: Endian;
  readonly typeName?: string;
}

export interface BoolTypeIR {
  readonly kind: 'bool';
  readonly typeName?: string;
}

/** How the byte length of a variable-size value is known on the wire. */
export type LengthEncodingIR =
  /** A length prefix of `bytes` bytes before the value. */
  | { readonly kind: 'prefixed'; readonly bytes: 1 | 2 | 4 | 8; readonly endian: Endian }
  /** The value ends at a terminator byte (not part of the value). */
  | { readonly kind: 'terminated'; readonly terminator: number }
  /** Always exactly `bytes` bytes (strings are NUL-padded). */
  | { readonly kind: 'fixed'; readonly bytes: number }
  /** The value runs to the end of the frame; only valid for a message's last field. */
  | { readonly kind: 'rest' }
  /**
   * As many bytes as an earlier integer field says: a header field or a field
   * of the same message declared before this one (memcached's keyLength).
   * That field is `computed`: the encoder fills it in.
   */
  | { readonly kind: 'field'; readonly field: string }
  /**
   * Text protocols: the value follows a line of its own whose `{length}`
   * part is its byte length (RESP's bulk string `$5`), and the delimiter
   * follows the value.
   */
  | { readonly kind: 'line'; readonly template: LineTemplateIR }
  /**
   * Text protocols: as many bytes as the element of an earlier `until` list
   * whose `where.field` equals `where.equals` says in its `value` field
   * (HTTP's `Content-Length` header); none when no element does, and two
   * such elements are an error. The bytes follow the list's terminator line
   * with no delimiter after them.
   */
  | { readonly kind: 'lookup'; readonly lookup: LookupIR };

/** Where a `lookup` length is found: one element of a list of line structs. */
export interface LookupIR {
  /** The list field (an `until` list of the same message, declared earlier). */
  readonly list: string;
  /** The element field compared, and the text it must equal. */
  readonly where: { readonly field: string; readonly equals: string };
  /** Compare ignoring ASCII case (HTTP, SIP and MIME header names). */
  readonly ignoreCase: boolean;
  /** The element field holding the length, as decimal text. */
  readonly value: string;
}

export interface StringTypeIR {
  readonly kind: 'string';
  readonly encoding: 'utf8';
  readonly length: LengthEncodingIR;
  /** Maximum encoded bytes, checked before the bytes are decoded. */
  readonly maxBytes: number;
  /** ECMAScript regular expression source the decoded value must match, if any. */
  readonly pattern: string | null;
  readonly typeName?: string;
}

export interface BytesTypeIR {
  readonly kind: 'bytes';
  readonly length: LengthEncodingIR;
  readonly maxBytes: number;
  readonly typeName?: string;
}

/**
 * A point in time. `ctime` is text as Python's time.ctime() prints it
 * (`Mon Nov  3 09:05:03 2026`, local time); the others are binary integers.
 */
export interface TimestampTypeIR {
  readonly kind: 'timestamp';
  readonly representation: 'ctime' | 'iso8601' | 'unix-seconds' | 'unix-millis';
  /** Byte order of the binary representations. */
  readonly endian: Endian;
  readonly typeName?: string;
}

export interface EnumTypeIR {
  readonly kind: 'enum';
  readonly base: IntTypeIR;
  readonly values: readonly { readonly name: string; readonly value: number }[];
  readonly typeName?: string;
}

export interface FlagsTypeIR {
  readonly kind: 'flags';
  readonly base: IntTypeIR;
  readonly flags: readonly { readonly name: string; readonly bit: number }[];
  readonly typeName?: string;
}

export interface ArrayTypeIR {
  readonly kind: 'array';
  readonly element: TypeIR;
  /** How many elements: a count prefix of `bytes` bytes, or an earlier integer field (which is then `computed`). */
  readonly count:
    | { readonly kind: 'prefixed'; readonly bytes: 1 | 2 | 4; readonly endian: Endian }
    | { readonly kind: 'field'; readonly field: string }
    /** Elements until the end of the frame (MQTT's SUBSCRIBE topics); only a message's last field. */
    | { readonly kind: 'rest' }
    /**
     * Text protocols: one line per element until a line equal to `line`
     * (HTTP's headers end at an empty line); the elements are line structs.
     */
    | { readonly kind: 'until'; readonly line: string };
  readonly maxCount: number;
  readonly typeName?: string;
}

export interface StructTypeIR {
  readonly kind: 'struct';
  readonly fields: readonly FieldIR[];
  /**
   * Set when an earlier integer field holds the struct's size (memcached's
   * extras length): the encoder writes the struct's fixed size there and the
   * decoder checks it.
   */
  readonly size?: { readonly kind: 'field'; readonly field: string };
  /**
   * Text protocols: the struct is one line, written by this template, and
   * its fields are the template's parts (HTTP's `{name}: {value}` header).
   */
  readonly line?: LineTemplateIR;
  readonly typeName?: string;
}

/**
 * Present or absent: marked by a one-byte presence flag before the value, or,
 * with `when`, decided by an earlier field's value and taking no byte at all.
 */
export interface OptionalTypeIR {
  readonly kind: 'optional';
  readonly value: TypeIR;
  /** Present exactly when field `field` (header or an earlier message field) has one of `values`. */
  readonly when?: WhenIR;
  readonly typeName?: string;
}

/** A condition on an earlier field's value: one of `values`, or, with `otherwise`, none of them. */
export interface WhenIR {
  readonly field: string;
  readonly values: readonly (string | number | boolean)[];
  /** Set on the fields of a switch's `_` case: present when the field has none of `values` (the other cases'). */
  readonly otherwise?: true;
}

/**
 * `switch:` in a message's fields: from its place on, the frame takes one of
 * several layouts, chosen by an earlier field's value (memcached's body by
 * status). Each case's fields are in the message's `fields`, in order, each
 * an optional type whose `when` names its case, so codecs read and write them
 * as they do any conditional field; this record is what a generator needs to
 * type the message as a union with one member per case.
 */
export interface SwitchIR {
  /** The key the switch was declared under; used in documentation and diagnostics. */
  readonly name: string;
  /** The field whose value chooses the case: a header field or an earlier message field. */
  readonly on: string;
  readonly cases: readonly SwitchCaseIR[];
}

export interface SwitchCaseIR {
  /** The values of `on` that choose this case; null for `_`, every value no other case names. */
  readonly values: readonly (string | number | boolean)[] | null;
  /** This case's fields, by name, in wire order; empty for a case with none. */
  readonly fields: readonly string[];
}

/**
 * Text protocols: a list element that is one of these messages, written as
 * that message is on its own (its line, then what follows the line). RESP's
 * array replies hold any reply, arrays included; nesting is limited by
 * MAX_TEXT_NESTING in the runtime.
 */
export interface MessageChoiceTypeIR {
  readonly kind: 'messages';
  readonly names: readonly string[];
  readonly typeName?: string;
}

export interface FieldIR {
  readonly name: string;
  readonly type: TypeIR;
  readonly description: string;
  /**
   * Set on header and message fields declared with `const:`: the encoder
   * writes this value, the decoder checks it, and the field is not part of
   * the message's TypeScript type. Absent on every other field.
   */
  readonly constant?: ConstantIR;
  /**
   * Set on an integer field that another field takes its length or element
   * count from (`length: { field: keyLength }`): the encoder writes it, the
   * decoder reads it, and it is not part of the message's TypeScript type.
   * In a message with no field that names it (a header field), it is 0.
   */
  readonly computed?: true;
  /**
   * Set on an integer or enum header or message field declared with
   * `default:`: the field is optional in the message's fields type, and the
   * encoder writes this value when it is left out (memcached's cas, 0 unless a
   * caller sets it). An enum's default is its value's code.
   */
  readonly default?: number;
  /**
   * Set on a header or message field declared with `checksum:`: the encoder
   * computes it over the frame's bytes from `from` (a field's start; null:
   * the frame's first byte) up to this field, the decoder checks it, and it
   * is not part of the message's TypeScript type.
   */
  readonly checksum?: ChecksumIR;
  /**
   * Set on a message's b1 field declared with `presence: willTopic`: the
   * encoder sets it when that later field (present `when` this one is true)
   * is given, and it is not part of the message's TypeScript type.
   */
  readonly presence?: string;
}

export type ChecksumAlgorithm = 'crc32' | 'crc16-ccitt' | 'adler32' | 'sum8' | 'xor8';

export interface ChecksumIR {
  readonly algorithm: ChecksumAlgorithm;
  readonly from: string | null;
}

/**
 * A field's constant value as it goes on the wire. Integers (enum values and
 * bools as their numbers) are safe integers, since YAML numbers are read as
 * doubles; strings and bytes are their bytes, and the field's type then has a
 * fixed length of exactly that many bytes.
 */
export type ConstantIR =
  | ConstantValueIR
  /**
   * A header field whose constant depends on who sends the frame (memcached's
   * magic: 0x80 in requests, 0x81 in responses). null: in frames that side
   * sends, the field is an ordinary value.
   */
  | {
      readonly kind: 'by-sender';
      readonly client: ConstantValueIR | null;
      readonly server: ConstantValueIR | null;
    };

export type ConstantValueIR =
  | {
      readonly kind: 'int';
      readonly value: number;
      /** How the spec wrote it, for docs: `0xcafe`, the enum value's name, `true`. */
      readonly display: string;
    }
  | {
      readonly kind: 'bytes';
      readonly bytes: readonly number[];
      /** How the spec wrote it, for docs: the text with non-printable bytes as \xNN. */
      readonly display: string;
    };

// ---------------------------------------------------------------------------
// Messages.

export interface MessageIR {
  /** PascalCase message name, e.g. `Join`. */
  readonly name: string;
  /** Discriminator value; null in protocols without a discriminator. */
  readonly code: number | null;
  readonly from: Direction;
  readonly description: string;
  /**
   * Fields after the header, in wire order (binary). Text: the template's
   * parts in template order, then the fields that follow the line (bytes
   * with `length: { field }`, lists with `count: { field }`) in wire order.
   */
  readonly fields: readonly FieldIR[];
  /** Text protocols: the line template. Null for binary protocols. */
  readonly line: LineTemplateIR | null;
  /**
   * Header fields that are constant in this message alone (MQTT's SUBSCRIBE
   * sends flags 0b0010: `header: { qos: 1 }`): written by the encoder,
   * checked by the decoder, not in the message's TypeScript type.
   */
  readonly headerValues?: Readonly<Record<string, ConstantValueIR>>;
  /** Binary protocols: the message's `switch:` fields, in wire order; absent when it has none. */
  readonly switches?: readonly SwitchIR[];
  /**
   * Set when this message opens a stream: after it, its sender sends any
   * number of `chunk` messages and then one `end` message, all carrying the
   * opening message's correlation id.
   */
  readonly stream: StreamIR | null;
}

export interface StreamIR {
  /** The message carrying each chunk. */
  readonly chunk: string;
  /** The message closing the stream. */
  readonly end: string;
}

/**
 * A text line such as `[{time}] {text}`: literal parts and named parts. Each
 * named part is a field of the message. Matching is left to right; a named
 * part takes the shortest text that lets the rest match, except the last,
 * which takes the rest of the line.
 */
export interface LineTemplateIR {
  readonly source: string;
  readonly parts: readonly LinePartIR[];
}

export type LinePartIR =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'field'; readonly name: string };

// ---------------------------------------------------------------------------
// Behavior: what the generated server does without application code.

export interface BehaviorIR {
  /** Sent to every client right after it connects. */
  readonly greeting: ComposedMessageIR | null;
  /** The server closes each connection once its greeting is sent (spec `greeting.close`). */
  readonly closeAfterGreeting: boolean;
  /** Close a connection that has sent nothing for this long; null = never. */
  readonly idleTimeoutMs: number | null;
  /** One entry per message the server can receive, in message declaration order (stream chunks and ends excluded: they go to their stream). */
  readonly onMessage: readonly MessageBehaviorIR[];
  /** How the server reports refused requests and bad frames; null when the protocol has no error message. */
  readonly errors: ErrorsIR | null;
  /** Values the declared behavior remembers per connection (such as a nick), with their types. */
  readonly session: readonly FieldIR[];
}

/**
 * The protocol's error message. The server sends it for a frame it cannot
 * decode (reason `badRequest`), for a handler that throws (reason
 * `internal`), and when a handler or guard refuses a request; clients
 * reject the pending request with it.
 */
export interface ErrorsIR {
  readonly message: string;
  /** Its enum field saying why. */
  readonly reasonField: string;
  /** Its string field with a human-readable explanation. */
  readonly textField: string;
  /** Enum value name sent for frames that cannot be decoded. */
  readonly badRequest: string;
  /** Enum value name sent when a handler fails. */
  readonly internal: string;
}

export type MessageBehaviorIR = EchoBehaviorIR | ReplyBehaviorIR | HandlerBehaviorIR | DeclaredBehaviorIR;

/**
 * Send the received message back. `prefix` is prepended to its first string
 * or bytes field (for the tutorials' `'echo ' + data`).
 */
export interface EchoBehaviorIR {
  readonly kind: 'echo';
  readonly message: string;
  readonly prefix: string;
  /** The field the prefix applies to; null when prefix is empty. */
  readonly prefixField: string | null;
}

/** Reply with a message whose fields are computed from the request, the clock or constants. */
export interface ReplyBehaviorIR {
  readonly kind: 'reply';
  readonly message: string;
  readonly reply: ComposedMessageIR;
}

/** The application implements a typed handler method for this message. */
export interface HandlerBehaviorIR {
  readonly kind: 'handler';
  readonly message: string;
  /** Messages the handler may answer with; empty when it answers with none. */
  readonly replies: readonly string[];
  /** Set when the request is answered by a sequence of replies ended by one that matches. */
  readonly many?: ManyRepliesIR;
  /** Set when the server answers only when it has something to say; a later `barrier` request settles it. */
  readonly quiet?: { readonly barrier: string };
  /**
   * Set when the request and each reply carry the same value in this field
   * (MQTT's packetId, a body field): the client assigns it, from 1 up, and
   * finds the reply by it.
   */
  readonly pairBy?: string;
  /** Set when the request is answered only when its field (or a header field) has one of these values. */
  readonly when?: { readonly field: string; readonly values: readonly (string | number | boolean)[] };
}

export interface ManyRepliesIR {
  /** The reply whose fields have all these values ends the sequence. */
  readonly end: readonly { readonly field: string; readonly value: string | number | boolean }[];
  /** Whether that reply is part of the sequence (`through`) or only ends it (`until`). */
  readonly endIncluded: boolean;
}

/**
 * Declared steps, run in this order: the guard (application code that may
 * refuse), remember session values, join/leave a group, reply, broadcasts.
 * A refusal (or a failing guard) skips every later step.
 */
export interface DeclaredBehaviorIR {
  readonly kind: 'declared';
  readonly message: string;
  /** True when the application implements a guard that may refuse with the errors message. */
  readonly guard: boolean;
  readonly session: readonly { readonly name: string; readonly value: ValueIR }[];
  /** The request's string field naming the group to join, if any. */
  readonly joins: string | null;
  /** The request's string field naming the group to leave, if any. */
  readonly leaves: string | null;
  readonly reply: ComposedMessageIR | null;
  readonly broadcasts: readonly BroadcastIR[];
}

export interface BroadcastIR {
  readonly message: ComposedMessageIR;
  readonly to: BroadcastTargetIR;
}

export type BroadcastTargetIR =
  /** Every open connection, the sender included. */
  | { readonly kind: 'all' }
  /** Every open connection but the sender. */
  | { readonly kind: 'others' }
  /** Members of the group named by the request's `field`; without the sender when `exceptSender`. */
  | { readonly kind: 'group'; readonly field: string; readonly exceptSender: boolean };

export interface ComposedMessageIR {
  readonly message: string;
  /** A value for every field of `message`, in the message's field order. */
  readonly values: readonly { readonly field: string; readonly value: ValueIR }[];
}

export type ValueIR =
  /** The current time (for timestamp fields). */
  | { readonly kind: 'now' }
  /** A field of the received message. */
  | { readonly kind: 'request-field'; readonly field: string }
  /** A value remembered on the connection by an earlier message's `session:`. */
  | { readonly kind: 'session'; readonly name: string }
  /** A constant. bigint values are written as decimal strings to stay JSON-serialisable. */
  | { readonly kind: 'literal'; readonly value: string | number | boolean };

/** The constant a header or message field has in `message`: its own header value, else the field's constant for its sender. */
export function messageConstantFor(
  message: Pick<MessageIR, 'from' | 'headerValues'>,
  field: FieldIR,
): ConstantValueIR | null {
  return message.headerValues?.[field.name] ?? constantFor(field, message.from);
}

/** The constant a field has in frames sent by `from` (a message's direction), or null when it is a value there. */
export function constantFor(field: FieldIR, from: Direction): ConstantValueIR | null {
  const constant = field.constant;
  if (constant === undefined) return null;
  if (constant.kind !== 'by-sender') return constant;
  // A message both sides send has one layout; check refuses by-sender constants that differ for it.
  return from === 'server' ? constant.server : constant.client;
}
