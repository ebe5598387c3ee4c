import { SockspecError } from '@sockspec/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createFrameDecoder,
  encodeFrame,
  type FrameDecoder,
  FrameTooLargeError,
  type FramingConfig,
  framingForTransport,
  InvalidFramingError,
  InvalidLengthError,
  TruncatedFrameError,
} from '../src/index.js';
import { caught, concat, dec, enc, split } from './support.js';

function pushAll(decoder: FrameDecoder, ...chunks: Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(f));
  return frames;
}

const lines: FramingConfig = {
  kind: 'delimited',
  delimiter: [0x0a],
  keepDelimiter: false,
  stripCarriageReturn: true,
  maxFrameBytes: 8,
};

const u32: FramingConfig = {
  kind: 'length-prefixed',
  lengthOffset: 0,
  lengthBytes: 4,
  lengthEndian: 'big',
  lengthAdjustment: 0,
  maxFrameBytes: 65536,
};

describe('delimited', () => {
  it('strips one \\r before \\n, and only one', () => {
    const frames = pushAll(createFrameDecoder(lines), enc('a\r\n\r\nb\r\r\nc\n'));
    expect(frames.map(dec)).toEqual(['a', '', 'b\r', 'c']);
  });

  it('with keepDelimiter and stripCarriageReturn turns "line\\r\\n" into "line\\n" even when split between \\r and \\n', () => {
    const decoder = createFrameDecoder({ ...lines, keepDelimiter: true });
    expect(pushAll(decoder, enc('ab\r'), enc('\nc\n')).map(dec)).toEqual(['ab\n', 'c\n']);
  });

  it('finds a multi-byte delimiter split across three chunks', () => {
    const decoder = createFrameDecoder({ ...lines, delimiter: [1, 2, 3], stripCarriageReturn: false });
    expect(pushAll(decoder, Uint8Array.of(9, 1), Uint8Array.of(2), Uint8Array.of(3, 8, 1, 2, 3))).toEqual([
      Uint8Array.of(9),
      Uint8Array.of(8),
    ]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('accepts a frame of exactly maxFrameBytes, delimiter included', () => {
    expect(pushAll(createFrameDecoder(lines), enc('1234567\n')).map(dec)).toEqual(['1234567']);
  });

  it('rejects on the byte that makes the held bytes reach maxFrameBytes, never holding more', () => {
    const decoder = createFrameDecoder(lines);
    for (let i = 1; i <= 7; i++) {
      pushAll(decoder, enc('x'));
      expect(decoder.bufferedBytes).toBe(i);
    }
    const err = caught(() => pushAll(decoder, enc('x')));
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(err).toMatchObject({
      code: 'SOCKSPEC_FRAME_TOO_LARGE',
      limit: 8,
      actual: null,
      atLeast: 9,
      message: 'frame of at least 9 bytes exceeds maxFrameBytes 8 (no delimiter "\\n" in its first 8 bytes)',
    });
    expect(decoder.bufferedBytes).toBe(7);
  });

  it('rejects a huge chunk without a delimiter without holding any of it', () => {
    const decoder = createFrameDecoder(lines);
    pushAll(decoder, enc('ok\n'));
    const err = caught(() => pushAll(decoder, new Uint8Array(1 << 20).fill(0x41)));
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('delivers the frames before an oversized one in the same chunk, then throws', () => {
    const frames: Uint8Array[] = [];
    const decoder = createFrameDecoder(lines);
    expect(() => decoder.push(enc('a\nb\n123456789\n'), (f) => frames.push(f))).toThrow(FrameTooLargeError);
    expect(frames.map(dec)).toEqual(['a', 'b']);
  });

  it('end() with a partial line throws TruncatedFrameError with bufferedBytes', () => {
    const decoder = createFrameDecoder(lines);
    pushAll(decoder, enc('done\npart'));
    const err = caught(() => decoder.end());
    expect(err).toBeInstanceOf(TruncatedFrameError);
    expect(err).toMatchObject({
      code: 'SOCKSPEC_TRUNCATED_FRAME',
      bufferedBytes: 4,
      message: 'stream ended inside a frame: 4 bytes held (no delimiter "\\n" yet)',
    });
    expect(caught(() => decoder.end())).toBe(err);
  });
});

describe('length-prefixed', () => {
  it('rejects an oversized frame from its header alone, on the push that completes the length field', () => {
    const decoder = createFrameDecoder(u32);
    const header = Uint8Array.of(0, 1, 0x11, 0x6c); // 69996
    for (let i = 0; i < 3; i++) {
      pushAll(decoder, header.subarray(i, i + 1));
      expect(decoder.bufferedBytes).toBe(i + 1);
    }
    const err = caught(() => pushAll(decoder, header.subarray(3)));
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(err).toMatchObject({
      limit: 65536,
      actual: 70000,
      atLeast: 70000,
      message: 'frame of 70000 bytes exceeds maxFrameBytes 65536 (length field at offset 0 said 69996)',
    });
    expect(caught(() => pushAll(decoder, new Uint8Array(70000)))).toBe(err);
  });

  it('rejects an 8-byte length beyond Number.MAX_SAFE_INTEGER as an invalid length', () => {
    const decoder = createFrameDecoder({ ...u32, lengthBytes: 8 });
    const err = caught(() => pushAll(decoder, Uint8Array.of(0, 0x20, 0, 0, 0, 0, 0, 0)));
    expect(err).toBeInstanceOf(InvalidLengthError);
    expect((err as Error).message).toMatch(/8-byte length field at offset 0 holds about 9007199254740992/);
  });

  it('accepts an 8-byte length of exactly Number.MAX_SAFE_INTEGER as a (too large) length, not an invalid one', () => {
    const decoder = createFrameDecoder({ ...u32, lengthBytes: 8, lengthEndian: 'little' });
    const err = caught(() => pushAll(decoder, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0)));
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(err).toMatchObject({ actual: Number.MAX_SAFE_INTEGER + 8 });
  });

  it('rejects a length that makes the frame shorter than its own header', () => {
    const decoder = createFrameDecoder({ ...u32, lengthBytes: 2, lengthAdjustment: -2 });
    const err = caught(() => pushAll(decoder, Uint8Array.of(0, 1)));
    expect(err).toBeInstanceOf(InvalidLengthError);
    expect((err as Error).message).toBe(
      'length field at offset 0 said 1, which with lengthAdjustment -2 makes a frame of 1 bytes; a frame needs at least the 2 bytes up to the end of its length field',
    );
  });

  it('delivers the whole frame, prefix and leading header included', () => {
    const decoder = createFrameDecoder({ ...u32, lengthOffset: 1, lengthBytes: 2, lengthEndian: 'little' });
    const frames = pushAll(decoder, Uint8Array.of(7, 2, 0, 0xaa, 0xbb, 8, 0, 0));
    expect(frames).toEqual([Uint8Array.of(7, 2, 0, 0xaa, 0xbb), Uint8Array.of(8, 0, 0)]);
  });

  it('allocates a spanning frame once, at its exact size, and fills it in place', () => {
    const decoder = createFrameDecoder(u32);
    const frames: Uint8Array[] = [];
    decoder.push(Uint8Array.of(0, 0, 0, 6, 1), (f) => frames.push(f));
    expect(decoder.bufferedBytes).toBe(5);
    decoder.push(Uint8Array.of(2, 3), (f) => frames.push(f));
    decoder.push(Uint8Array.of(4, 5, 6, 0, 0), (f) => frames.push(f));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toEqual(Uint8Array.of(0, 0, 0, 6, 1, 2, 3, 4, 5, 6));
    expect(frames[0]!.buffer.byteLength).toBe(10);
    expect(decoder.bufferedBytes).toBe(2);
    expect(caught(() => decoder.end())).toMatchObject({
      bufferedBytes: 2,
      message: 'stream ended inside a frame: 2 bytes held (length field at offset 0 not complete)',
    });
  });

  it('end() inside a frame whose length is known says the frame size', () => {
    const decoder = createFrameDecoder(u32);
    pushAll(decoder, Uint8Array.of(0, 0, 0, 6, 1));
    expect(caught(() => decoder.end())).toMatchObject({
      bufferedBytes: 5,
      message: 'stream ended inside a frame: 5 bytes held (frame of 10 bytes)',
    });
  });
});

describe('fixed', () => {
  it('cuts exactly frameBytes each and reports a partial frame at end()', () => {
    const decoder = createFrameDecoder({ kind: 'fixed', frameBytes: 3, maxFrameBytes: 3 });
    expect(pushAll(decoder, Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5, 6, 7))).toEqual([
      Uint8Array.of(1, 2, 3),
      Uint8Array.of(4, 5, 6),
    ]);
    expect(caught(() => decoder.end())).toMatchObject({ code: 'SOCKSPEC_TRUNCATED_FRAME', bufferedBytes: 1 });
  });
});

describe('raw', () => {
  const raw: FramingConfig = { kind: 'raw', maxFrameBytes: 4 };

  it('delivers each chunk as is, split into maxFrameBytes pieces that are views', () => {
    const chunk = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    const frames = pushAll(createFrameDecoder(raw), chunk, new Uint8Array(0));
    expect(frames).toEqual([Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8), Uint8Array.of(9, 10)]);
    for (const f of frames) expect(f.buffer).toBe(chunk.buffer);
  });

  it('never holds bytes, never fails, and gives the stream back in order however it is chunked', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.array(fc.nat({ max: 100 })), (stream, cuts) => {
        const decoder = createFrameDecoder(raw);
        const { chunks } = split(stream, cuts);
        const frames: Uint8Array[] = [];
        for (const chunk of chunks) {
          decoder.push(chunk, (f) => {
            expect(f.buffer).toBe(chunk.buffer);
            frames.push(f);
          });
          expect(decoder.bufferedBytes).toBe(0);
        }
        decoder.end();
        expect(frames.every((f) => f.length > 0 && f.length <= 4)).toBe(true);
        expect(concat(frames)).toEqual(stream);
      }),
      { numRuns: 200 },
    );
  });
});

