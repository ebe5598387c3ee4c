import { describe, expect, it } from 'vitest';
import type { LengthPrefixedFramingIR } from '../src/index.js';
import { binarySpec, compileValid, diagnosticsOf } from './helpers.js';

const oneMessage = '  Data: { from: both, fields: { n: u32 } }';

describe('framing defaults', () => {
  it('lines become a \\n delimiter that strips \\r and drops the delimiter', () => {
    const ir = compileValid(
      'protocol: t\nversion: 0.1.0\ntransports: [unix]\nframing: { kind: lines, maxFrameBytes: 100 }\nmessages:\n  L: { from: both, line: "{text}" }',
    );
    expect(ir.framing).toEqual({
      kind: 'delimited',
      delimiter: [10],
      keepDelimiter: false,
      stripCarriageReturn: true,
      maxFrameBytes: 100,
    });
    expect(ir.limits.maxFrameBytes).toBe(100);
  });

  it('delimited accepts a string (as UTF-8 bytes) or byte values, and does not strip \\r by default', () => {
    const text = (delimiter: string) =>
      `protocol: t\nversion: 0.1.0\ntransports: [tcp]\nframing: { kind: delimited, delimiter: ${delimiter}, maxFrameBytes: 100 }\nmessages:\n  L: { from: both, line: "{text}" }`;
    expect(compileValid(text('"\\r\\n"')).framing).toEqual({
      kind: 'delimited',
      delimiter: [13, 10],
      keepDelimiter: false,
      stripCarriageReturn: false,
      maxFrameBytes: 100,
    });
    expect(compileValid(text('"§"')).framing).toMatchObject({ delimiter: [0xc2, 0xa7] });
    expect(compileValid(text('[0]')).framing).toMatchObject({ delimiter: [0] });
  });

  it("length-prefixed 'counts: after-length' has no adjustment and takes the protocol byte order", () => {
    const ir = compileValid(
      binarySpec({
        extra: 'byteOrder: little',
        framing: '{ kind: length-prefixed, length: { type: u16 }, maxFrameBytes: 1000 }',
        messages: oneMessage,
      }),
    );
    expect(ir.framing).toEqual<LengthPrefixedFramingIR>({
      kind: 'length-prefixed',
      lengthOffset: 0,
      lengthBytes: 2,
      lengthEndian: 'little',
      lengthAdjustment: 0,
      lengthCounts: 'after-length',
      maxFrameBytes: 1000,
    });
  });

  it("length-prefixed 'counts: frame' subtracts the offset and the length field from the adjustment", () => {
    const ir = compileValid(
      binarySpec({
        framing:
          '{ kind: length-prefixed, length: { type: u32, endian: little, offset: 2, adjustment: 3, counts: frame }, maxFrameBytes: 4096 }',
        // The two bytes before the length field are a header field: a length field sits between fields.
        header: '  magic: u16',
        messages: oneMessage,
      }),
    );
    expect(ir.framing).toMatchObject({
      lengthOffset: 2,
      lengthBytes: 4,
      lengthEndian: 'little',
      lengthAdjustment: 3 - (2 + 4),
      lengthCounts: 'frame',
    });
  });

  it('a u8 length can carry exactly 256 bytes of frame, and not 257', () => {
    const spec = (max: number) =>
      binarySpec({
        framing: `{ kind: length-prefixed, length: { type: u8 }, maxFrameBytes: ${max} }`,
        messages: oneMessage,
      });
    expect(compileValid(spec(256)).framing.maxFrameBytes).toBe(256);
    expect(diagnosticsOf(spec(257))[0]).toContain('error max-frame-exceeds-length-field');
  });

  it('fixed framing defaults maxFrameBytes to its size, and rejects a different one', () => {
    const spec = (extra: string) => binarySpec({ framing: `{ kind: fixed, size: 8${extra} }`, messages: oneMessage });
    expect(compileValid(spec('')).framing).toEqual({ kind: 'fixed', frameBytes: 8, maxFrameBytes: 8 });
    expect(compileValid(spec(', maxFrameBytes: 8')).limits.maxFrameBytes).toBe(8);
    expect(diagnosticsOf(spec(', maxFrameBytes: 9'))).toEqual([
      "specs/test.protocol.yaml:4:49: error fixed-size-mismatch: maxFrameBytes 9 of framing differs from its fixed size 8\n  hint: remove maxFrameBytes: a fixed framing's maximum is its size",
    ]);
  });

  it('datagram framing runs over udp', () => {
    const ir = compileValid(
      'protocol: t\nversion: 0.1.0\ntransports: [udp, udp6, unix-dgram]\nframing: { kind: datagram, maxFrameBytes: 1200 }\nmessages:\n  P: { from: both, fields: { n: u8 } }',
    );
    expect(ir.framing).toEqual({ kind: 'datagram', maxFrameBytes: 1200 });
    expect(ir.transports).toEqual(['udp', 'udp6', 'unix-dgram']);
  });

  it('lines and delimited framing run over stream and datagram transports alike, without a size warning', () => {
    const lines = compileValid(
      'protocol: t\nversion: 0.1.0\ntransports: [tcp, udp, udp6, unix-dgram, websocket]\nframing: { kind: lines, maxFrameBytes: 70000 }\nmessages:\n  L: { from: both, line: "{text}" }',
    );
    expect(lines.framing.kind).toBe('delimited');
    expect(lines.transports).toEqual(['tcp', 'udp', 'udp6', 'unix-dgram', 'websocket']);
    const delimited = compileValid(
      'protocol: t\nversion: 0.1.0\ntransports: [unix-dgram]\nframing: { kind: delimited, delimiter: ";", maxFrameBytes: 100 }\nmessages:\n  L: { from: both, line: "{text}" }',
    );
    expect(delimited.framing).toMatchObject({ kind: 'delimited', delimiter: [59] });
  });
});

