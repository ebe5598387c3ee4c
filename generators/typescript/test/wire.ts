import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createFrameDecoder, type FrameSender, type FramingConfig } from '@sockspec/codec';
import { isSockspecError } from '@sockspec/errors';
import type { FieldIR, ProtocolIR, TypeIR } from '@sockspec/spec';
import { buildModel, type MessageModel } from '../src/model.js';
import { goldenOf } from './cases.js';

/** What a generated codec.ts exports, seen from a test that only knows the protocol's name. */
export interface CodecModule {
  readonly framing: FramingConfig;
  readonly [name: string]: unknown;
}

type Encode = (message: Record<string, unknown>) => Uint8Array;
type Decode = (frame: Uint8Array) => Record<string, unknown>;

/** The golden package's generated codec; the golden test keeps it current (UPDATE=1 rewrites it). */
export async function loadCodec(ir: ProtocolIR): Promise<CodecModule> {
  return (await import(pathToFileURL(join(goldenOf(ir).dir, 'src', 'codec.ts')).href)) as CodecModule;
}

export function encoderOf(codec: CodecModule, message: MessageModel): Encode {
  return codec[`encode${message.name}`] as Encode;
}

/** The union decoders that can receive this message: the client's, the server's, or both. */
export function decodersOf(codec: CodecModule, message: MessageModel): Decode[] {
  return sendersOf(codec, message).map(([, decode]) => decode);
}

/** Who may send this message, each with the union decoder for frames from that side. */
export function sendersOf(codec: CodecModule, message: MessageModel): [FrameSender, Decode][] {
  return [
    ...(message.fromClient ? [['client', codec.decodeClientMessage as Decode] as [FrameSender, Decode]] : []),
    ...(message.fromServer ? [['server', codec.decodeServerMessage as Decode] as [FrameSender, Decode]] : []),
  ];
}

/**
 * The value fields of messages that `messages` list elements may name, for
 * the JSON and sample helpers below. Filled by messagesOf; only the redis
 * gallery spec has such elements, so names of other protocols never clash.
 */
const ELEMENT_FIELDS = new Map<string, readonly FieldIR[]>();

/** Message fields as they appear in a message object (header fields but not the discriminator). */
export function messagesOf(ir: ProtocolIR): readonly MessageModel[] {
  const messages = buildModel(ir).messages;
  for (const message of messages) ELEMENT_FIELDS.set(message.name, message.fields);
  return messages;
}

function elementFields(name: string): readonly FieldIR[] {
  const fields = ELEMENT_FIELDS.get(name);
  if (fields === undefined) throw new Error(`message ${name} is not known: call messagesOf(ir) first`);
  return fields;
}

/** Cuts wire bytes into frames with the real frame decoder, in the given chunks. */
export function cutFrames(
  framing: FramingConfig,
  chunks: readonly Uint8Array[],
  sender: FrameSender = 'client',
): Uint8Array[] {
  const decoder = createFrameDecoder(framing, { sender });
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (frame) => frames.push(frame.slice()));
  decoder.end();
  return frames;
}

/** The typed error code that reading `wire` gives, or null when it decodes; anything untyped is rethrown. */
export function wireError(
  codec: CodecModule,
  decode: Decode,
  wire: Uint8Array,
  sender: FrameSender = decode === codec.decodeServerMessage ? 'server' : 'client',
): { code: string; field: string | null } | null {
  try {
    for (const frame of cutFrames(codec.framing, [wire], sender)) decode(frame);
    return null;
  } catch (err) {
    if (!isSockspecError(err)) throw err;
    const field = (err as { field?: unknown }).field;
    return { code: err.code, field: typeof field === 'string' ? field : null };
  }
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/**
 * JSON ↔ message values, language-neutral: 64-bit integers as decimal
 * strings, Dates as ISO 8601, bytes as hex, absent optionals as null.
 */
export function fromJson(type: TypeIR, value: unknown): unknown {
  switch (type.kind) {
    case 'int':
    case 'varint':
      return type.bits === 64 ? BigInt(value as string) : value;
    case 'timestamp':
      return new Date(value as string);
    case 'bytes':
      return unhex(value as string);
    case 'optional':
      return value === null ? undefined : fromJson(type.value, value);
    case 'array':
      return (value as unknown[]).map((item) => fromJson(type.element, item));
    case 'struct':
      return fieldsFromJson(type.fields, value as Record<string, unknown>);
    case 'messages': {
      const { type: name, ...fields } = value as { type: string } & Record<string, unknown>;
      return { type: name, ...fieldsFromJson(elementFields(name), fields) };
    }
    default:
      return value;
  }
}

export function fieldsFromJson(fields: readonly FieldIR[], json: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field.name, fromJson(field.type, json[field.name])]));
}

