/**
 * The codec bench's protobuf-es baseline: the chat Said and file-transfer
 * Listing as proto3 messages, with the idiomatic types (a Timestamp for each
 * time, an enum for the entry kind, uint64 sizes as bigint).
 *
 * protobuf-es 2 generates a file descriptor and runs its reflection-based
 * runtime over it; without protoc on this machine the same descriptor is
 * built here from FileDescriptorProto, which is what `protoc-gen-es` embeds:
 *
 *   syntax = "proto3"; package sockspec.bench;
 *   import "google/protobuf/timestamp.proto";
 *   message Said { uint32 id = 1; string room = 2; string nick = 3; string text = 4; google.protobuf.Timestamp at = 5; }
 *   enum Kind { KIND_FILE = 0; KIND_DIRECTORY = 1; }
 *   message Entry { string name = 1; Kind kind = 2; uint64 size = 3; google.protobuf.Timestamp modified = 4; }
 *   message Listing { uint32 id = 1; string path = 2; repeated Entry entries = 3; }
 */
import { create, createFileRegistry, type DescMessage, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  file_google_protobuf_timestamp,
  FieldDescriptorProto_Label as Label,
  type Timestamp,
  FieldDescriptorProto_Type as Type,
  timestampDate,
  timestampFromDate,
} from '@bufbuild/protobuf/wkt';
import type { SaidFields } from '@sockspec/protocol-chat';
import type { ListingFields } from '@sockspec/protocol-file-transfer';

const TIMESTAMP = '.google.protobuf.Timestamp';

function field(name: string, number: number, type: Type, typeName?: string, repeated = false) {
  return {
    name,
    number,
    type,
    label: repeated ? Label.REPEATED : Label.OPTIONAL,
    jsonName: name,
    ...(typeName === undefined ? {} : { typeName }),
  };
}

const file = create(FileDescriptorProtoSchema, {
  name: 'sockspec/bench.proto',
  package: 'sockspec.bench',
  syntax: 'proto3',
  dependency: ['google/protobuf/timestamp.proto'],
  enumType: [
    {
      name: 'Kind',
      value: [
        { name: 'KIND_FILE', number: 0 },
        { name: 'KIND_DIRECTORY', number: 1 },
      ],
    },
  ],
  messageType: [
    {
      name: 'Said',
      field: [
        field('id', 1, Type.UINT32),
        field('room', 2, Type.STRING),
        field('nick', 3, Type.STRING),
        field('text', 4, Type.STRING),
        field('at', 5, Type.MESSAGE, TIMESTAMP),
      ],
    },
    {
      name: 'Entry',
      field: [
        field('name', 1, Type.STRING),
        field('kind', 2, Type.ENUM, '.sockspec.bench.Kind'),
        field('size', 3, Type.UINT64),
        field('modified', 4, Type.MESSAGE, TIMESTAMP),
      ],
    },
    {
      name: 'Listing',
      field: [
        field('id', 1, Type.UINT32),
        field('path', 2, Type.STRING),
        field('entries', 3, Type.MESSAGE, '.sockspec.bench.Entry', true),
      ],
    },
  ],
});

const registry = createFileRegistry(file, (name) =>
  name === 'google/protobuf/timestamp.proto' ? file_google_protobuf_timestamp : undefined,
);

function message(name: string): DescMessage {
  const desc = registry.getMessage(`sockspec.bench.${name}`);
  if (desc === undefined) throw new Error(`bench: the protobuf descriptor has no message ${name}`);
  return desc;
}

const SAID = message('Said');
const LISTING = message('Listing');

interface ProtoSaid {
  readonly id: number;
  readonly room: string;
  readonly nick: string;
  readonly text: string;
  readonly at?: Timestamp;
}

interface ProtoListing {
  readonly id: number;
  readonly path: string;
  readonly entries: readonly { name: string; kind: number; size: bigint; modified?: Timestamp }[];
}

/** Said to protobuf and back; the value is mapped to and from the app's own type each way, as an app would. */
export const protobufSaid = {
  encode: (said: SaidFields): Uint8Array =>
    toBinary(
      SAID,
      create(SAID, { id: said.id, room: said.room, nick: said.nick, text: said.text, at: timestampFromDate(said.at) }),
    ),
  decode: (bytes: Uint8Array): SaidFields => {
    const decoded = fromBinary(SAID, bytes) as unknown as ProtoSaid;
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
      LISTING,
      create(LISTING, {
        id: listing.id,
        path: listing.path,
        entries: listing.entries.map((entry) => ({
          name: entry.name,
          kind: entry.kind === 'directory' ? 1 : 0,
          size: entry.size,
          modified: timestampFromDate(entry.modified),
        })),
      }),
    ),
  decode: (bytes: Uint8Array): ListingFields => {
    const decoded = fromBinary(LISTING, bytes) as unknown as ProtoListing;
    return {
      id: decoded.id,
      path: decoded.path,
      entries: decoded.entries.map((entry) => ({
        name: entry.name,
        kind: entry.kind === 1 ? 'directory' : 'file',
        size: entry.size,
        modified: entry.modified === undefined ? new Date(0) : timestampDate(entry.modified),
      })),
    };
  },
};
