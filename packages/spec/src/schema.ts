import { type Static, type TSchema, Type } from '@sinclair/typebox';

/**
 * The meta-schema of a spec file. It checks shape only (keys, value types,
 * ranges); meaning (names resolve, codes are unique, …) is checked by the
 * semantic pass. Exported as JSON Schema so editors complete and check specs.
 *
 * Schemas may carry a `diagnostic` option: the diagnostic code and wording
 * the shape pass uses when that schema's constraint fails. It is stripped
 * from the JSON Schema export.
 */
export interface DiagnosticOptions {
  /** Code for a failed constraint (pattern, range, minimum length/items/properties). */
  readonly code?: string;
  /** What a valid value looks like, in spec words. */
  readonly expected?: string;
  /** Code for a duplicate list item. */
  readonly uniqueCode?: string;
  /** For mappings with named entries: the code and wording when a key is not a valid name. */
  readonly keyCode?: string;
  readonly keyNoun?: string;
  readonly keyExpected?: string;
}

/** Frames and sizes are JavaScript array indexes and Buffer lengths, so 2^31-1 is the ceiling. */
export const MAX_SIZE = 2 ** 31 - 1;

export const PROTOCOL_NAME_PATTERN = '^[a-z][a-z0-9]*(-[a-z0-9]+)*$';
/** semver.org's recommended regular expression. */
export const SEMVER_PATTERN =
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$';
export const PASCAL_CASE_PATTERN = '^[A-Z][A-Za-z0-9]*$';
export const FIELD_NAME_PATTERN = '^[a-z][A-Za-z0-9_]*$';
export const ENUM_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const BUILTIN_TYPE_NAMES = [
  'u8',
  'u16',
  'u32',
  'u64',
  'i8',
  'i16',
  'i32',
  'i64',
  'f32',
  'f64',
  'bool',
  'string',
  'bytes',
  'timestamp',
  'varint',
  'varint64',
  'zigzag',
  'zigzag64',
] as const;
export type BuiltinTypeName = (typeof BUILTIN_TYPE_NAMES)[number];

export const TRANSPORT_KINDS = ['tcp', 'tcp6', 'udp', 'udp6', 'unix', 'unix-dgram', 'tls', 'websocket'] as const;
export const FRAMING_KINDS = ['raw', 'lines', 'delimited', 'length-prefixed', 'fixed', 'datagram'] as const;
export const TIMESTAMP_FORMATS = ['ctime', 'iso8601', 'unix-seconds', 'unix-millis'] as const;
export const LENGTH_PREFIX_TYPES = ['u8', 'u16', 'u32', 'u64'] as const;
export const COUNT_PREFIX_TYPES = ['u8', 'u16', 'u32'] as const;
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc16-ccitt', 'adler32', 'sum8', 'xor8'] as const;

function literals<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );
}

const Endian = literals(['big', 'little'], { description: 'Byte order.' });

const MaxFrameBytes = Type.Integer({
  minimum: 1,
  maximum: MAX_SIZE,
  description: 'Largest frame accepted, in bytes, including any length prefix or delimiter. Checked before buffering.',
  diagnostic: { code: 'invalid-max-frame-bytes', expected: `an integer from 1 to ${MAX_SIZE}` },
});

const KeepDelimiter = Type.Boolean({ description: 'Keep the delimiter at the end of decoded frames (default false).' });
const StripCarriageReturn = Type.Boolean({ description: "Remove a '\\r' right before the delimiter." });

const RawFraming = Type.Object(
  { kind: Type.Literal('raw'), maxFrameBytes: MaxFrameBytes },
  { additionalProperties: false, description: 'No framing: each chunk read is a frame.' },
);

const LinesFraming = Type.Object(
  {
    kind: Type.Literal('lines'),
    maxFrameBytes: MaxFrameBytes,
    keepDelimiter: Type.Optional(KeepDelimiter),
    stripCarriageReturn: Type.Optional(StripCarriageReturn),
  },
  { additionalProperties: false, description: "Frames end with '\\n'; a '\\r' before it is removed by default." },
);