export function toJson(type: TypeIR, value: unknown): unknown {
  switch (type.kind) {
    case 'int':
    case 'varint':
      return type.bits === 64 ? String(value) : value;
    case 'timestamp':
      return (value as Date).toISOString();
    case 'bytes':
      return hex(value as Uint8Array);
    case 'optional':
      return value === undefined ? null : toJson(type.value, value);
    case 'array':
      return (value as unknown[]).map((item) => toJson(type.element, item));
    case 'struct':
      return fieldsToJson(type.fields, value as Record<string, unknown>);
    case 'messages': {
      const { type: name, ...fields } = value as { type: string } & Record<string, unknown>;
      return { type: name, ...fieldsToJson(elementFields(name), fields) };
    }
    default:
      return value;
  }
}

export function fieldsToJson(fields: readonly FieldIR[], value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field.name, toJson(field.type, value[field.name])]));
}

const TEXT_SAMPLES = ['héllo wörld', 'hello', 'abc', 'a_1', 'x', ''];

/** A deterministic value of a type: `rich` exercises multi-byte text, sign bits and non-empty lists; otherwise the smallest value. */
export function sampleValue(type: TypeIR, rich: boolean): unknown {
  switch (type.kind) {
    case 'int': {
      if (!rich) return type.bits === 64 ? 0n : 0;
      if (type.bits === 64) return type.signed ? -(2n ** 40n) - 7n : 2n ** 63n + 5n;
      const max = 2 ** (type.signed ? type.bits - 1 : type.bits) - 1;
      return type.signed ? -Math.floor(max / 3) : max - 1;
    }
    case 'bits':
      if (type.width === 1) return rich;
      return rich ? 2 ** type.width - 2 : 0;
    case 'varint':
      if (type.bits === 64) return rich ? (type.zigzag ? -(2n ** 40n) - 3n : 2n ** 63n + 9n) : 0n;
      return rich ? (type.zigzag ? -300 : 300) : 0;
    case 'float':
      return rich ? -1234.5 : 0;
    case 'bool':
      return rich;
    case 'timestamp':
      return new Date(rich ? '2026-11-03T09:05:03.000Z' : '1970-01-01T00:00:00.000Z');
    case 'enum':
      return rich ? type.values[type.values.length - 1]!.name : type.values[0]!.name;
    case 'flags':
      return Object.fromEntries(type.flags.map((flag, index) => [flag.name, rich && index % 2 === 0]));
    case 'string': {
      const room = type.length.kind === 'fixed' ? type.length.bytes : type.maxBytes;
      const terminator = type.length.kind === 'terminated' ? String.fromCharCode(type.length.terminator) : '\0';
      const pattern = type.pattern === null ? null : new RegExp(type.pattern, 'u');
      const fits = (text: string): boolean =>
        Buffer.byteLength(text) <= room && !text.includes(terminator) && (pattern === null || pattern.test(text));
      const candidates = rich ? TEXT_SAMPLES : ['', ...TEXT_SAMPLES];
      return candidates.find(fits) ?? '';
    }
    case 'bytes': {
      if (type.length.kind === 'fixed') {
        return Uint8Array.from({ length: type.length.bytes }, (_, index) => (rich ? 0xf0 + index : 0));
      }
      if (!rich) return new Uint8Array(0);
      const terminator = type.length.kind === 'terminated' ? type.length.terminator : -1;
      return new Uint8Array(
        [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff].filter((byte) => byte !== terminator).slice(0, type.maxBytes),
      );
    }
    case 'array':
      return rich
        ? Array.from({ length: Math.min(2, type.maxCount) }, (_, index) => sampleValue(type.element, index === 0))
        : [];
    case 'optional':
      return rich ? sampleValue(type.value, true) : undefined;
    case 'struct':
      return Object.fromEntries(type.fields.map((field) => [field.name, sampleValue(field.type, rich)]));
    case 'messages': {
      // Rich: the first element that holds no further message list (so samples stay finite); else the last.
      const name = rich
        ? (type.names.find((candidate) => !elementFields(candidate).some((field) => field.type.kind === 'array')) ??
          type.names[0]!)
        : type.names[type.names.length - 1]!;
      const fields = elementFields(name).filter((field) => !(field.type.kind === 'array'));
      return { type: name, ...Object.fromEntries(fields.map((field) => [field.name, sampleValue(field.type, rich)])) };
    }
  }
}

/** The code and message of the SockspecError `run` throws; fails the test when it throws nothing or something else. */
export function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isSockspecError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a SockspecError, nothing was thrown');
}
