/**
 * The codec bench's protobuf-es baseline. `proto/bench.proto` holds the
 * three messages in idiomatic proto3; `src/gen/bench_pb.ts` is what
 * protobuf-es's own plugin (protoc-gen-es, run by buf) generates from it
 * (`pnpm --filter @sockspec/bench proto`; a test fails when it drifts).
 * Values are mapped to and from the app's types each way, as an app would.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { SaidFields } from '@sockspec/protocol-chat';
import type { ListingFields } from '@sockspec/protocol-file-transfer';
import type { ReadingFields } from '@sockspec/protocol-telemetry';
import { Kind, ListingSchema, ReadingSchema, SaidSchema } from './gen/bench_pb.js';

const KINDS = { file: Kind.FILE, directory: Kind.DIRECTORY, other: Kind.OTHER } as const;
const KIND_NAMES = { [Kind.FILE]: 'file', [Kind.DIRECTORY]: 'directory', [Kind.OTHER]: 'other' } as const;

export const protobufSaid = {
  encode: (said: SaidFields): Uint8Array =>
    toBinary(
      SaidSchema,
      create(SaidSchema, {
        id: said.id,
        room: said.room,
        nick: said.nick,
        text: said.text,
        at: timestampFromDate(said.at),
      }),
    ),
  decode: (bytes: Uint8Array): SaidFields => {
    const decoded = fromBinary(SaidSchema, bytes);
    return {
      id: decoded.id,
      room: decoded.room,
      nick: decoded.nick,
      text: decoded.text,
      at: decoded.at === undefined ? new Date(0) : timestampDate(decoded.at),
    };
  },
};

export const protobufListing = {
  encode: (listing: ListingFields): Uint8Array =>
    toBinary(
      ListingSchema,
      create(ListingSchema, {
        id: listing.id,
        path: listing.path,
        entries: listing.entries.map((entry) => ({
          name: entry.name,
          kind: KINDS[entry.kind],
          size: entry.size,
          modified: timestampFromDate(entry.modified),
        })),
      }),
    ),
  decode: (bytes: Uint8Array): ListingFields => {
    const decoded = fromBinary(ListingSchema, bytes);
    return {
      id: decoded.id,
      path: decoded.path,
      entries: decoded.entries.map((entry) => ({
        name: entry.name,
        kind: KIND_NAMES[entry.kind],
        size: entry.size,
        modified: entry.modified === undefined ? new Date(0) : timestampDate(entry.modified),
      })),
    };
  },
};

export const protobufReading = {
  encode: (reading: ReadingFields): Uint8Array =>
    toBinary(
      ReadingSchema,
      create(ReadingSchema, {
        id: reading.id,
        device: reading.device,
        sequence: reading.sequence,
        takenAtMs: reading.takenAtMs,
        temperature: reading.temperature,
        humidity: reading.humidity,
        pressure: reading.pressure,
        rssi: reading.rssi,
        battery: reading.battery,
        flags: reading.flags,
      }),
    ),
  decode: (bytes: Uint8Array): ReadingFields => {
    const decoded = fromBinary(ReadingSchema, bytes);
    const flags = decoded.flags;
    return {
      id: decoded.id,
      device: decoded.device,
      sequence: decoded.sequence,
      takenAtMs: decoded.takenAtMs,
      temperature: decoded.temperature,
      humidity: decoded.humidity,
      pressure: decoded.pressure,
      rssi: decoded.rssi,
      battery: decoded.battery,
      flags: {
        charging: flags?.charging ?? false,
        lowBattery: flags?.lowBattery ?? false,
        tampered: flags?.tampered ?? false,
        calibrated: flags?.calibrated ?? false,
      },
    };
  },
};