const DelimitedFraming = Type.Object(
  {
    kind: Type.Literal('delimited'),
    delimiter: Type.Union(
      [
        Type.String({ minLength: 1, diagnostic: { code: 'empty-delimiter', expected: 'at least one character' } }),
        Type.Array(
          Type.Integer({
            minimum: 0,
            maximum: 255,
            diagnostic: { code: 'delimiter-byte-out-of-range', expected: 'a byte value from 0 to 255' },
          }),
          { minItems: 1, diagnostic: { code: 'empty-delimiter', expected: 'at least one byte' } },
        ),
      ],
      { description: 'The delimiter: a string (its UTF-8 bytes) or a list of byte values.' },
    ),
    maxFrameBytes: MaxFrameBytes,
    keepDelimiter: Type.Optional(KeepDelimiter),
    stripCarriageReturn: Type.Optional(StripCarriageReturn),
  },
  { additionalProperties: false },
);

const LengthField = Type.Object(
  {
    type: literals([...LENGTH_PREFIX_TYPES, 'varint'], {
      description: "Width of the length field, or 'varint': an unsigned LEB128 of 1 to maxBytes bytes (MQTT).",
    }),
    maxBytes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 4, description: 'A varint length: the most bytes it may take (default 4).' }),
    ),
    endian: Type.Optional(Endian),
    offset: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_SIZE, description: 'Bytes before the length field (default 0).' }),
    ),
    adjustment: Type.Optional(
      Type.Integer({
        minimum: -MAX_SIZE,
        maximum: MAX_SIZE,
        description: 'Added to the length value to get the bytes that follow the length field (default 0).',
      }),
    ),
    counts: Type.Optional(
      literals(['after-length', 'frame'], {
        description: 'Whether the length counts the bytes after the length field or the whole frame.',
      }),
    ),
  },
  { additionalProperties: false },
);

const LengthPrefixedFraming = Type.Object(
  { kind: Type.Literal('length-prefixed'), length: LengthField, maxFrameBytes: MaxFrameBytes },
  { additionalProperties: false },
);

const FixedFraming = Type.Object(
  {
    kind: Type.Literal('fixed'),
    size: Type.Integer({
      minimum: 1,
      maximum: MAX_SIZE,
      description: 'Bytes in every frame.',
      diagnostic: { code: 'invalid-frame-size', expected: `an integer from 1 to ${MAX_SIZE}` },
    }),
    maxFrameBytes: Type.Optional(MaxFrameBytes),
  },
  { additionalProperties: false },
);

const DatagramFraming = Type.Object(
  { kind: Type.Literal('datagram'), maxFrameBytes: MaxFrameBytes },
  { additionalProperties: false, description: 'One frame per datagram.' },
);

const Framing = Type.Union(
  [RawFraming, LinesFraming, DelimitedFraming, LengthPrefixedFraming, FixedFraming, DatagramFraming],
  { description: 'How the byte stream is cut into frames.' },
);

const fieldMapOptions = (what: string) => ({
  additionalProperties: false,
  description: what,
  diagnostic: {
    keyCode: 'invalid-field-name',
    keyNoun: 'field name',
    keyExpected: 'camelCase (a lowercase letter, then letters, digits or _)',
  },
});

/**
 * A type definition: `{ type: u32, endian: little }`, a list (`items`) or a
 * struct (`fields`). Recursive, since lists and structs contain types.
 */