describe('datagram', () => {
  const datagram: FramingConfig = { kind: 'datagram', maxFrameBytes: 4 };

  it('delivers each datagram as one frame, the empty one included', () => {
    const a = Uint8Array.of(1, 2, 3, 4);
    const frames = pushAll(createFrameDecoder(datagram), a, new Uint8Array(0), Uint8Array.of(9));
    expect(frames).toEqual([a, new Uint8Array(0), Uint8Array.of(9)]);
    expect(frames[0]).toBe(a);
  });

  it('rejects a datagram above maxFrameBytes and stays poisoned', () => {
    const decoder = createFrameDecoder(datagram);
    const err = caught(() => pushAll(decoder, new Uint8Array(5)));
    expect(err).toMatchObject({
      code: 'SOCKSPEC_FRAME_TOO_LARGE',
      limit: 4,
      actual: 5,
      message: 'frame of 5 bytes exceeds maxFrameBytes 4 (datagram)',
    });
    expect(caught(() => pushAll(decoder, new Uint8Array(1)))).toBe(err);
  });
});

describe('raw over a datagram transport', () => {
  it('is one frame per datagram, empty ones included, up to maxFrameBytes', () => {
    const framing = framingForTransport({ kind: 'raw', maxFrameBytes: 4 }, { datagram: true });
    expect(framing).toEqual({ kind: 'datagram', maxFrameBytes: 4 });
    const decoder = createFrameDecoder(framing);
    expect(pushAll(decoder, enc('ab'), new Uint8Array(0), enc('a\nb\n')).map(dec)).toEqual(['ab', '', 'a\nb\n']);
    expect(caught(() => pushAll(decoder, enc('12345')))).toMatchObject({ code: 'SOCKSPEC_FRAME_TOO_LARGE' });
  });

  it('stays raw on a byte stream', () => {
    const raw: FramingConfig = { kind: 'raw', maxFrameBytes: 4 };
    expect(framingForTransport(raw, { datagram: false })).toBe(raw);
  });
});

