import type { ProtocolIR } from '@sockspec/spec';
import { describe, expect, it } from 'vitest';
import {
  CTIME_PATTERN,
  GeneratorOptionError,
  generateTypescript,
  layoutRows,
  messageSlots,
  templatePattern,
  typescriptGenerator,
  UnsupportedFeatureError,
} from '../src/index.js';
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
  it('places the length prefix, discriminator and header before the fields, with offsets until the first variable field', () => {
    const model = buildModel(kvIR);
    const rows = layoutRows(messageSlots(kvIR, model.messages[0]!));
    expect(rows.slice(0, 5).map((row) => [row.offset, row.size, row.name])).toEqual([
      ['0', '2', '(length)'],
      ['2', '1', 'type (discriminator)'],
      ['3', '4', 'id'],
      ['7', 'variable', 'key'],
      ['variable', '4', 'ttl'],
    ]);
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
    expect(rows.map((row) => `${row.offset}:${row.name}`)).toEqual([
      '0:type (discriminator)',
      '1:(length)',
      '5:id',
      '9:nonce',
    ]);
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
    const withArray: ProtocolIR = {
      ...kvIR,
      messages: [
        {
          ...kvIR.messages[1]!,
          fields: [
            {
              name: 'keys',
              description: '',
              type: { kind: 'array', element: text, count: { kind: 'prefixed', bytes: 2, endian: 'big' }, maxCount: 4 },
            },
          ],
        },
      ],
      behavior: { ...kvIR.behavior, onMessage: [] },
    };
    expect(() => generateTypescript(withArray)).toThrow(UnsupportedFeatureError);
    expect(() => generateTypescript(withArray)).toThrow(
      /message Stored, field keys: a binary array field is not supported/,
    );
    const shadowing: ProtocolIR = { ...timestampIR, messages: [{ ...timestampIR.messages[0]!, name: 'Map' }] };
    expect(() => generateTypescript(shadowing)).toThrow(/would shadow/);
  });
});