describe('type defaults', () => {
  it('fills endian, string length prefix and maxBytes in binary protocols', () => {
    const ir = compileValid(
      binarySpec({
        extra: 'byteOrder: little',
        framing: '{ kind: length-prefixed, length: { type: u32 }, maxFrameBytes: 1000 }',
        messages:
          '  Data: { from: both, fields: { n: i16, s: string, b: { type: bytes, length: u8 }, t: timestamp, f: f64, ok: bool } }',
      }),
    );
    const [n, s, b, t, f, ok] = ir.messages[0]!.fields.map((field) => field.type);
    expect(n).toEqual({ kind: 'int', bits: 16, signed: true, endian: 'little' });
    // The frame leaves 1000 - 4 bytes after the length field for any one value.
    expect(s).toEqual({
      kind: 'string',
      encoding: 'utf8',
      length: { kind: 'prefixed', bytes: 2, endian: 'little' },
      maxBytes: 996,
      pattern: null,
    });
    expect(b).toEqual({ kind: 'bytes', length: { kind: 'prefixed', bytes: 1, endian: 'little' }, maxBytes: 255 });
    expect(t).toEqual({ kind: 'timestamp', representation: 'unix-millis', endian: 'little' });
    expect(f).toEqual({ kind: 'float', bits: 64, endian: 'little' });
    expect(ok).toEqual({ kind: 'bool' });
  });

  it('resolves named types once and records their names, including aliases', () => {
    const ir = compileValid(
      binarySpec({
        types: [
          "  Nick: { type: string, maxBytes: 32, pattern: '^[A-Za-z0-9_]+$', length: u8 }",
          '  Count: u32',
          '  Member: { fields: { nick: Nick, seen: { type: Count, optional: true } } }',
        ].join('\n'),
        messages:
          '  Roster: { from: both, fields: { members: { items: Member, maxCount: 100, count: u8 }, total: Count } }',
      }),
    );
    const [members, total] = ir.messages[0]!.fields;
    expect(total!.type).toEqual({ kind: 'int', bits: 32, signed: false, endian: 'big', typeName: 'Count' });
    expect(members!.type).toEqual({
      kind: 'array',
      count: { kind: 'prefixed', bytes: 1, endian: 'big' },
      maxCount: 100,
      element: {
        kind: 'struct',
        typeName: 'Member',
        fields: [
          {
            name: 'nick',
            description: '',
            type: {
              kind: 'string',
              encoding: 'utf8',
              length: { kind: 'prefixed', bytes: 1, endian: 'big' },
              maxBytes: 32,
              pattern: '^[A-Za-z0-9_]+$',
              typeName: 'Nick',
            },
          },
          {
            name: 'seen',
            description: '',
            type: {
              kind: 'optional',
              value: { kind: 'int', bits: 32, signed: false, endian: 'big', typeName: 'Count' },
            },
          },
        ],
      },
    });
  });

  it('refining a named type makes a new anonymous type', () => {
    const ir = compileValid(
      binarySpec({
        types: '  Name: { type: string, maxBytes: 64 }',
        messages: '  Hi: { from: both, fields: { short: { type: Name, maxBytes: 8 }, full: Name } }',
      }),
    );
    const [short, full] = ir.messages[0]!.fields.map((f) => f.type);
    expect(short).toMatchObject({ kind: 'string', maxBytes: 8 });
    expect(short).not.toHaveProperty('typeName');
    expect(full).toMatchObject({ kind: 'string', maxBytes: 64, typeName: 'Name' });
  });

  it('builds enums, flags and terminated/fixed strings', () => {
    const ir = compileValid(
      binarySpec({
        messages: [
          '  Data:',
          '    from: both',
          '    fields:',
          '      level: { type: u8, values: { LOW: 0, HIGH: 2 } }',
          '      mode: { type: u16, endian: little, flags: { read: 0, write: 15 } }',
          '      name: { type: string, length: terminated }',
          '      code: { type: string, length: { fixed: 4 } }',
          '      rest: { type: bytes, length: rest, description: everything else }',
        ].join('\n'),
      }),
    );
    const [level, mode, name, code, rest] = ir.messages[0]!.fields;
    expect(level!.type).toEqual({
      kind: 'enum',
      base: { kind: 'int', bits: 8, signed: false, endian: 'big' },
      values: [
        { name: 'LOW', value: 0 },
        { name: 'HIGH', value: 2 },
      ],
    });
    expect(mode!.type).toEqual({
      kind: 'flags',
      base: { kind: 'int', bits: 16, signed: false, endian: 'little' },
      flags: [
        { name: 'read', bit: 0 },
        { name: 'write', bit: 15 },
      ],
    });
    expect(name!.type).toMatchObject({ length: { kind: 'terminated', terminator: 0 }, maxBytes: 65531 });
    expect(code!.type).toMatchObject({ length: { kind: 'fixed', bytes: 4 }, maxBytes: 4 });
    expect(rest!.type).toEqual({ kind: 'bytes', length: { kind: 'rest' }, maxBytes: 65532 });
    expect(rest!.description).toBe('everything else');
  });

  it('reads header roles and message codes', () => {
    const ir = compileValid(
      binarySpec({
        header: '  type: { type: u8, discriminator: true }\n  id: { type: u32, correlation: true }',
        messages: '  Ping: { code: 1, from: client }\n  Pong: { code: 2, from: server }',
      }),
    );
    expect(ir.discriminator).toBe('type');
    expect(ir.correlation).toBe('id');
    expect(ir.header.map((f) => f.name)).toEqual(['type', 'id']);
    expect(ir.messages.map((m) => [m.name, m.code, m.line])).toEqual([
      ['Ping', 1, null],
      ['Pong', 2, null],
    ]);
    expect(ir.encoding).toBe('binary');
  });
});

