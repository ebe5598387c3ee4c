import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProtocolIR } from '@sockspec/spec';
import { describe, expect, it } from 'vitest';
import type { MessageModel } from '../src/model.js';
import { GOLDEN_CASES, whenHolds } from './cases.js';
import {
  type CodecModule,
  cutFrames,
  decodersOf,
  encoderOf,
  fieldsFromJson,
  fieldsToJson,
  hex,
  loadCodec,
  messagesOf,
  sampleValue,
  sendersOf,
  unhex,
  wireError,
} from './wire.js';

// ctime timestamps are local time; vectors are written for UTC so they mean the same everywhere.
process.env.TZ = 'UTC';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const UPDATE = process.env.UPDATE === '1';

/**
 * Language-neutral test vectors, one file next to each spec. Valid cases are
 * a message (64-bit integers as decimal strings, Dates as ISO 8601, bytes as
 * hex, absent optionals as null) and its exact bytes on the wire; invalid
 * cases are bytes on the wire and the typed error code (and field) reading
 * them must give.
 */
interface VectorFile {
  readonly protocol: string;
  readonly spec: string;
  readonly about: string;
  readonly messages: Record<string, MessageVectors>;
}

interface MessageVectors {
  readonly valid: readonly {
    readonly name: string;
    readonly message: Record<string, unknown>;
    readonly wire: string;
  }[];
  readonly invalid: readonly {
    readonly name: string;
    readonly wire: string;
    readonly error: string;
    readonly field?: string;
  }[];
}

function vectorPath(ir: ProtocolIR): string {
  return join(ROOT, ir.sourceFile.replace(/\.protocol\.yaml$/, '.vectors.json'));
}

const ABOUT =
  'Test vectors for the generated codecs: each valid message must encode to exactly `wire` (hex, whole frames as sent) and `wire` must decode to the message; each invalid `wire` must fail with the typed error `error` (and `field`, when given). Message values: 64-bit integers as decimal strings, timestamps as ISO 8601 (UTC), bytes as hex, absent optionals as null.';

/**
 * Proposes vectors for a message that has none: a rich and a minimal value,
 * and damaged wires found by trying each byte — the first damage per distinct
 * error is kept. These are proposals from the current codec: review them
 * against the README's byte layout before committing.
 */
