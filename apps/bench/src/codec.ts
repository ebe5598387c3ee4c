/**
 * `pnpm bench codec [--seconds N]`: encode and decode per second for
 * generated codecs against hand-written DataView code for the same bytes,
 * protobuf-es, msgpackr and JSON on the same values, in one run: a chat Said
 * (four short fields and a timestamp), a file-transfer Listing of 100
 * entries and a telemetry Reading (every field a number). Each case runs for
 * a fixed time after a warm-up, and the decoded value is checked once so that
 * no codec is measured doing nothing. Frame decoding is in frame-stream.ts.
 */
import { USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { decodeSaid, encodeSaid, type SaidFields } from '@sockspec/protocol-chat';
import { decodeListing, encodeListing, type ListingFields } from '@sockspec/protocol-file-transfer';
import { decodeReading, encodeReading, type ReadingFields } from '@sockspec/protocol-telemetry';
import { Packr } from 'msgpackr';
import { formatFrameStreamResults, measureFrameStreams } from './frame-stream.js';
import {
  decodeListingByHand,
  decodeReadingByHand,
  decodeSaidByHand,
  encodeListingByHand,
  encodeReadingByHand,
  encodeSaidByHand,
} from './hand-written-codecs.js';
import { protobufListing, protobufReading, protobufSaid } from './protobuf-baseline.js';

const MAX_SECONDS = 60;
const WARMUP_MS = 300;

interface Codec<T> {
  readonly name: string;
  readonly encode: (value: T) => Uint8Array | string;
  readonly decode: (bytes: Uint8Array | string) => unknown;
}

interface Case<T> {
  readonly name: string;
  readonly value: T;
  readonly codecs: readonly Codec<T>[];
}

/** Operations per second of `run`, over `ms` milliseconds; `sink` keeps results alive. */
function rate(run: () => unknown, ms: number): number {
  let sink = 0;
  const deadline = performance.now() + ms;
  let count = 0;
  let now = performance.now();
  const started = now;
  while (now < deadline) {
    // Batches of 256 keep the clock out of the measurement.
    for (let index = 0; index < 256; index += 1) {
      const result = run();
      if (result === undefined) sink += 1;
    }
    count += 256;
    now = performance.now();
  }
  if (sink < 0) process.stdout.write('');
  return count / ((now - started) / 1000);
}

function jsonCodec<T>(): Codec<T> {
  // bigint has no JSON form: as strings, the way the vectors files carry them.
  return {
    name: 'JSON',
    encode: (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
    decode: (text) => JSON.parse(text as string),
  };
}

function msgpackrCodec<T>(): Codec<T> {
  // Records (structures) make repeated objects compact and fast, msgpackr's best case; bigints as int64.
  const packr = new Packr({ useRecords: true, useTimestamp32: false, largeBigIntToFloat: false });
  return {
    name: 'msgpackr',
    encode: (value) => packr.pack(value),
    decode: (bytes) => packr.unpack(bytes as Uint8Array),
  };
}

function handWritten<T>(encode: (value: T) => Uint8Array, decode: (bytes: Uint8Array) => T): Codec<T> {
  return { name: HAND_WRITTEN, encode, decode: (bytes) => decode(bytes as Uint8Array) };
}

export const HAND_WRITTEN = 'hand-written DataView';

export function codecCases(): [Case<SaidFields>, Case<ListingFields>, Case<ReadingFields>] {
  const said: SaidFields = {
    id: 0,
    room: 'lobby',
    nick: 'alice',
    text: 'hello, everyone in the room',
    at: new Date(1_790_000_000_000),
  };
  const listing: ListingFields = {
    id: 7,
    path: 'projects/sockspec',
    entries: Array.from({ length: 100 }, (_, index) => ({
      name: `file-${String(index).padStart(3, '0')}.txt`,
      kind: index % 10 === 0 ? 'directory' : 'file',
      size: BigInt(index * 1024 + 17),
      modified: new Date(1_790_000_000_000 + index * 1000),
    })),
  };
  const reading: ReadingFields = {
    id: 41,
    device: 3_000_117,
    sequence: 9_000_000_001n,
    takenAtMs: 1_790_000_000_123n,
    temperature: 21.375,
    humidity: 48.5,
    pressure: 101_325,
    rssi: -67,
    battery: 88,
    flags: { charging: false, lowBattery: false, tampered: false, calibrated: true },
  };
  return [
    {
      name: 'chat Said',
      value: said,
      codecs: [
        { name: 'sockspec', encode: encodeSaid, decode: (b) => decodeSaid(b as Uint8Array) },
        handWritten(encodeSaidByHand, decodeSaidByHand),
        { name: 'protobuf-es', encode: protobufSaid.encode, decode: (b) => protobufSaid.decode(b as Uint8Array) },
        msgpackrCodec(),
        jsonCodec(),
      ],
    },
    {
      name: 'file-transfer Listing (100 entries)',
      value: listing,
      codecs: [
        { name: 'sockspec', encode: encodeListing, decode: (b) => decodeListing(b as Uint8Array) },
        handWritten(encodeListingByHand, decodeListingByHand),
        { name: 'protobuf-es', encode: protobufListing.encode, decode: (b) => protobufListing.decode(b as Uint8Array) },
        msgpackrCodec(),
        jsonCodec(),
      ],
    },
    {
      name: 'telemetry Reading (all numbers)',
      value: reading,
      codecs: [
        { name: 'sockspec', encode: encodeReading, decode: (b) => decodeReading(b as Uint8Array) },
        handWritten(encodeReadingByHand, decodeReadingByHand),
        { name: 'protobuf-es', encode: protobufReading.encode, decode: (b) => protobufReading.decode(b as Uint8Array) },
        msgpackrCodec(),
        jsonCodec(),
      ],
    },
  ];
}

export interface CodecResult {
  readonly case: string;
  readonly codec: string;
  readonly encodesPerSecond: number;
  readonly decodesPerSecond: number;
  readonly bytes: number;
}

export function measureCodecs(seconds: number): CodecResult[] {
  const results: CodecResult[] = [];
  for (const benchCase of codecCases() as Case<unknown>[]) {
    for (const codec of benchCase.codecs) {
      const encoded = codec.encode(benchCase.value);
      const decoded = codec.decode(encoded) as Record<string, unknown>;
      if (decoded === null || typeof decoded !== 'object')
        throw new Error(`${codec.name} decoded ${benchCase.name} to nothing`);
      const ms = (seconds * 1000) / 2;
      rate(() => codec.encode(benchCase.value), WARMUP_MS);
      const encodesPerSecond = rate(() => codec.encode(benchCase.value), ms);
      rate(() => codec.decode(encoded), WARMUP_MS);
      const decodesPerSecond = rate(() => codec.decode(encoded), ms);
      const bytes = typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.length;
      results.push({ case: benchCase.name, codec: codec.name, encodesPerSecond, decodesPerSecond, bytes });
    }
  }
  return results;
}

function formatRate(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : `${(value / 1e3).toFixed(1)}k`;
}

export function formatCodecResults(results: readonly CodecResult[]): string {
  const lines = ['case | codec | encode/s | decode/s | bytes'];
  for (const result of results) {
    lines.push(
      `${result.case} | ${result.codec} | ${formatRate(result.encodesPerSecond)} | ${formatRate(result.decodesPerSecond)} | ${result.bytes}`,
    );
  }
  for (const name of new Set(results.map((result) => result.case))) {
    const ours = results.find((result) => result.case === name && result.codec === 'sockspec')!;
    for (const other of results.filter((result) => result.case === name && result.codec !== 'sockspec')) {
      lines.push(
        `ratio ${name}: sockspec / ${other.codec} encode ${(ours.encodesPerSecond / other.encodesPerSecond).toFixed(2)}, decode ${(ours.decodesPerSecond / other.decodesPerSecond).toFixed(2)}`,
      );
    }
  }
  return lines.join('\n');
}

export function runCodecBench(args: readonly string[]): number {
  let seconds = 4;
  for (let index = 0; index < args.length; index += 1) {
    const value = Number(args[index + 1]);
    if (args[index] === '--seconds' && Number.isFinite(value) && value > 0 && value <= MAX_SECONDS) {
      seconds = value;
      index += 1;
    } else {
      process.stderr.write(
        `bench codec: unknown or invalid option ${args[index]}; use --seconds N (at most ${MAX_SECONDS})\n`,
      );
      return USAGE_EXIT_CODE;
    }
  }
  process.stdout.write(`${formatCodecResults(measureCodecs(seconds))}\n\n`);
  // A quarter of the per-codec time for each of the 16 stream cases.
  process.stdout.write(`${formatFrameStreamResults(measureFrameStreams((seconds * 1000) / 4))}\n`);
  return 0;
}