export const TypeDefinition = Type.Recursive(
  (Self) => {
    const TypeReference = Type.Union([Type.String({ description: 'A built-in or named type.' }), Self]);
    return Type.Object(
      {
        type: Type.Optional(
          Type.String({ description: `A built-in type (${BUILTIN_TYPE_NAMES.join(', ')}) or a name from 'types'.` }),
        ),
        description: Type.Optional(Type.String()),
        endian: Type.Optional(Endian),
        optional: Type.Optional(Type.Boolean({ description: 'Present or absent, marked by a presence byte.' })),
        when: Type.Optional(
          Type.Record(
            Type.String({ pattern: FIELD_NAME_PATTERN }),
            Type.Union([
              Type.String(),
              Type.Number(),
              Type.Boolean(),
              Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { minItems: 1 }),
            ]),
            {
              minProperties: 1,
              maxProperties: 1,
              description:
                'Message fields: present only when an earlier field has this value (or one of these values); no presence byte.',
            },
          ),
        ),
        maxBytes: Type.Optional(
          Type.Integer({ minimum: 0, maximum: MAX_SIZE, description: 'string/bytes: most encoded bytes.' }),
        ),
        pattern: Type.Optional(
          Type.String({ description: 'string: a regular expression (u flag) values must match.' }),
        ),
        length: Type.Optional(
          Type.Union(
            [
              ...LENGTH_PREFIX_TYPES.map((t) => Type.Literal(t)),
              Type.Literal('terminated'),
              Type.Literal('rest'),
              Type.Object({ fixed: Type.Integer({ minimum: 1, maximum: MAX_SIZE }) }, { additionalProperties: false }),
              Type.Object(
                { field: Type.String({ pattern: FIELD_NAME_PATTERN }) },
                {
                  additionalProperties: false,
                  description:
                    'As many bytes as an earlier integer field says; the encoder fills that field in. In a text protocol, the bytes follow the line, then the delimiter.',
                },
              ),
              Type.Object(
                {
                  line: Type.String({
                    description:
                      "A line template whose one part '{length}' is the value's byte length, such as '${length}'.",
                  }),
                },
                {
                  additionalProperties: false,
                  description:
                    "Text protocols: the value follows a line of its own that gives its length (RESP's bulk string '$5'), then the delimiter.",
                },
              ),
              Type.Object(
                {
                  from: Type.String({
                    pattern: FIELD_NAME_PATTERN,
                    description: "An earlier list of line structs in the same message, with count: { until: '...' }.",
                  }),
                  where: Type.Record(Type.String({ pattern: FIELD_NAME_PATTERN }), Type.String(), {
                    minProperties: 1,
                    maxProperties: 1,
                    description: 'The element to use: its field (the key) must equal this text (the value).',
                  }),
                  value: Type.String({
                    pattern: FIELD_NAME_PATTERN,
                    description: "The element's field that holds the length, as decimal text.",
                  }),
                  ignoreCase: Type.Optional(
                    Type.Boolean({ description: 'Compare ignoring ASCII case (HTTP header names). Default false.' }),
                  ),
                },
                {
                  additionalProperties: false,
                  description:
                    "Text protocols: as many bytes as an element of an earlier list says (HTTP's Content-Length header); none when no element says. The bytes follow the list's end line, with no delimiter after them.",
                },
              ),
            ],
            {
              description:
                "string/bytes: a length prefix, a terminator, the rest of the frame, { fixed: N }, { field: <earlier integer field> }, or in text protocols { line: '${length}' } or { from: <list>, where: { <field>: <text> }, value: <field> }.",
            },
          ),
        ),
        terminator: Type.Optional(
          Type.Integer({ minimum: 0, maximum: 255, description: "Byte ending a 'terminated' value (default 0)." }),
        ),
        format: Type.Optional(literals(TIMESTAMP_FORMATS, { description: 'timestamp: representation on the wire.' })),
        values: Type.Optional(
          Type.Record(Type.String({ pattern: ENUM_NAME_PATTERN }), Type.Integer(), {
            additionalProperties: false,
            minProperties: 1,
            description: 'Makes an integer type an enum: NAME -> value.',
            diagnostic: {
              code: 'empty-enum',
              expected: 'at least one value',
              keyCode: 'invalid-enum-name',
              keyNoun: 'enum value name',
              keyExpected: 'an identifier',
            },
          }),
        ),
        flags: Type.Optional(
          Type.Record(Type.String({ pattern: ENUM_NAME_PATTERN }), Type.Integer({ minimum: 0, maximum: 63 }), {
            additionalProperties: false,
            minProperties: 1,
            description: 'Makes an integer type a set of bit flags: name -> bit index.',
            diagnostic: {
              code: 'empty-flags',
              expected: 'at least one flag',
              keyCode: 'invalid-flag-name',
              keyNoun: 'flag name',
              keyExpected: 'an identifier',
            },
          }),
        ),
        items: Type.Optional(TypeReference),
        messages: Type.Optional(
          Type.Array(Type.String(), {
            minItems: 1,
            uniqueItems: true,
            description:
              'Text protocols, list elements: each element is one of these messages, written as it is on its own (RESP array replies).',
          }),
        ),
        count: Type.Optional(
          Type.Union(
            [
              ...COUNT_PREFIX_TYPES.map((t) => Type.Literal(t)),
              Type.Literal('rest'),
              Type.Object(
                { field: Type.String({ pattern: FIELD_NAME_PATTERN }) },
                {
                  additionalProperties: false,
                  description: 'As many elements as an earlier integer field says; the encoder fills that field in.',
                },
              ),
              Type.Object(
                {
                  until: Type.String({ description: 'The line that ends the list (HTTP headers: the empty line "").' }),
                },
                {
                  additionalProperties: false,
                  description:
                    'Text protocols: one element per line until this line; the elements are structs with a line template.',
                },
              ),
            ],
            {
              description:
                "Lists: width of the element count prefix (default u16), 'rest' (elements until the end of the frame; the message's last field), { field: <earlier integer field> }, or in text protocols { until: <line> }.",
            },
          ),
        ),
        maxCount: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SIZE, description: 'Lists: most elements.' })),
        fields: Type.Optional(
          Type.Record(
            Type.String({ pattern: FIELD_NAME_PATTERN }),
            TypeReference,
            fieldMapOptions('Struct fields, in wire order; with line, types of line parts.'),
          ),
        ),
        line: Type.Optional(
          Type.String({
            description:
              "Text protocols, structs: the struct is one line written by this template, such as '{name}: {value}' (an HTTP header).",
          }),
        ),
        const: Type.Optional(
          Type.Union(
            [
              Type.Integer(),
              Type.Boolean(),
              Type.String(),
              Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { minItems: 1 }),
              Type.Object(
                {
                  client: Type.Optional(Type.Union([Type.Integer(), Type.Boolean(), Type.String()])),
                  server: Type.Optional(Type.Union([Type.Integer(), Type.Boolean(), Type.String()])),
                },
                {
                  additionalProperties: false,
                  minProperties: 1,
                  description:
                    'Header fields: a constant per sender (memcached magic: { client: 0x80, server: 0x81 }); a side left out sends a value.',
                },
              ),
            ],
            {
              description:
                "Header and message fields: a value the encoder always writes and the decoder checks; callers never pass it. An integer, an enum value's name, a bool, or for string/bytes a string ('PK\\x03\\x04': each character a byte up to \\xff for bytes, UTF-8 for strings) or a list of byte values.",
            },
          ),
        ),
        checksum: Type.Optional(
          Type.Union(
            [
              literals(CHECKSUM_ALGORITHMS),
              Type.Object(
                {
                  algorithm: literals(CHECKSUM_ALGORITHMS),
                  from: Type.Optional(Type.String({ pattern: FIELD_NAME_PATTERN })),
                },
                { additionalProperties: false },
              ),
            ],
            {
              description:
                "Header and message fields: a checksum of the frame's bytes before this field (from its first byte, or from field 'from'). crc32 and adler32 need a u32, crc16-ccitt a u16, sum8 and xor8 a u8.",
            },
          ),
        ),
        default: Type.Optional(
          Type.Union([Type.Integer(), Type.String()], {
            description:
              'Header and message integer and enum fields (an enum by its value name): written when the caller leaves the field out (it is optional in the fields type).',
          }),
        ),
        presence: Type.Optional(
          Type.String({
            pattern: FIELD_NAME_PATTERN,
            description:
              "Message b1 fields: set by the encoder when the named later field (present when: { <this field>: true }) is given; callers never pass it (MQTT's will flag).",
          }),
        ),
        switch: Type.Optional(
          Type.String({
            pattern: FIELD_NAME_PATTERN,
            description:
              "Message fields: the rest of this field's place in the frame takes one of the layouts in 'cases', chosen by the value of this earlier field (header or message; enum, integer, bool or bit field). The message's TypeScript type is a union, one member per case.",
          }),
        ),
        cases: Type.Optional(
          Type.Record(
            Type.String({ minLength: 1 }),
            Type.Record(Type.String({ pattern: FIELD_NAME_PATTERN }), TypeReference, {
              description: "This case's fields, in wire order; {} for a case with none.",
            }),
            {
              minProperties: 1,
              description:
                "With 'switch': the layout for each value of the switch field (an enum value name, an integer, true or false), and '_' for every other value.",
            },
          ),
        ),
        discriminator: Type.Optional(
          Type.Boolean({ description: 'Header only: this integer field selects the message.' }),
        ),
        correlation: Type.Optional(
          Type.Boolean({ description: 'Header only: this integer field pairs a reply with its request.' }),
        ),
      },
      { additionalProperties: false },
    );
  },
  { $id: 'TypeDefinition' },
);