function proposeVectors(ir: ProtocolIR, codec: CodecModule, message: MessageModel): MessageVectors {
  const encode = encoderOf(codec, message);
  const decode = decodersOf(codec, message)[0]!;
  const valid: MessageVectors['valid'][number][] = [];
  for (const rich of [true, false]) {
    const value = Object.fromEntries(message.fields.map((field) => [field.name, sampleValue(field.type, rich)]));
    // A `when` field has a value exactly when its condition holds.
    for (const field of message.fields) {
      const type = field.type;
      if (type.kind !== 'optional' || type.when === undefined) continue;
      // A presence flag is no field of the value: the rich sample gives every field it governs, the minimal one none.
      const flag = !message.fields.some((candidate) => candidate.name === type.when!.field);
      const holds = flag ? rich : whenHolds(type.when, value);
      value[field.name] = holds ? sampleValue(type.value, rich) : undefined;
    }
    let wire: Uint8Array;
    try {
      wire = encode(value);
    } catch {
      continue;
    }
    // On a byte stream an empty read is no frame at all, so raw framing has no empty message.
    if (wire.length === 0 && ir.framing.kind === 'raw') continue;
    const json = fieldsToJson(message.fields, value);
    if (valid.some((existing) => existing.wire === hex(wire))) continue;
    valid.push({ name: rich ? 'typical values' : 'smallest values', message: json, wire: hex(wire) });
  }
  const invalid: MessageVectors['invalid'][number][] = [];
  const seen = new Set<string>();
  const only = codec[`decode${message.name}`] as (frame: Uint8Array) => unknown;
  const keep = (name: string, wire: Uint8Array): void => {
    const error = wireError(codec, decode, wire);
    if (error === null) return;
    // Damage that turns the frame into another message's is that message's vector, not this one's.
    if (wireError(codec, only as never, wire)?.code !== error.code) return;
    const key = `${error.code} ${error.field ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    invalid.push({ name, wire: hex(wire), error: error.code, ...(error.field === null ? {} : { field: error.field }) });
  };
  const base = valid[0] === undefined ? null : unhex(valid[0].wire);
  if (base !== null) {
    keep('the last byte is missing', base.subarray(0, base.length - 1));
    const framing = ir.framing;
    if (framing.kind === 'length-prefixed' && framing.lengthVarint === true) {
      // A varint length saying 2^28 - 1, the most 4 bytes can: far beyond any frame limit here.
      const huge = new Uint8Array(framing.lengthOffset + 4);
      huge.set([0xff, 0xff, 0xff, 0x7f], framing.lengthOffset);
      keep('a varint length far beyond maxFrameBytes', huge);
    } else if (framing.kind === 'length-prefixed') {
      // The length field rewritten so the frame itself is whole but the message in it is cut or padded.
      const body = (extra: number): Uint8Array => {
        const frame = new Uint8Array(base.length + extra);
        frame.set(base.subarray(0, base.length + Math.min(0, extra)));
        const view = new DataView(frame.buffer);
        const value = frame.length - framing.lengthOffset - framing.lengthBytes - framing.lengthAdjustment;
        const little = framing.lengthEndian === 'little';
        if (framing.lengthBytes === 1) view.setUint8(framing.lengthOffset, value);
        else if (framing.lengthBytes === 2) view.setUint16(framing.lengthOffset, value, little);
        else if (framing.lengthBytes === 4) view.setUint32(framing.lengthOffset, value, little);
        else view.setBigUint64(framing.lengthOffset, BigInt(value), little);
        return frame;
      };
      keep('a whole frame one byte short of the message', body(-1));
      keep('a whole frame with a byte after the message', body(1));
      const huge = new Uint8Array(framing.lengthOffset + framing.lengthBytes);
      huge.fill(0xff, framing.lengthOffset);
      keep('a length field far beyond maxFrameBytes', huge);
    } else if (framing.kind === 'delimited') {
      keep('a frame longer than maxFrameBytes', new Uint8Array(framing.maxFrameBytes + 1).fill(0x61));
    } else {
      keep('one byte more than maxFrameBytes', new Uint8Array(framing.maxFrameBytes + 1));
    }
    for (let at = 0; at < base.length; at += 1) {
      for (const byte of [0xff, 0x02, 0x80]) {
        if (base[at] === byte) continue;
        const damaged = base.slice();
        damaged[at] = byte;
        keep(`byte ${at} set to 0x${byte.toString(16).padStart(2, '0')}`, damaged);
      }
    }
  }
  return { valid, invalid };
}

type MessageOf = ReturnType<typeof messagesOf>[number];
type Vectors = VectorFile['messages'][string];

function checkValid(codec: Awaited<ReturnType<typeof loadCodec>>, message: MessageOf, vectors: Vectors['valid']): void {
  for (const vector of vectors) {
    const label = `${message.name}: ${vector.name}`;
    const value = fieldsFromJson(message.fields, vector.message);
    expect(hex(encoderOf(codec, message)(value)), label).toBe(vector.wire);
    for (const [sender, decode] of sendersOf(codec, message)) {
      const frames = cutFrames(codec.framing, [unhex(vector.wire)], sender);
      expect(frames.length, label).toBe(1);
      expect(decode(frames[0]!), label).toEqual({ type: message.name, ...value });
    }
  }
}

function checkInvalid(
  codec: Awaited<ReturnType<typeof loadCodec>>,
  message: MessageOf,
  vectors: Vectors['invalid'],
): void {
  for (const vector of vectors) {
    for (const decode of decodersOf(codec, message)) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const error = wireError(codec, decode, unhex(vector.wire));
        expect(error, `${message.name}: ${vector.name}`).toEqual({
          code: vector.error,
          field: vector.field ?? error?.field ?? null,
        });
      }
    }
  }
}

/**
 * UPDATE=1: a message's reviewed vectors stay while they still hold; vectors
 * a spec change broke (a new layout, a renamed field) are proposed afresh and
 * named on stderr, to be reviewed like new ones.
 */
function keptOrProposed(
  ir: (typeof GOLDEN_CASES)[number],
  codec: Awaited<ReturnType<typeof loadCodec>>,
  message: MessageOf,
  existing: VectorFile | null,
  relative: string,
): Vectors {
  const kept = existing?.messages[message.name];
  if (kept !== undefined) {
    try {
      checkValid(codec, message, kept.valid);
      checkInvalid(codec, message, kept.invalid);
      return kept;
    } catch (error) {
      process.stderr.write(
        `${relative}: ${message.name}'s vectors no longer hold, proposed new ones (${String(error).split('\n')[0]})\n`,
      );
    }
  }
  return proposeVectors(ir, codec, message);
}

describe('test vectors next to every spec', () => {
  for (const ir of GOLDEN_CASES) {
    const path = vectorPath(ir);
    const relative = path.slice(ROOT.length + 1);

    it(`${relative} covers every message (UPDATE=1 proposes vectors for new ones)`, async () => {
      const codec = await loadCodec(ir);
      const existing: VectorFile | null = existsSync(path)
        ? (JSON.parse(readFileSync(path, 'utf8')) as VectorFile)
        : null;
      const messages = messagesOf(ir);
      if (UPDATE) {
        const next: VectorFile = {
          protocol: ir.name,
          spec: ir.sourceFile.split('/').pop()!,
          about: ABOUT,
          messages: Object.fromEntries(
            messages.map((message) => [message.name, keptOrProposed(ir, codec, message, existing, relative)]),
          ),
        };
        writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`);
        return;
      }
      expect(existing, `${relative} is missing; run UPDATE=1 and review it`).not.toBeNull();
      expect(Object.keys(existing!.messages)).toEqual(messages.map((message) => message.name));
      for (const message of messages) {
        expect(existing!.messages[message.name]!.valid.length, `${message.name} has a valid vector`).toBeGreaterThan(0);
      }
    });

    it(`${relative}: valid vectors encode to exactly their bytes and decode back, through the frame decoder`, async () => {
      if (!existsSync(path)) return;
      const codec = await loadCodec(ir);
      const file = JSON.parse(readFileSync(path, 'utf8')) as VectorFile;
      for (const message of messagesOf(ir)) checkValid(codec, message, file.messages[message.name]?.valid ?? []);
    });

    it(`${relative}: invalid vectors fail with the same typed error every time`, async () => {
      if (!existsSync(path)) return;
      const codec = await loadCodec(ir);
      const file = JSON.parse(readFileSync(path, 'utf8')) as VectorFile;
      for (const message of messagesOf(ir)) checkInvalid(codec, message, file.messages[message.name]?.invalid ?? []);
    });
  }
});
