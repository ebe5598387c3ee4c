import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileSpec, type Diagnostic } from '../src/index.js';

function checkWellFormed(text: string): void {
  const result = compileSpec(text, 'specs/fuzz.protocol.yaml');
  for (const d of result.diagnostics as Diagnostic[]) {
    // internal-error means an exception escaped a pass: a compiler bug, not a spec problem.
    expect(d.code).not.toBe('internal-error');
    expect(d.code).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.col).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(0);
  }
  if (result.ir === null) expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
}

const validSpec = {
  protocol: 'chat',
  version: '1.0.0',
  transports: ['tcp'],
  framing: { kind: 'length-prefixed', length: { type: 'u16' }, maxFrameBytes: 4096 },
  header: { type: { type: 'u8', discriminator: true } },
  types: { Nick: { type: 'string', maxBytes: 32 } },
  messages: {
    Join: { code: 1, from: 'client', fields: { nick: 'Nick', room: 'string' } },
    Joined: { code: 2, from: 'server', fields: { nick: 'Nick' } },
  },
  behavior: { Join: { reply: { message: 'Joined', values: { nick: '$request.nick' } } } },
};

/** Words from the spec language, so random documents reach the semantic passes, not just the shape check. */
const specWord = fc.constantFrom(
  'u8',
  'u64',
  'i32',
  'string',
  'bytes',
  'timestamp',
  'Nick',
  'Join',
  'Joined',
  'client',
  'server',
  'both',
  'rest',
  'terminated',
  'lines',
  'delimited',
  'fixed',
  'datagram',
  'raw',
  'udp',
  'tcp',
  '$now',
  '$request.nick',
  '$$x',
  '{a}{b}',
  '[{time}] {text}',
  'frame',
  'little',
  'ctime',
);
const specKey = fc.constantFrom(
  'protocol',
  'version',
  'transports',
  'framing',
  'kind',
  'maxFrameBytes',
  'length',
  'type',
  'header',
  'types',
  'messages',
  'fields',
  'code',
  'from',
  'line',
  'behavior',
  'echo',
  'reply',
  'handler',
  'values',
  'message',
  'items',
  'optional',
  'discriminator',
  'greeting',
  'size',
  'delimiter',
  'maxBytes',
  'pattern',
  'Join',
  'nick',
);
const yamlValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    specWord,
    fc.string(),
    fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(specKey, tie('value'), { maxKeys: 5 }),
  ),
}));

describe('compileSpec never throws', () => {
  it('on random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), checkWellFormed), {
      numRuns: Number(process.env.FUZZ_RUNS ?? 300),
    });
  });

  it('on random YAML documents made of spec words', () => {
    fc.assert(
      fc.property(yamlValue.value, (value) => checkWellFormed(stringify(value))),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
  });

  it('on a valid spec with one part replaced by something random', () => {
    const paths = [
      ['framing'],
      ['framing', 'length'],
      ['header', 'type'],
      ['types', 'Nick'],
      ['messages', 'Join'],
      ['messages', 'Join', 'fields'],
      ['messages', 'Joined', 'code'],
      ['behavior', 'Join'],
      ['behavior', 'Join', 'reply', 'values'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), yamlValue.value, (path, replacement) => {
        const spec = structuredClone(validSpec) as Record<string, unknown>;
        let node = spec;
        for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
        node[path[path.length - 1]!] = replacement;
        checkWellFormed(stringify(spec));
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
  });

  it('on YAML traps: alias bombs, tags, multiple documents, odd keys', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from({ length: 9 }, (_, i) => {
        const prev = i === 0 ? 'a' : `l${i - 1}`;
        return `l${i}: &l${i} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
      }),
    ].join('\n');
    for (const text of [
      bomb,
      'a: !!binary aGVsbG8=\nb: !custom 1',
      '---\nprotocol: a\n---\nprotocol: b\n',
      '__proto__: { polluted: true }\nconstructor: 1\nmessages: { __proto__: { from: client } }',
      '? [complex, key]\n: value',
      'messages:\n  toString: { from: client }\ntypes:\n  hasOwnProperty: u8',
      '\u0000\uFFFE',
      '',
      '# only a comment',
      '[1, 2, 3]',
    ]) {
      checkWellFormed(text);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(compileSpec('? [complex, key]\n: value', 'specs/k.protocol.yaml').diagnostics.map((d) => d.code)).toEqual([
      'invalid-key',
    ]);
  });

  it('the valid base spec used above really is valid', () => {
    const result = compileSpec(stringify(validSpec), 'specs/fuzz.protocol.yaml');
    expect(result.diagnostics).toEqual([]);
    expect(result.ir?.messages.map((m) => m.name)).toEqual(['Join', 'Joined']);
  });
});