const TypeReference = Type.Union([Type.String({ description: 'A built-in or named type.' }), TypeDefinition]);

const fieldMap = (what: string) =>
  Type.Record(Type.String({ pattern: FIELD_NAME_PATTERN }), TypeReference, fieldMapOptions(what));

const Direction = literals(['client', 'server', 'both'], { description: 'Who sends the message.' });

const Message = Type.Object(
  {
    code: Type.Optional(
      Type.Integer({ description: 'Discriminator value; required when the header has a discriminator.' }),
    ),
    from: Direction,
    description: Type.Optional(Type.String()),
    fields: Type.Optional(fieldMap('Fields after the header, in wire order; in text protocols, types of line parts.')),
    line: Type.Optional(Type.String({ description: "Text protocols: a line template such as '[{time}] {text}'." })),
    header: Type.Optional(
      Type.Record(
        Type.String({ pattern: FIELD_NAME_PATTERN }),
        Type.Union([Type.Integer(), Type.Boolean(), Type.String()]),
        {
          description:
            "Header fields that are constant in this message (MQTT's SUBSCRIBE: { qos: 1 }): an integer, a bool or an enum value's name. The encoder writes them, the decoder checks them, callers never pass them.",
        },
      ),
    ),
    stream: Type.Optional(
      Type.Object(
        {
          chunk: Type.String({ description: 'The message carrying each chunk.' }),
          end: Type.String({ description: 'The message closing the stream.' }),
        },
        {
          additionalProperties: false,
          description:
            "This message opens a stream: its sender follows it with 'chunk' messages and one 'end' message, all with its correlation id.",
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const ValueLiteral = Type.Union([Type.String(), Type.Number(), Type.Boolean()], {
  description:
    "A literal, '$now', '$request.<field>', '$session.<name>', or '$$…' for a literal string starting with '$'.",
});

const ComposedMessage = Type.Object(
  {
    message: Type.String({ description: 'Name of the message to send.' }),
    values: Type.Optional(
      Type.Record(Type.String({ pattern: FIELD_NAME_PATTERN }), ValueLiteral, fieldMapOptions('A value per field.')),
    ),
  },
  { additionalProperties: false },
);

const BroadcastTarget = Type.Union(
  [
    literals(['all', 'others']),
    Type.Object(
      {
        group: Type.String({ description: "The request's string field naming the group." }),
        except: Type.Optional(literals(['sender'])),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description: "'all', 'others' (all but the sender), or { group: <request field>, except?: sender }.",
    diagnostic: { code: 'invalid-broadcast-target', expected: "'all', 'others' or { group: <field>, except: sender }" },
  },
);

const Broadcast = Type.Object(
  {
    message: Type.String({ description: 'Name of the message to send.' }),
    to: BroadcastTarget,
    values: Type.Optional(
      Type.Record(Type.String({ pattern: FIELD_NAME_PATTERN }), ValueLiteral, fieldMapOptions('A value per field.')),
    ),
  },
  { additionalProperties: false },
);

const MessageBehavior = Type.Object(
  {
    echo: Type.Optional(
      Type.Object(
        { prefix: Type.Optional(Type.String({ description: 'Prepended to the first string/bytes field.' })) },
        { additionalProperties: false, description: 'Send the message back.' },
      ),
    ),
    reply: Type.Optional(ComposedMessage),
    handler: Type.Optional(
      Type.Object(
        {
          replies: Type.Optional(Type.Array(Type.String(), { description: 'Messages the handler may answer with.' })),
          many: Type.Optional(
            Type.Object(
              {
                until: Type.Optional(
                  Type.Record(
                    Type.String({ pattern: FIELD_NAME_PATTERN }),
                    Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
                    {
                      description: 'The reply whose fields have these values ends the replies; it is not one of them.',
                    },
                  ),
                ),
                through: Type.Optional(
                  Type.Record(
                    Type.String({ pattern: FIELD_NAME_PATTERN }),
                    Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
                    {
                      description: 'The reply whose fields have these values is the last one.',
                    },
                  ),
                ),
              },
              {
                additionalProperties: false,
                description:
                  "The request is answered by a sequence of replies (memcached STAT), ended by one that matches 'until' or 'through'.",
              },
            ),
          ),
          pairBy: Type.Optional(
            Type.String({
              pattern: FIELD_NAME_PATTERN,
              description:
                'A field the request and each reply carry with the same value (MQTT packetId): the client assigns it and finds the reply by it.',
            }),
          ),
          when: Type.Optional(
            Type.Record(
              Type.String({ pattern: FIELD_NAME_PATTERN }),
              Type.Union([
                Type.String(),
                Type.Number(),
                Type.Boolean(),
                Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { minItems: 1 }),
              ]),
              {
                minProperties: 1,
                maxProperties: 1,
                description:
                  'The request is answered only when its field has this value (or one of these); otherwise it gets no reply (MQTT: a PUBLISH at QoS 0).',
              },
            ),
          ),
          quiet: Type.Optional(
            Type.Object(
              {
                barrier: Type.String({
                  description: 'A request whose reply means every earlier quiet request got all it will.',
                }),
              },
              {
                additionalProperties: false,
                description:
                  'The server answers only when it has something to say (memcached GETQ): a miss has no reply.',
              },
            ),
          ),
        },
        { additionalProperties: false, description: 'Application code handles the message.' },
      ),
    ),
    guard: Type.Optional(
      Type.Boolean({
        description: 'Application code checks the request first and may refuse it with the errors message.',
      }),
    ),
    session: Type.Optional(
      Type.Record(
        Type.String({ pattern: FIELD_NAME_PATTERN }),
        ValueLiteral,
        fieldMapOptions('Values remembered on the connection, e.g. nick: $request.nick.'),
      ),
    ),
    joins: Type.Optional(Type.String({ description: "The request's string field naming a group to join." })),
    leaves: Type.Optional(Type.String({ description: "The request's string field naming a group to leave." })),
    broadcast: Type.Optional(Type.Array(Broadcast, { description: 'Messages sent to other connections.' })),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'echo, reply or handler; or declared steps: guard, session, joins, leaves, reply, broadcast.',
    diagnostic: {
      code: 'invalid-behavior',
      expected: 'echo, reply or handler, or declared steps (guard, session, joins, leaves, reply, broadcast)',
    },
  },
);

const Errors = Type.Object(
  {
    message: Type.String({ description: 'The message the server sends to refuse a request or a frame.' }),
    reason: Type.String({ description: 'Its enum field saying why.' }),
    text: Type.String({ description: 'Its string field explaining it to a person.' }),
    badRequest: Type.String({ description: 'Enum value sent for frames that cannot be decoded.' }),
    internal: Type.String({ description: 'Enum value sent when a handler fails.' }),
  },
  { additionalProperties: false, description: 'How the server reports errors to its peer.' },
);

const Greeting = Type.Object(
  {
    message: Type.String({ description: 'Name of the message sent right after a client connects.' }),
    values: Type.Optional(
      Type.Record(Type.String({ pattern: FIELD_NAME_PATTERN }), ValueLiteral, fieldMapOptions('A value per field.')),
    ),
    close: Type.Optional(
      Type.Boolean({
        description:
          "Close the connection once the greeting is sent, as the tutorials' greeting server's handle() returns; default false: keep serving.",
      }),
    ),
  },
  { additionalProperties: false },
);

const Behavior = Type.Object(
  {
    greeting: Type.Optional(Greeting),
    errors: Type.Optional(Errors),
    idleTimeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_SIZE, description: 'Close connections idle this long.' }),
    ),
  },
  {
    additionalProperties: MessageBehavior,
    description: 'greeting, errors, idleTimeoutMs, and what the server does with each message it receives.',
  },
);

export const protocolSpecSchema = Type.Object(
  {
    protocol: Type.String({
      pattern: PROTOCOL_NAME_PATTERN,
      description: 'kebab-case protocol name.',
      diagnostic: {
        code: 'invalid-protocol-name',
        expected: 'kebab-case (lowercase letters and digits in words joined by single dashes, starting with a letter)',
      },
    }),
    version: Type.String({
      pattern: SEMVER_PATTERN,
      description: 'Semantic version of the protocol.',
      diagnostic: { code: 'invalid-version', expected: 'a semantic version such as 1.0.0' },
    }),
    description: Type.Optional(Type.String()),
    transports: Type.Array(literals(TRANSPORT_KINDS), {
      minItems: 1,
      uniqueItems: true,
      description: 'Transports the protocol runs over.',
      diagnostic: { code: 'empty-transports', expected: 'at least one transport', uniqueCode: 'duplicate-transport' },
    }),
    byteOrder: Type.Optional(Endian),
    bitOrder: Type.Optional(
      literals(['big', 'little'], {
        description:
          "Bit fields (b1…b32): 'big' (default) gives the first field of a run the most significant bits, 'little' the least.",
      }),
    ),
    framing: Framing,
    header: Type.Optional(fieldMap('Binary protocols: fields leading every frame.')),
    types: Type.Optional(
      Type.Record(Type.String({ pattern: PASCAL_CASE_PATTERN }), TypeReference, {
        additionalProperties: false,
        description: 'Named reusable types.',
        diagnostic: {
          keyCode: 'invalid-type-name',
          keyNoun: 'type name',
          keyExpected: 'PascalCase (an uppercase letter, then letters or digits)',
        },
      }),
    ),
    messages: Type.Record(Type.String({ pattern: PASCAL_CASE_PATTERN }), Message, {
      additionalProperties: false,
      minProperties: 1,
      description: 'Messages in declaration order.',
      diagnostic: {
        code: 'no-messages',
        expected: 'at least one message',
        keyCode: 'invalid-message-name',
        keyNoun: 'message name',
        keyExpected: 'PascalCase (an uppercase letter, then letters or digits)',
      },
    }),
    behavior: Type.Optional(Behavior),
  },
  { additionalProperties: false, title: 'sockspec protocol spec' },
);

export type ProtocolSpec = Static<typeof protocolSpecSchema>;
export type TypeDefinitionSpec = Static<typeof TypeDefinition>;
export type MessageSpec = Static<typeof Message>;
export type ComposedMessageSpec = Static<typeof ComposedMessage>;
export type FramingSpec = Static<typeof Framing>;

export function diagnosticOptions(schema: TSchema): DiagnosticOptions {
  const options = (schema as { diagnostic?: DiagnosticOptions }).diagnostic;
  return options ?? {};
}

/**
 * The meta-schema as standard JSON Schema (draft 2020-12), for editors:
 * TypeBox's symbols and our `diagnostic` options removed, and the recursive
 * type definition moved to `$defs` so it appears once.
 */
export function protocolJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'diagnostic') continue;
      if (key === '$ref' && typeof inner === 'string' && !inner.startsWith('#')) {
        out[key] = `#/$defs/${inner}`;
        continue;
      }
      out[key] = rewrite(inner);
    }
    if (typeof out.$id === 'string') {
      const id = out.$id;
      delete out.$id;
      defs[id] ??= out;
      return { $ref: `#/$defs/${id}` };
    }
    return out;
  };
  // JSON round trip drops TypeBox's symbol-keyed metadata.
  const body = rewrite(JSON.parse(JSON.stringify(protocolSpecSchema))) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...body,
    $defs: defs,
  };
}