describe('behavior defaults and values', () => {
  it('gives every server-received message without an entry a handler with no replies, in message order', () => {
    const ir = compileValid(
      binarySpec({
        header: '  type: { type: u8, discriminator: true }',
        messages: [
          '  Join: { code: 1, from: client, fields: { nick: string } }',
          '  Joined: { code: 2, from: server, fields: { nick: string } }',
          '  Say: { code: 3, from: both, fields: { text: string, n: u8 } }',
          '  Ping: { code: 4, from: client }',
        ].join('\n'),
        behavior: [
          '  idleTimeoutMs: 30000',
          "  Say: { echo: { prefix: 'echo ' } }",
          '  Join: { handler: { replies: [Joined, Say, Joined] } }',
        ].join('\n'),
      }),
    );
    expect(ir.behavior).toEqual({
      greeting: null,
      closeAfterGreeting: false,
      idleTimeoutMs: 30000,
      errors: null,
      session: [],
      onMessage: [
        { kind: 'handler', message: 'Join', replies: ['Joined', 'Say'] },
        { kind: 'echo', message: 'Say', prefix: 'echo ', prefixField: 'text' },
        { kind: 'handler', message: 'Ping', replies: [] },
      ],
    });
  });

  it("greeting close: true closes each connection once the greeting is sent (the tutorials' greeting server)", () => {
    const ir = compileValid(
      binarySpec({
        header: '  type: { type: u8, discriminator: true }',
        messages: '  Welcome: { code: 1, from: server, fields: { text: string } }',
        behavior: ['  greeting:', '    message: Welcome', '    values: { text: hi }', '    close: true'].join('\n'),
      }),
    );
    expect(ir.behavior.closeAfterGreeting).toBe(true);
    expect(ir.behavior.greeting?.message).toBe('Welcome');
  });

  it('turns greeting and reply values into literals, $now, $request fields and $$ escapes', () => {
    const ir = compileValid(
      binarySpec({
        header: '  type: { type: u8, discriminator: true }',
        messages: [
          '  Welcome: { code: 1, from: server, fields: { text: string, at: timestamp, big: u64, level: { type: u8, values: { LOW: 0, HIGH: 1 } }, ok: bool, ratio: f32 } }',
          '  Ask: { code: 2, from: client, fields: { text: string, n: u16 } }',
          '  Result: { code: 3, from: server, fields: { text: string, n: u32 } }',
        ].join('\n'),
        behavior: [
          '  greeting:',
          '    message: Welcome',
          "    values: { text: '$$5 off', at: $now, big: 18446744073709551615, level: HIGH, ok: true, ratio: 0.5 }",
          '  Ask: { reply: { message: Result, values: { text: $request.text, n: $request.n } } }',
        ].join('\n'),
      }),
    );
    expect(ir.behavior.greeting).toEqual({
      message: 'Welcome',
      values: [
        { field: 'text', value: { kind: 'literal', value: '$5 off' } },
        { field: 'at', value: { kind: 'now' } },
        // Beyond 2^53: kept exact as a decimal string.
        { field: 'big', value: { kind: 'literal', value: '18446744073709551615' } },
        { field: 'level', value: { kind: 'literal', value: 1 } },
        { field: 'ok', value: { kind: 'literal', value: true } },
        { field: 'ratio', value: { kind: 'literal', value: 0.5 } },
      ],
    });
    expect(ir.behavior.closeAfterGreeting).toBe(false);
    expect(ir.behavior.onMessage).toEqual([
      {
        kind: 'reply',
        message: 'Ask',
        reply: {
          message: 'Result',
          values: [
            { field: 'text', value: { kind: 'request-field', field: 'text' } },
            { field: 'n', value: { kind: 'request-field', field: 'n' } },
          ],
        },
      },
    ]);
  });

  it('refuses to copy a request field into a narrower one', () => {
    const lines = diagnosticsOf(
      binarySpec({
        header: '  type: { type: u8, discriminator: true }',
        messages:
          '  Ask: { code: 2, from: client, fields: { n: u32 } }\n  Result: { code: 3, from: server, fields: { n: u16 } }',
        behavior: '  Ask: { reply: { message: Result, values: { n: $request.n } } }',
      }),
    );
    expect(lines).toEqual([
      "specs/test.protocol.yaml:11:49: error incompatible-request-field: '$request.n' cannot fill field 'n' of the reply to 'Ask': u32 values do not all fit a u16\n  hint: copy a field of a matching type",
    ]);
  });
});

