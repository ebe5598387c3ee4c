import { isSockspecError } from '@sockspec/errors';
import type { FieldIR, ProtocolIR, TypeIR } from '@sockspec/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessageModel } from '../src/model.js';
import { GOLDEN_CASES, whenHolds } from './cases.js';
import { type CodecModule, cutFrames, encoderOf, loadCodec, messagesOf, sendersOf } from './wire.js';

// ctime is local time; in a zone with daylight saving an hour repeats and could not round-trip.
process.env.TZ = 'UTC';

const encoder = new TextEncoder();
const RUNS = 150;

/** The protocol whose messages a `messages` list element may hold. */
let currentMessages: readonly MessageModel[] = [];

/** How deep arbitrary message elements nest before only messages without message lists are picked. */
const MAX_ARBITRARY_NESTING = 2;

function holdsMessages(message: MessageModel): boolean {
  return message.fields.some((field) => field.type.kind === 'array' && field.type.element.kind === 'messages');
}

/** Arbitrary valid values of a field type, within every limit the spec sets. */
function arbitraryOf(type: TypeIR, textLine: boolean, depth = 0): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'int': {
      if (type.bits === 64) {
        return type.signed
          ? fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
          : fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
      }
      const span = 2 ** type.bits;
      return type.signed ? fc.integer({ min: -span / 2, max: span / 2 - 1 }) : fc.integer({ min: 0, max: span - 1 });
    }
    case 'bits':
      return type.width === 1 ? fc.boolean() : fc.integer({ min: 0, max: 2 ** type.width - 1 });
    case 'varint': {
      const unsigned = 2n ** BigInt(Math.min(7 * type.maxBytes, type.bits)) - 1n;
      const [min, max] = type.zigzag ? [-(unsigned + 1n) / 2n, unsigned / 2n] : [0n, unsigned];
      return type.bits === 64 ? fc.bigInt({ min, max }) : fc.integer({ min: Number(min), max: Number(max) });
    }
    case 'float':
      return type.bits === 32 ? fc.float({ noNaN: true }) : fc.double({ noNaN: true });
    case 'bool':
      return fc.boolean();
    case 'timestamp': {
      if (type.representation === 'ctime') {
        // ctime has whole seconds and four-digit years.
        return fc.integer({ min: 0, max: 253_402_300_799 }).map((seconds) => new Date(seconds * 1000));
      }
      const limit = 8_640_000_000_000;
      return type.representation === 'unix-seconds'
        ? fc.integer({ min: -limit, max: limit }).map((seconds) => new Date(seconds * 1000))
        : fc.integer({ min: -limit * 1000, max: limit * 1000 }).map((ms) => new Date(ms));
    }
    case 'enum':
      return fc.constantFrom(...type.values.map((value) => value.name));
    case 'flags':
      return fc.record(Object.fromEntries(type.flags.map((flag) => [flag.name, fc.boolean()])), {
        noNullPrototype: true,
      });
    case 'string': {
      const room = type.length.kind === 'fixed' ? type.length.bytes : type.maxBytes;
      const banned = type.length.kind === 'terminated' ? String.fromCharCode(type.length.terminator) : '\0';
      const base =
        type.pattern === null
          ? fc.string({ unit: 'grapheme', maxLength: Math.min(room, 40) })
          : fc.stringMatching(new RegExp(type.pattern, 'u'));
      return base.filter(
        (text) =>
          encoder.encode(text).length <= room &&
          !text.includes(banned) &&
          // In a text line a value cannot contain the line's end; the encoder refuses it.
          (!textLine || !/[\r\n]/.test(text)),
      );
    }
    case 'bytes': {
      if (type.length.kind === 'fixed') {
        return fc.uint8Array({ minLength: type.length.bytes, maxLength: type.length.bytes });
      }
      const terminator = type.length.kind === 'terminated' ? type.length.terminator : -1;
      return fc
        .uint8Array({ maxLength: Math.min(type.maxBytes, 48) })
        .filter((bytes) => terminator === -1 || !bytes.includes(terminator));
    }
    case 'array':
      return fc.array(arbitraryOf(type.element, textLine, depth), { maxLength: Math.min(type.maxCount, 4) });
    case 'optional':
      return fc.option(arbitraryOf(type.value, textLine, depth), { nil: undefined });
    case 'struct':
      return recordOf(type.fields, textLine, depth);
    case 'messages': {
      const candidates = type.names
        .map((name) => currentMessages.find((message) => message.name === name)!)
        .filter((message) => depth < MAX_ARBITRARY_NESTING || !holdsMessages(message));
      return fc.oneof(
        ...candidates.map((message) =>
          recordOf(message.fields, textLine, depth + 1).map((record) => ({ type: message.name, ...record })),
        ),
      );
    }
  }
}

function recordOf(fields: readonly FieldIR[], textLine: boolean, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  // A `when` field always gets a value here, dropped below unless its condition holds: valid messages only.
  const arbitrary = (field: FieldIR) =>
    field.type.kind === 'optional' && field.type.when !== undefined
      ? arbitraryOf(field.type.value, textLine, depth)
      : arbitraryOf(field.type, textLine, depth);
  // A condition that is no field of the value (a presence flag the encoder sets) is one coin per flag: the fields
  // it governs are given together or not at all.
  const flags = [
    ...new Set(
      fields.flatMap((field) => {
        const when = field.type.kind === 'optional' ? field.type.when : undefined;
        return when !== undefined && !fields.some((candidate) => candidate.name === when.field) ? [when.field] : [];
      }),
    ),
  ];
  return fc
    .tuple(
      fc.record(Object.fromEntries(fields.map((field) => [field.name, arbitrary(field)])), { noNullPrototype: true }),
      fc.array(fc.boolean(), { minLength: flags.length, maxLength: flags.length }),
    )
    .map(([record, coins]) => {
      const given = new Map(flags.map((flag, index) => [flag, coins[index]!]));
      for (const field of fields) {
        const when = field.type.kind === 'optional' ? field.type.when : undefined;
        if (when === undefined) continue;
        const holds = given.has(when.field) ? given.get(when.field)! : whenHolds(when, record);
        if (!holds) record[field.name] = undefined;
      }
      return record;
    });
}

