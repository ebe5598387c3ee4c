/**
 * The frame decoder for lists that run to an end line and the bytes one of
 * their lines announces after it, driven by a small hand-written HTTP-like
 * grammar (independent of the generator): a start line, `Name: value`
 * headers up to an empty line, then as many body bytes as a `Length` header
 * says, with no delimiter after them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createFrameDecoder,
  FieldTooLargeError,
  type FollowingSteps,
  FrameTooLargeError,
  type FramingConfig,
  InvalidLengthError,
} from '../src/index.js';
import { caught, crlfFollowing, dec, enc, framesOf, split } from './support.js';

const HEADERS = 2;
const MAX_HEADERS = 8;

const following: FollowingSteps = (line, element) => {
  if (element !== HEADERS) {
    return [{ until: '', element: HEADERS, maxCount: MAX_HEADERS, at: { protocol: 'test', field: 'headers' } }];
  }
  const match = /^length: (\d+)$/i.exec(line);
  return match === null ? [] : [{ afterList: Number(match[1]) }];
};

const http = (maxFrameBytes = 1024): FramingConfig => crlfFollowing(following, maxFrameBytes);

const frames = (config: FramingConfig, chunks: readonly Uint8Array[]): string[] => framesOf(config, chunks, 'client');

interface Message {
  readonly start: string;
  readonly headers: readonly string[];
  /** Body text; the Length header is added when it is not empty. */
  readonly body: string;
}

const message: fc.Arbitrary<Message> = fc.record({
  start: fc.stringMatching(/^[A-Z]{1,6} \/[a-z]{0,6}$/),
  headers: fc.array(fc.stringMatching(/^X-[a-z]{1,5}: [a-z ]{0,6}$/), { maxLength: MAX_HEADERS - 1 }),
  // CR, LF and empty lines inside the body are bytes, not lines.
  body: fc.string({ unit: fc.constantFrom('a', '\r', '\n', ':', 'é'), maxLength: 20 }),
});

function wire(m: Message): string {
  const length = enc(m.body).length;
  const headers = length > 0 ? [...m.headers, `Length: ${length}`] : m.headers;
  return `${m.start}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${m.body}`;
}

describe('followed-lines frame decoder: lists up to an end line, and bytes after them', () => {
  it('cuts whole frames wherever the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (messages, cuts) => {
          const expected = messages.map(wire);
          const stream = enc(expected.join(''));
          const { chunks } = split(
            stream,
            cuts.map((cut) => cut % (stream.length + 1)),
          );
          expect(frames(http(), chunks)).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives the same frames split at every byte boundary', () => {
    const text =
      wire({ start: 'POST /x', headers: ['Host: a'], body: '\r\n\r\nbody' }) +
      wire({ start: 'GET /', headers: [], body: '' });
    const stream = enc(text);
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(frames(http(), [stream.slice(0, cut), stream.slice(cut)])).toEqual([
        'POST /x\r\nHost: a\r\nLength: 8\r\n\r\n\r\n\r\nbody',
        'GET /\r\n\r\n',
      ]);
    }
  });

  it('holds no more than the frame when the peer sends one byte at a time', () => {
    const text = wire({ start: 'PUT /f', headers: ['X-a: b'], body: 'x'.repeat(100) });
    const decoder = createFrameDecoder(http(), { sender: 'client' });
    const out: string[] = [];
    let most = 0;
    for (const byte of enc(text)) {
      decoder.push(Uint8Array.of(byte), (frame) => out.push(dec(frame)));
      most = Math.max(most, decoder.bufferedBytes);
    }
    decoder.end();
    expect(out).toEqual([text]);
    expect(most).toBeLessThan(enc(text).length);
  });

  it('refuses one line too many before the end line comes', () => {
    const head = `GET /\r\n${'X-a: b\r\n'.repeat(MAX_HEADERS + 1)}`;
    const error = caught(() => frames(http(), [enc(head)]));
    expect(error).toBeInstanceOf(FieldTooLargeError);
    expect((error as FieldTooLargeError).field).toBe('headers');
  });

  it('refuses a length the frame cannot hold as soon as its line ends, before the body comes', () => {
    expect(caught(() => frames(http(256), [enc('POST /\r\nLength: 300\r\n')]))).toBeInstanceOf(FrameTooLargeError);
  });

  it('refuses two lines that announce the bytes after the list', () => {
    const error = caught(() => frames(http(), [enc('POST /\r\nLength: 1\r\nLength: 1\r\n\r\nx')]));
    expect(error).toBeInstanceOf(InvalidLengthError);
  });

  it('says a frame cut inside its body is truncated', () => {
    const error = caught(() => frames(http(), [enc('POST /\r\nLength: 5\r\n\r\nabc')]));
    expect((error as { code?: unknown }).code).toBe('SOCKSPEC_TRUNCATED_FRAME');
  });

  it('fails only with typed errors on garbage', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constantFrom('\r\n', 'Length: 3', 'Length: 99999', 'GET /', ''), fc.string({ maxLength: 8 })),
        ),
        (pieces) => {
          const err = caught(() => frames(http(128), [enc(pieces.join('\r\n'))]));
          if (err !== undefined) expect((err as { code?: unknown }).code).toMatch(/^SOCKSPEC_/);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const err = caught(() => frames(http(128), [bytes]));
        if (err !== undefined) expect((err as { code?: unknown }).code).toMatch(/^SOCKSPEC_/);
      }),
      { numRuns: 500 },
    );
  });
});
