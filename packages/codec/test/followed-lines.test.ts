/**
 * The frame decoder for text frames of several lines, driven by a small
 * hand-written RESP grammar (independent of the generator): `$n` is n raw
 * bytes, `*n` is n elements, anything else is one line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createFrameDecoder,
  type FollowingSteps,
  FrameTooLargeError,
  type FramingConfig,
  InvalidFramingError,
  InvalidLengthError,
  MAX_TEXT_NESTING,
  TextReader,
  TextWriter,
} from '../src/index.js';
import { caught, concat, crlfFollowing, dec, enc, framesOf, split } from './support.js';

const following: FollowingSteps = (line) => {
  const match = /^([$*])(\d+)$/.exec(line);
  if (match === null) return [];
  const n = Number(match[2]);
  return match[1] === '$' ? [{ bytes: n }] : [{ count: n, element: 2 }];
};

const resp = (maxFrameBytes = 1024): FramingConfig => crlfFollowing(following, maxFrameBytes);

const frames = (config: FramingConfig, chunks: readonly Uint8Array[]): string[] => framesOf(config, chunks, 'server');

/** A RESP value as text: simple strings, bulk strings (any bytes as latin-1 text), arrays. */
type Value = { simple: string } | { bulk: string } | { array: Value[] };

const value: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ simple: fc.stringMatching(/^[a-zA-Z0-9 ]{0,8}$/) }),
    fc.record({ bulk: fc.string({ unit: fc.constantFrom('a', '\r', '\n', '$', '*', 'é'), maxLength: 12 }) }),
    fc.record({ array: fc.array(tie('value'), { maxLength: 3 }) }),
  ),
})).value;

function wire(v: Value): string {
  if ('simple' in v) return `+${v.simple}\r\n`;
  if ('bulk' in v) return `$${enc(v.bulk).length}\r\n${v.bulk}\r\n`;
  return `*${v.array.length}\r\n${v.array.map(wire).join('')}`;
}

describe('followed-lines frame decoder', () => {
  it('cuts whole frames wherever the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (values, cuts) => {
          const expected = values.map(wire);
          const stream = enc(expected.join(''));
          const { chunks } = split(
            stream,
            cuts.map((cut) => cut % (stream.length + 1)),
          );
          expect(frames(resp(), chunks)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same frames one byte at a time, holding no more than the frame', () => {
    const text = `*2\r\n$5\r\na\r\nb\r\r\n*1\r\n+ok\r\n+next\r\n`;
    const decoder = createFrameDecoder(resp(), { sender: 'server' });
    const out: string[] = [];
    let most = 0;
    for (const byte of enc(text)) {
      decoder.push(Uint8Array.of(byte), (frame) => out.push(dec(frame)));
      most = Math.max(most, decoder.bufferedBytes);
    }
    decoder.end();
    expect(out).toEqual(['*2\r\n$5\r\na\r\nb\r\r\n*1\r\n+ok\r\n', '+next\r\n']);
    expect(most).toBeLessThan(enc(out[0]!).length);
  });

  it('refuses a count or a length the frame cannot hold as soon as its line ends', () => {
    for (const line of ['*1000000000\r\n', '$99999999\r\n', '*3\r\n$2000\r\n']) {
      const err = caught(() => frames(resp(1024), [enc(line)]));
      expect(err, line).toBeInstanceOf(FrameTooLargeError);
    }
  });

  it('refuses a line longer than maxFrameBytes without a delimiter', () => {
    expect(caught(() => frames(resp(64), [enc('+'.repeat(65))]))).toBeInstanceOf(FrameTooLargeError);
  });

  it('refuses bytes that are not followed by the delimiter (a wrong length)', () => {
    expect(caught(() => frames(resp(), [enc('$3\r\nabcd\r\n')]))).toBeInstanceOf(InvalidLengthError);
  });

  it(`refuses elements nested more than ${MAX_TEXT_NESTING} deep`, () => {
    const deep = `${'*1\r\n'.repeat(MAX_TEXT_NESTING + 1)}+x\r\n`;
    expect(caught(() => frames(resp(), [enc(deep)]))).toBeInstanceOf(InvalidLengthError);
    const fine = `${'*1\r\n'.repeat(MAX_TEXT_NESTING)}+x\r\n`;
    expect(frames(resp(), [enc(fine)])).toEqual([fine]);
  });

  it('says whose frames it needs to read', () => {
    expect(caught(() => createFrameDecoder(resp()))).toBeInstanceOf(InvalidFramingError);
  });

  it('fails only with typed errors on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const err = caught(() => frames(resp(128), [bytes]));
        if (err !== undefined) expect((err as { code?: unknown }).code).toMatch(/^SOCKSPEC_/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('TextReader and TextWriter', () => {
  const crlf = Uint8Array.of(13, 10);

  it('write lines and raw bytes that read back', () => {
    const writer = new TextWriter(crlf, 100, 'Test');
    writer.line('$3');
    writer.bytes(enc('a\r\n'));
    const frame = writer.finish();
    expect(dec(frame)).toBe('$3\r\na\r\n\r\n');
    const reader = new TextReader(frame, crlf, 'test');
    expect(reader.line('Test')).toBe('$3');
    expect(dec(reader.bytes(3, 'Test', 'value'))).toBe('a\r\n');
    reader.finish('Test');
  });

  it('refuse frames over the limit while writing, and trailing or missing bytes while reading', () => {
    const writer = new TextWriter(crlf, 8, 'Test');
    expect(caught(() => writer.line('123456789'))).toBeInstanceOf(FrameTooLargeError);
    const reader = new TextReader(enc('$9\r\nab\r\n'), crlf, 'test');
    reader.line('Test');
    expect((caught(() => reader.bytes(9, 'Test', 'value')) as { code: string }).code).toBe(
      'SOCKSPEC_TRUNCATED_MESSAGE',
    );
    const extra = new TextReader(concat([enc('+a\r\n'), enc('x')]), crlf, 'test');
    extra.line('Test');
    expect((caught(() => extra.finish('Test')) as { code: string }).code).toBe('SOCKSPEC_TRAILING_BYTES');
  });
});
