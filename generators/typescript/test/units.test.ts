import { compileSpec, type ProtocolIR, type TypeIR } from '@sockspec/spec';
import { describe, expect, it } from 'vitest';
import {
  CTIME_PATTERN,
  GeneratorOptionError,
  generateTypescript,
  layoutRows,
  MAX_NESTING_DEPTH,
  messageSlots,
  templatePattern,
  typescriptGenerator,
  UnsupportedFeatureError,
} from '../src/index.js';
import { lengthNote } from '../src/layout.js';
import { buildModel } from '../src/model.js';
import { compiled } from './cases.js';

const kvIR = compiled('kv');
const timestampIR = compiled('timestamp');

const text = { kind: 'string', encoding: 'utf8', length: { kind: 'rest' }, maxBytes: 100, pattern: null } as const;

describe('line template → RegExp', () => {
  it('escapes literals, makes named parts lazy, the last greedy, and ctime parts precise', () => {
    const parts = [
      { kind: 'literal', text: '(' },
      { kind: 'field', name: 'a' },
      { kind: 'literal', text: ').' },
      { kind: 'field', name: 'when' },
      { kind: 'literal', text: ' ' },
      { kind: 'field', name: 'b' },
      { kind: 'literal', text: '$' },
    ] as const;
    const fields = [
      { name: 'a', type: text, description: '' },
      { name: 'when', type: { kind: 'timestamp', representation: 'ctime', endian: 'big' }, description: '' },
      { name: 'b', type: text, description: '' },
    ] as const;
    const source = templatePattern(parts, fields);
    expect(source).toBe(`^\\(([^]*?)\\)\\.(${CTIME_PATTERN}) ([^]*)\\$$`);
    const match = new RegExp(source).exec('(x).y).Mon Nov  3 09:05:03 2026 rest $ of $');
    expect(match?.slice(1)).toEqual(['x).y', 'Mon Nov  3 09:05:03 2026', 'rest $ of ']);
  });
});

describe('binary layout', () => {
  it('says what the length field counts, adjustment included, as a formula a peer can use', () => {
    const framing = (lengthAdjustment: number, lengthCounts: 'frame' | 'after-length') =>
      ({
        kind: 'length-prefixed',
        lengthOffset: 1,
        lengthBytes: 2,
        lengthEndian: 'big',
        lengthAdjustment,
        lengthCounts,
        maxFrameBytes: 1024,
      }) as const;
    expect(lengthNote(framing(0, 'after-length'))).toBe('counts the bytes after it (frame bytes = value + 3)');
    // Netty's classic: a length that leaves out a 4-byte trailer (adjustment 4).
    expect(lengthNote(framing(4, 'after-length'))).toBe('counts the bytes after it less 4 (frame bytes = value + 7)');
    // counts: frame with no adjustment: the IR's adjustment is -(offset + width).
    expect(lengthNote(framing(-3, 'frame'))).toBe('counts the whole frame (frame bytes = value)');
    expect(lengthNote(framing(-5, 'frame'))).toBe('counts the whole frame plus 2 (frame bytes = value - 2)');
  });

  it('places the length prefix, discriminator and header before the fields, with offsets after variable fields written out', () => {
    const model = buildModel(kvIR);
    const rows = layoutRows(messageSlots(kvIR, model.messages[0]!));
    expect(rows.slice(0, 7).map((row) => [row.offset, row.size, row.name])).toEqual([
      ['0', '2', '(length)'],
      ['2', '1', 'type'],
      ['3', '4', 'id'],
      ['7', '1', 'key (length)'],
      ['8', 'len(key)', 'key'],
      ['8 + len(key)', '4', 'ttl'],
      ['12 + len(key)', '8', 'weight'],
    ]);
    expect(rows[1]!.notes).toBe('discriminator: 1 for this message');
  });

  it('flattens structs, lists and optionals into rows with symbolic sizes', () => {
    const ir = compiled('gallery');
    const drawing = buildModel(ir).messages.find((message) => message.name === 'Drawing')!;
    const rows = layoutRows(messageSlots(ir, drawing)).map((row) => `${row.offset} | ${row.size} | ${row.name}`);
    expect(rows.slice(3, 9)).toEqual([
      '9 | 1 | title (present)',
      '10 | 1 | title (length)',
      '11 | len(title) | title',
      '10 + size(title) | 2 | shapes (count)',
      '12 + size(title) | size(shapes) | shapes[i]',
      'shapes[i] | 1 | shapes[i].label (length)',
    ]);
    expect(rows).toContain('13 + size(title) + size(shapes) + count(scores) × 4 | 1 | names (count)');
  });

  it('puts a length field with an offset between header fields', () => {
    const ir: ProtocolIR = {
      ...kvIR,
      framing: {
        ...kvIR.framing,
        kind: 'length-prefixed',
        lengthOffset: 1,
        lengthBytes: 4,
        lengthEndian: 'little',
        lengthAdjustment: 5,
        lengthCounts: 'frame',
        maxFrameBytes: 480,
      },
    };
    const rows = layoutRows(messageSlots(ir, buildModel(ir).messages[2]!));
    expect(rows.map((row) => `${row.offset}:${row.name}`)).toEqual(['0:type', '1:(length)', '5:id', '9:nonce']);
    const file = generateTypescript(ir).find((f) => f.path === 'src/codec.ts')!.content;
    // frame = offset(1) + bytes(4) + value + adjustment(-5 would count the frame; here +5) → value = size - 10.
    expect(file).toContain('view.setUint32(1, size - 10, true);');
  });
});