function codeOf(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (err) {
    if (isSockspecError(err)) return err.code;
    throw err;
  }
}

/**
 * Encodes, or returns null when the encoder refuses the value with a typed
 * error: a frame over maxFrameBytes, a text value its line template cannot
 * carry (`{a} {b}` with a space inside `a`), or a binary frame that would
 * contain its delimiter. Anything else fails the property.
 */
function tryEncode(
  ir: ProtocolIR,
  codec: CodecModule,
  message: MessageModel,
  value: Record<string, unknown>,
): Uint8Array | null {
  try {
    return encoderOf(codec, message)(value);
  } catch (err) {
    if (!isSockspecError(err)) throw err;
    // Text values and binary frames cut at a delimiter may hold bytes the framing reserves.
    const reserved = ir.encoding === 'text' || ir.framing.kind === 'delimited';
    const allowed = reserved ? ['SOCKSPEC_FRAME_TOO_LARGE', 'SOCKSPEC_INVALID_FIELD'] : ['SOCKSPEC_FRAME_TOO_LARGE'];
    expect(allowed).toContain(err.code);
    return null;
  }
}

/** Plain Uint8Array concatenation: a Buffer would make decoded bytes fields Buffers too. */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Two values are the same message; -0 and 0 are told apart, as they are on the wire. */
function expectSame(actual: unknown, expected: unknown): void {
  expect(actual).toStrictEqual(expected);
}

describe('codec properties (fast-check)', () => {
  for (const ir of GOLDEN_CASES) {
    const textLine = ir.encoding === 'text';
    for (const message of messagesOf(ir)) {
      currentMessages = messagesOf(ir);
      const fields = recordOf(message.fields, textLine);

      it(`${ir.name}.${message.name}: decode(encode(x)) is x for arbitrary valid x`, async () => {
        const codec = await loadCodec(ir);
        fc.assert(
          fc.property(fields, (value) => {
            const frame = tryEncode(ir, codec, message, value);
            fc.pre(frame !== null);
            // On a byte stream an empty read is no frame, so raw framing carries no empty message.
            fc.pre(frame!.length > 0 || codec.framing.kind !== 'raw');
            for (const [sender, decode] of sendersOf(codec, message)) {
              const [cut] = cutFrames(codec.framing, [frame!], sender);
              expectSame(decode(cut!), { type: message.name, ...value });
            }
          }),
          { numRuns: RUNS },
        );
      });

      it(`${ir.name}.${message.name}: frames split at every byte give the same messages`, async () => {
        const codec = await loadCodec(ir);
        if (codec.framing.kind === 'datagram' || codec.framing.kind === 'raw') return;
        fc.assert(
          fc.property(fc.array(fields, { minLength: 1, maxLength: 3 }), (values) => {
            const encoded = values.map((value) => tryEncode(ir, codec, message, value));
            fc.pre(encoded.every((frame) => frame !== null));
            const wire = concat(encoded as Uint8Array[]);
            const [sender, decode] = sendersOf(codec, message)[0]!;
            const whole = cutFrames(codec.framing, [wire], sender).map(decode);
            expect(whole).toStrictEqual(values.map((value) => ({ type: message.name, ...value })));
            for (let at = 0; at <= wire.length; at += 1) {
              const split = cutFrames(codec.framing, [wire.subarray(0, at), wire.subarray(at)], sender).map(decode);
              expect(split).toStrictEqual(whole);
            }
          }),
          { numRuns: 25 },
        );
      });
    }

    it(`${ir.name}: arbitrary and damaged frames only ever fail with typed codec errors`, async () => {
      const codec = await loadCodec(ir);
      const messages = messagesOf(ir);
      currentMessages = messages;
      const decoders = [codec.decodeClientMessage, codec.decodeServerMessage] as ((frame: Uint8Array) => unknown)[];
      const garbage = fc.uint8Array({ maxLength: 96 });
      // Random bytes rarely get past the header; damaging valid frames reaches every field's checks.
      const damaged = fc
        .constantFrom(...messages)
        .chain((message) =>
          fc.tuple(
            fc.constant(message),
            recordOf(message.fields, textLine),
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          ),
        )
        .map(([message, value, edits]) => {
          const frame = tryEncode(ir, codec, message, value) ?? new Uint8Array(0);
          for (const [at, byte] of edits) if (frame.length > 0) frame[at % frame.length] = byte;
          return frame;
        });
      fc.assert(
        fc.property(fc.oneof(garbage, damaged), (frame) => {
          for (const decode of decoders) {
            const first = codeOf(() => decode(frame));
            // The same bytes give the same verdict every time.
            expect(codeOf(() => decode(frame))).toBe(first);
          }
          codeOf(() => cutFrames(codec.framing, [frame], 'client'));
          codeOf(() => cutFrames(codec.framing, [frame], 'server'));
        }),
        { numRuns: 400 },
      );
    });
  }
});