describe('datagram with a trailing delimiter (lines or delimited over a datagram transport)', () => {
  const lineDatagrams = framingForTransport(lines, { datagram: true });

  it('removes an optional trailing "\\n" and a "\\r" before it, one frame per datagram, as views', () => {
    const decoder = createFrameDecoder(lineDatagrams);
    const sent = [enc('hi'), enc('hi\n'), enc('hi\r\n'), enc('a\nb\n'), enc('\n'), new Uint8Array(0), enc('x\r')];
    const frames = pushAll(decoder, ...sent);
    expect(frames.map(dec)).toEqual(['hi', 'hi', 'hi', 'a\nb', '', '', 'x\r']);
    expect(frames.every((frame, i) => frame.buffer === sent[i]!.buffer)).toBe(true);
  });

  it('counts the delimiter against maxFrameBytes, before anything is delivered', () => {
    const decoder = createFrameDecoder(lineDatagrams);
    expect(pushAll(decoder, enc('1234567\n')).map(dec)).toEqual(['1234567']);
    expect(caught(() => pushAll(decoder, enc('12345678\n')))).toMatchObject({
      code: 'SOCKSPEC_FRAME_TOO_LARGE',
      limit: 8,
      actual: 9,
    });
  });

  it('property: any body comes back whether the peer sent the delimiter or not', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (body, delimiterBytes, withDelimiter) => {
          const delimiter = Array.from(delimiterBytes);
          const framing = framingForTransport(
            { kind: 'delimited', delimiter, keepDelimiter: false, stripCarriageReturn: false, maxFrameBytes: 64 },
            { datagram: true },
          );
          const endsWithDelimiter =
            body.length >= delimiter.length &&
            delimiter.every((b, k) => body[body.length - delimiter.length + k] === b);
          fc.pre(withDelimiter || !endsWithDelimiter);
          const datagram = withDelimiter ? encodeFrame(framing, body) : body.slice();
          expect(pushAll(createFrameDecoder(framing), datagram)).toEqual([body]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: a line with or without "\\n" / "\\r\\n" decodes as the stream decoder decodes it followed by "\\n"', () => {
    fc.assert(
      fc.property(
        // A small alphabet so "\\r" endings actually occur.
        fc.array(fc.constantFrom(0x61, 0x20, 0x0d, 0xff), { maxLength: 7 }).map((b) => Uint8Array.from(b)),
        fc.constantFrom('', '\n', '\r\n'),
        (body, ending) => {
          // Without "\\n" nothing is stripped, so a final "\\r" stays (the stream decoder would drop it before its "\\n").
          fc.pre(ending !== '' || body[body.length - 1] !== 0x0d);
          const datagram = concat([body, enc(ending)]);
          const streamed = concat([datagram, ending === '' ? enc('\n') : new Uint8Array(0)]);
          fc.pre(streamed.length <= lines.maxFrameBytes);
          const viaStream = pushAll(createFrameDecoder(lines), streamed);
          expect(pushAll(createFrameDecoder(lineDatagrams), datagram)).toEqual(viaStream);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keepDelimiter: the datagram is delivered as it came', () => {
    const framing = framingForTransport({ ...lines, keepDelimiter: true }, { datagram: true });
    expect(framing).toEqual({ kind: 'datagram', maxFrameBytes: 8 });
    expect(pushAll(createFrameDecoder(framing), enc('hi\n')).map(dec)).toEqual(['hi\n']);
  });

  it('refuses a trailing delimiter that cannot work', () => {
    const bad = (extra: Partial<Extract<FramingConfig, { kind: 'datagram' }>>) =>
      caught(() => createFrameDecoder({ kind: 'datagram', maxFrameBytes: 8, ...extra }));
    expect(bad({ trailingDelimiter: [] })).toBeInstanceOf(InvalidFramingError);
    expect(bad({ trailingDelimiter: [256] })).toBeInstanceOf(InvalidFramingError);
    expect(bad({ trailingDelimiter: [59], stripCarriageReturn: true })).toMatchObject({
      message: 'datagram framing: stripCarriageReturn needs the delimiter "\\n", got ";"',
    });
    expect(bad({ stripCarriageReturn: true })).toBeInstanceOf(InvalidFramingError);
  });
});

describe('framingForTransport', () => {
  it('keeps every framing on streams and datagram framing everywhere; turns delimited into datagram on datagrams', () => {
    const datagram: FramingConfig = { kind: 'datagram', maxFrameBytes: 4 };
    for (const framing of [lines, u32, datagram])
      expect(framingForTransport(framing, { datagram: false })).toBe(framing);
    expect(framingForTransport(datagram, { datagram: true })).toBe(datagram);
    expect(framingForTransport(lines, { datagram: true })).toEqual({
      kind: 'datagram',
      maxFrameBytes: 8,
      trailingDelimiter: [0x0a],
      stripCarriageReturn: true,
    });
  });
});

describe('poisoning', () => {
  it('a throw from onFrame poisons the decoder: the rest of that chunk was never consumed', () => {
    const decoder = createFrameDecoder(lines);
    const boom = new Error('handler failed');
    const seen: string[] = [];
    const err = caught(() =>
      decoder.push(enc('a\nb\n'), (f) => {
        seen.push(dec(f));
        throw boom;
      }),
    );
    expect(err).toBe(boom);
    expect(seen).toEqual(['a']);
    expect(caught(() => pushAll(decoder, enc('c\n')))).toBe(boom);
  });
});

describe('configuration', () => {
  const bad: [string, FramingConfig, RegExp][] = [
    ['zero max', { kind: 'raw', maxFrameBytes: 0 }, /maxFrameBytes must be a positive integer, got 0/],
    ['empty delimiter', { ...lines, delimiter: [] }, /delimiter must have at least 1 byte/],
    ['delimiter byte 256', { ...lines, delimiter: [256] }, /integers 0-255, got 256/],
    ['strip with \\r\\n', { ...lines, delimiter: [13, 10] }, /stripCarriageReturn needs the delimiter "\\n"/],
    ['length width 3', { ...u32, lengthBytes: 3 as 4 }, /lengthBytes must be 1, 2, 4 or 8, got 3/],
    ['field past max', { ...u32, lengthOffset: 65534 }, /ends at byte 65538, beyond maxFrameBytes 65536/],
    ['fixed above max', { kind: 'fixed', frameBytes: 5, maxFrameBytes: 4 }, /frameBytes 5 exceeds maxFrameBytes 4/],
    [
      'unknown kind',
      { kind: 'chunked', maxFrameBytes: 1 } as unknown as FramingConfig,
      /unknown framing kind "chunked"/,
    ],
  ];
  it.each(bad)('rejects %s with InvalidFramingError', (_name, config, message) => {
    const err = caught(() => createFrameDecoder(config));
    expect(err).toBeInstanceOf(InvalidFramingError);
    expect(err).toBeInstanceOf(SockspecError);
    expect((err as SockspecError).code).toBe('SOCKSPEC_INVALID_FRAMING');
    expect((err as Error).message).toMatch(message);
  });
});