describe('generator options and limits', () => {
  it('rejects unknown options and malformed values with a typed error', () => {
    expect(() => typescriptGenerator.parseOptions({ outDir: 'x' })).toThrow(GeneratorOptionError);
    expect(() => typescriptGenerator.parseOptions({ outDir: 'x' })).toThrow(/unknown option 'outDir'/);
    expect(() => typescriptGenerator.parseOptions({ packageScope: 'nope' })).toThrow(/must look like @scope/);
    expect(typescriptGenerator.parseOptions({ packageScope: '@acme' })).toMatchObject({ packageScope: '@acme' });
  });

  it('names the package from the scope and the protocol', () => {
    const files = generateTypescript(timestampIR, { packageScope: '@acme' });
    const pkg = JSON.parse(files.find((file) => file.path === 'package.json')!.content) as {
      name: string;
      version: string;
    };
    expect(pkg).toMatchObject({ name: '@acme/protocol-timestamp', version: '1.0.0' });
  });

  it('says clearly what it cannot generate', () => {
    const bytes: TypeIR = { kind: 'bytes', length: { kind: 'rest' }, maxBytes: 8 };
    const withFields = (type: TypeIR): ProtocolIR => ({
      ...kvIR,
      messages: [{ ...kvIR.messages[1]!, fields: [{ name: 'keys', description: '', type }] }],
      behavior: { ...kvIR.behavior, onMessage: [] },
    });
    const restInStruct = withFields({ kind: 'struct', fields: [{ name: 'tail', description: '', type: bytes }] });
    expect(() => generateTypescript(restInStruct)).toThrow(UnsupportedFeatureError);
    expect(() => generateTypescript(restInStruct)).toThrow(
      /message Stored, field keys.tail: a rest-of-frame value that is not the last field is not supported/,
    );
    let deep: TypeIR = { kind: 'int', bits: 8, signed: false, endian: 'big' };
    for (let level = 0; level <= MAX_NESTING_DEPTH; level += 1) deep = { kind: 'optional', value: deep };
    expect(() => generateTypescript(withFields(deep))).toThrow(/types nested more than 8 levels deep/);
    const shadowing: ProtocolIR = { ...timestampIR, messages: [{ ...timestampIR.messages[0]!, name: 'Map' }] };
    expect(() => generateTypescript(shadowing)).toThrow(/would shadow/);
  });
});

describe('declared replies with typed literals', () => {
  it('writes enum literals as their names and binary timestamp literals as Dates', () => {
    const { ir, diagnostics } = compileSpec(
      [
        'protocol: clock',
        'version: 1.0.0',
        'transports: [tcp]',
        'framing: { kind: length-prefixed, length: { type: u16 }, maxFrameBytes: 64 }',
        'header: { op: { type: u8, discriminator: true } }',
        'messages:',
        '  Ask: { code: 1, from: client }',
        '  Tell:',
        '    code: 2',
        '    from: server',
        '    fields:',
        '      mood: { type: u8, values: { calm: 1, busy: 2 } }',
        '      since: { type: timestamp, format: unix-seconds }',
        '      at: timestamp',
        'behavior:',
        '  Ask: { reply: { message: Tell, values: { mood: busy, since: 1700000000, at: $now } } }',
      ].join('\n'),
      'specs/clock.protocol.yaml',
    );
    expect(diagnostics).toEqual([]);
    const server = generateTypescript(ir!).find((file) => file.path === 'src/server.ts')!.content;
    expect(server).toContain("mood: 'busy', since: new Date(1700000000000), at: new Date()");
  });
});
