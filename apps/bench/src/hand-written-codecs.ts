/**
 * The codec bench's hand-written baseline: what a careful Node programmer
 * writes with a DataView for the same bytes as the generated codecs (the
 * bench's test checks the bytes are equal). It checks what keeps the frame
 * sound, each string's size against its length prefix and strict UTF-8 on
 * the way in, and leaves out what the generated code also checks: the
 * spec's patterns, integer ranges, enum names, Date validity, and errors
 * that name the field.
 *
 * Frames come from Buffer.allocUnsafe, Node's pooled allocation, and strings
 * go through Buffer.write: the fastest plain-Node choices.
 */

import type { SaidFields } from '@sockspec/protocol-chat';
import type { ListingFields } from '@sockspec/protocol-file-transfer';
import type { ReadingFields } from '@sockspec/protocol-telemetry';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function frameOf(size: number): { frame: Buffer; view: DataView } {
  const frame = Buffer.allocUnsafe(size);
  return { frame, view: new DataView(frame.buffer, frame.byteOffset, size) };
}

function sizeChecked(text: string, max: number, what: string): number {
  const bytes = Buffer.byteLength(text);
  if (bytes > max) throw new RangeError(`${what} is ${bytes} bytes, more than ${max}`);
  return bytes;
}

function text(frame: Uint8Array, from: number, length: number): string {
  if (from + length > frame.length) throw new RangeError('frame ends inside a string');
  return strictUtf8.decode(frame.subarray(from, from + length));
}

function setMillis(view: DataView, at: number, date: Date): void {
  view.setBigInt64(at, BigInt(date.getTime()));
}

// chat Said: u32 length | u8 type 4 | u32 id | u8+room | u8+nick | u16+text | i64 unix millis.
export function encodeSaidByHand(said: SaidFields): Uint8Array {
  const room = sizeChecked(said.room, 64, 'room');
  const nick = sizeChecked(said.nick, 32, 'nick');
  const body = sizeChecked(said.text, 4000, 'text');
  const size = 21 + room + nick + body;
  const { frame, view } = frameOf(size);
  view.setUint32(0, size - 4);
  frame[4] = 4;
  view.setUint32(5, said.id);
  frame[9] = room;
  let at = 10 + frame.write(said.room, 10);
  frame[at] = nick;
  at += 1 + frame.write(said.nick, at + 1);
  view.setUint16(at, body);
  at += 2 + frame.write(said.text, at + 2);
  setMillis(view, at, said.at);
  return frame;
}

export function decodeSaidByHand(frame: Uint8Array): SaidFields {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 10 || frame[4] !== 4) throw new RangeError('not a Said');
  const id = view.getUint32(5);
  const roomLength = frame[9]!;
  const room = text(frame, 10, roomLength);
  let at = 10 + roomLength;
  const nickLength = frame[at]!;
  const nick = text(frame, at + 1, nickLength);
  at += 1 + nickLength;
  const textLength = view.getUint16(at);
  const said = text(frame, at + 2, textLength);
  at += 2 + textLength;
  if (at + 8 !== frame.length) throw new RangeError('Said has the wrong size');
  return { id, room, nick, text: said, at: new Date(Number(view.getBigInt64(at))) };
}

const KIND_CODES = { file: 1, directory: 2, other: 3 } as const;
const KIND_NAMES = [undefined, 'file', 'directory', 'other'] as const;

// file-transfer Listing: u32 length | u8 type 2 | u32 id | u16+path | u16 count | count × (u16+name, u8 kind, u64 size, i64 millis).
export function encodeListingByHand(listing: ListingFields): Uint8Array {
  const path = sizeChecked(listing.path, 4096, 'path');
  let size = 13 + path;
  for (const entry of listing.entries) size += 19 + sizeChecked(entry.name, 1024, 'name');
  const { frame, view } = frameOf(size);
  view.setUint32(0, size - 4);
  frame[4] = 2;
  view.setUint32(5, listing.id);
  view.setUint16(9, path);
  let at = 11 + frame.write(listing.path, 11);
  view.setUint16(at, listing.entries.length);
  at += 2;
  for (const entry of listing.entries) {
    const name = frame.write(entry.name, at + 2);
    view.setUint16(at, name);
    at += 2 + name;
    frame[at] = KIND_CODES[entry.kind];
    view.setBigUint64(at + 1, entry.size);
    setMillis(view, at + 9, entry.modified);
    at += 17;
  }
  return frame;
}

export function decodeListingByHand(frame: Uint8Array): ListingFields {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 13 || frame[4] !== 2) throw new RangeError('not a Listing');
  const id = view.getUint32(5);
  const pathLength = view.getUint16(9);
  const path = text(frame, 11, pathLength);
  let at = 11 + pathLength;
  const count = view.getUint16(at);
  at += 2;
  const entries: ListingFields['entries'][number][] = [];
  for (let index = 0; index < count; index += 1) {
    const nameLength = view.getUint16(at);
    const name = text(frame, at + 2, nameLength);
    at += 2 + nameLength;
    if (at + 17 > frame.length) throw new RangeError('frame ends inside an entry');
    const kind = KIND_NAMES[frame[at]!];
    if (kind === undefined) throw new RangeError('unknown entry kind');
    entries.push({ name, kind, size: view.getBigUint64(at + 1), modified: new Date(Number(view.getBigInt64(at + 9))) });
    at += 17;
  }
  if (at !== frame.length) throw new RangeError('Listing has the wrong size');
  return { id, path, entries };
}

// telemetry Reading: u16 length | u8 type 1 | u32 id | u32 device | u64 sequence | i64 takenAtMs | f64 | f32 | u32 | i16 | u8 | u16 flags.
export function encodeReadingByHand(reading: ReadingFields): Uint8Array {
  const { frame, view } = frameOf(48);
  view.setUint16(0, 46);
  frame[2] = 1;
  view.setUint32(3, reading.id);
  view.setUint32(7, reading.device);
  view.setBigUint64(11, reading.sequence);
  view.setBigInt64(19, reading.takenAtMs);
  view.setFloat64(27, reading.temperature);
  view.setFloat32(35, reading.humidity);
  view.setUint32(39, reading.pressure);
  view.setInt16(43, reading.rssi);
  frame[45] = reading.battery;
  const { charging, lowBattery, tampered, calibrated } = reading.flags;
  view.setUint16(46, (charging ? 1 : 0) | (lowBattery ? 2 : 0) | (tampered ? 4 : 0) | (calibrated ? 8 : 0));
  return frame;
}

export function decodeReadingByHand(frame: Uint8Array): ReadingFields {
  if (frame.length !== 48 || frame[2] !== 1) throw new RangeError('not a Reading');
  const view = new DataView(frame.buffer, frame.byteOffset, 48);
  const flags = view.getUint16(46);
  return {
    id: view.getUint32(3),
    device: view.getUint32(7),
    sequence: view.getBigUint64(11),
    takenAtMs: view.getBigInt64(19),
    temperature: view.getFloat64(27),
    humidity: view.getFloat32(35),
    pressure: view.getUint32(39),
    rssi: view.getInt16(43),
    battery: frame[45]!,
    flags: {
      charging: (flags & 1) !== 0,
      lowBattery: (flags & 2) !== 0,
      tampered: (flags & 4) !== 0,
      calibrated: (flags & 8) !== 0,
    },
  };
}