describe('warnings', () => {
  it('warns about a header field that repeats the framing length (a 28-byte memcached header)', () => {
    const text = [
      'protocol: t',
      'version: 0.1.0',
      'transports: [tcp]',
      'framing: { kind: length-prefixed, length: { type: u32, offset: 8 }, maxFrameBytes: 1024 }',
      'header:',
      '  magic: { type: u8, const: 0x80 }',
      '  opcode: { type: u8, discriminator: true }',
      '  keyLength: u16',
      '  status: u32',
      '  totalBodyLength: u32',
      '  opaque: u32',
      'messages:',
      '  Get: { code: 0, from: client, fields: { key: { type: string, length: { field: keyLength } } } }',
    ].join('\n');
    expect(diagnosticsOf(text)).toEqual([
      "specs/test.protocol.yaml:10:20: warning header-field-like-length: header field 'totalBodyLength' is declared where the framing length is (byte 8, a u32), but the framing writes its own length there, so 'totalBodyLength' comes after it, at byte 12\n  hint: if 'totalBodyLength' is the frame's length, remove it from the header (the framing fills it in); if it is another field, rename it",
    ]);
  });

  it('warns about unused types and shadowed templates but still produces IR', () => {
    const text = [
      'protocol: t',
      'version: 0.1.0',
      'transports: [tcp]',
      'framing: { kind: lines, maxFrameBytes: 100 }',
      'types:',
      '  Unused: u8',
      'messages:',
      '  Any: { from: client, line: "{text}" }',
      '  Quit: { from: client, line: "{word}" }',
    ].join('\n');
    expect(diagnosticsOf(text)).toEqual([
      "specs/test.protocol.yaml:6:3: warning unused-type: type 'Unused' is declared but never used\n  hint: use it in a field or remove it",
      "specs/test.protocol.yaml:9:31: warning unreachable-template: message 'Quit' can never be matched: message 'Any' comes first and its template '{text}' matches the same lines\n  hint: declare 'Quit' before 'Any' (templates are tried in order), or make the templates differ in literal text",
    ]);
  });
});

describe('field defaults', () => {
  const withDefault = (value: string) =>
    binarySpec({
      types: '  Mode: { type: u8, values: { plain: 1, fancy: 2 } }',
      messages: `  Data: { from: both, fields: { mode: { type: Mode, default: ${value} } } }`,
    });

  it('an enum takes a default by value name or code; the IR keeps the code', () => {
    expect(compileValid(withDefault('fancy')).messages[0]!.fields[0]).toMatchObject({ name: 'mode', default: 2 });
    expect(compileValid(withDefault('1')).messages[0]!.fields[0]).toMatchObject({ name: 'mode', default: 1 });
  });

  it('an enum default that is none of its values is refused, with the values as hint', () => {
    expect(diagnosticsOf(withDefault('shiny'))).toEqual([
      "specs/test.protocol.yaml:8:62: error default-out-of-range: the default \"shiny\" of field 'mode' of message 'Data' is none of its values\n  hint: pick one of plain, fancy",
    ]);
  });
});
