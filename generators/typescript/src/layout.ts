import {
  type ChecksumIR,
  type ConstantValueIR,
  endsItsLayout,
  type FieldIR,
  fixedSize,
  type IntTypeIR,
  type LengthPrefixedFramingIR,
  MAX_NESTING_DEPTH,
  messageConstantFor,
  nestingDepth,
  type ProtocolIR,
  type TypeIR,
  type WhenIR,
} from '@sockspec/spec';
import { UnsupportedFeatureError } from './define.js';
import type { MessageModel } from './model.js';

/**
 * One slot of a binary frame, in wire order: the framing's length prefix,
 * the discriminator, or a field (header fields first, then the message's).
 */
export type Slot =
  | { readonly kind: 'length'; readonly framing: LengthPrefixedFramingIR }
  | { readonly kind: 'discriminator'; readonly field: FieldIR; readonly code: number }
  /** A `const:` field: written by the encoder, checked by the decoder, not part of the message's type. */
  | { readonly kind: 'constant'; readonly field: FieldIR; readonly constant: ConstantValueIR }
  /**
   * A `computed` field: the length or count of `target`, which names it;
   * null when this message has no such field (a header field), and it is 0.
   */
  | { readonly kind: 'computed'; readonly field: FieldIR; readonly target: SizedField | null }
  | { readonly kind: 'field'; readonly field: FieldIR; readonly last: boolean }
  /** A `checksum:` field over the frame's bytes from `from` (a field; null: byte 0) up to it. */
  | { readonly kind: 'checksum'; readonly field: FieldIR; readonly checksum: ChecksumIR }
  /** A run of bit fields filling `bytes` whole bytes, read and written as one integer. */
  | { readonly kind: 'bits'; readonly word: IntTypeIR; readonly members: readonly BitMember[] };

/** One bit field of a run: `(word >>> shift) & mask`, and what the field is in this message. */
export interface BitMember {
  readonly field: FieldIR;
  readonly shift: number;
  readonly width: number;
  readonly role:
    | { readonly kind: 'value' }
    | { readonly kind: 'discriminator'; readonly code: number }
    | { readonly kind: 'constant'; readonly value: number; readonly display: string };
}

/** Checksums by their catalogue names, for byte tables a peer implements from. */
const CHECKSUM_NAMES: Record<ChecksumIR['algorithm'], string> = {
  crc32: 'CRC-32 (IEEE, as zlib)',
  'crc16-ccitt': 'CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF)',
  adler32: 'Adler-32',
  sum8: 'the sum modulo 256',
  xor8: 'the XOR',
};

/** The mask of a bit field's width, as a literal. */
export function bitMask(width: number): string {
  return `0x${(2 ** width - 1).toString(16)}`;
}

export { fixedSize, MAX_NESTING_DEPTH, nestingDepth };

/** A field whose length (string, bytes) or element count (list) another field holds. */
export interface SizedField {
  readonly field: FieldIR;
  readonly unit: 'bytes' | 'elements';
}

/** The field that takes its size from `name`, among the fields of one frame. */
export function sizedBy(name: string, fields: readonly FieldIR[]): SizedField | null {
  for (const field of fields) {
    // A field present on another's say-so (`when`) is sized as its value when it is there.
    const type = field.type.kind === 'optional' && field.type.when !== undefined ? field.type.value : field.type;
    if (
      (type.kind === 'string' || type.kind === 'bytes') &&
      type.length.kind === 'field' &&
      type.length.field === name
    ) {
      return { field, unit: 'bytes' };
    }
    if (type.kind === 'struct' && type.size?.field === name) return { field, unit: 'bytes' };
    if (type.kind === 'array' && type.count.kind === 'field' && type.count.field === name) {
      return { field, unit: 'elements' };
    }
  }
  return null;
}

/** The slots of one binary message; throws when the spec asks for a layout this generator cannot emit. */
export function messageSlots(ir: ProtocolIR, message: MessageModel): Slot[] {
  const where = `message ${message.name}`;
  const framed = ir.framing.kind === 'length-prefixed' ? ir.framing : null;
  const slots: Slot[] = [];
  let position = 0;
  let lengthPlaced = framed === null;
  const placeLength = (): void => {
    if (framed !== null && !lengthPlaced && position === framed.lengthOffset) {
      slots.push({ kind: 'length', framing: framed });
      // After a varint length nothing has a fixed offset.
      position = framed.lengthVarint === true ? -1 : position + framed.lengthBytes;
      lengthPlaced = true;
    }
  };
  const own = new Set(message.ir.fields.map((field) => field.name));
  const fields = [...ir.header, ...message.ir.fields];
  let run: FieldIR[] = [];
  const closeRun = (): void => {
    if (run.length === 0) return;
    const bits = run.reduce((sum, field) => sum + (field.type.kind === 'bits' ? field.type.width : 0), 0);
    if (bits !== 8 && bits !== 16 && bits !== 32) {
      throw new UnsupportedFeatureError(ir.sourceFile, where, `a run of ${bits} bits (runs are 8, 16 or 32 bits)`);
    }
    const order = run[0]!.type.kind === 'bits' ? run[0]!.type.bitOrder : 'big';
    let used = 0;
    const members = run.map((field): BitMember => {
      const width = field.type.kind === 'bits' ? field.type.width : 0;
      const shift = order === 'big' ? bits - used - width : used;
      used += width;
      const constant = messageConstantFor(message.ir, field);
      const role: BitMember['role'] =
        field.name === ir.discriminator
          ? { kind: 'discriminator', code: message.ir.code ?? 0 }
          : constant?.kind === 'int'
            ? { kind: 'constant', value: constant.value, display: constant.display }
            : { kind: 'value' };
      return { field, shift, width, role };
    });
    slots.push({
      kind: 'bits',
      word: { kind: 'int', bits: bits as 8 | 16 | 32, signed: false, endian: ir.byteOrder },
      members,
    });
    run = [];
  };
  fields.forEach((field, index) => {
    if (field.type.kind === 'bits') {
      // The length field sits on a byte boundary: before a run or after it, never inside.
      if (run.length === 0) placeLength();
      run.push(field);
      position = position < 0 ? -1 : position + field.type.width / 8;
      // A run starts on a byte boundary (check insists), so it ends where its bits fill whole bytes; counting the
      // run's own bits also works after a varint length, where the position in the frame is not known.
      if (run.reduce((sum, member) => sum + (member.type.kind === 'bits' ? member.type.width : 0), 0) % 8 === 0) {
        closeRun();
      }
      return;
    }
    closeRun();
    placeLength();
    checkSupported(
      ir.sourceFile,
      `${where}, field ${field.name}`,
      field.type,
      endsItsLayout(fields, index, message.ir.switches ?? []),
    );
    const size = fixedSize(field.type);
    if (field.name === ir.discriminator && !own.has(field.name)) {
      if (message.ir.code === null || field.type.kind !== 'int') {
        throw new UnsupportedFeatureError(ir.sourceFile, where, 'a discriminator that is not an integer code');
      }
      slots.push({ kind: 'discriminator', field, code: message.ir.code });
    } else if (messageConstantFor(message.ir, field) !== null) {
      slots.push({ kind: 'constant', field, constant: messageConstantFor(message.ir, field)! });
    } else if (field.computed === true) {
      slots.push({ kind: 'computed', field, target: sizedBy(field.name, fields) });
    } else if (field.checksum !== undefined) {
      slots.push({ kind: 'checksum', field, checksum: field.checksum });
    } else {
      // A field followed only by its switch's other cases is the last of its layout: it may run to the end.
      slots.push({ kind: 'field', field, last: endsItsLayout(fields, index, message.ir.switches ?? []) });
    }
    position = size === null || position < 0 ? -1 : position + size;
  });
  closeRun();
  placeLength();
  if (!lengthPlaced) {
    throw new UnsupportedFeatureError(
      ir.sourceFile,
      where,
      `a length field at byte ${framed?.lengthOffset} that does not start on a header field boundary`,
    );
  }
  return slots;
}

function checkSupported(sourceFile: string, where: string, type: TypeIR, last: boolean, depth = 0): void {
  if (depth > MAX_NESTING_DEPTH) {
    throw new UnsupportedFeatureError(sourceFile, where, `types nested more than ${MAX_NESTING_DEPTH} levels deep`);
  }
  switch (type.kind) {
    case 'int':
    case 'float':
    case 'bool':
    case 'enum':
    case 'flags':
      return;
    case 'timestamp':
      if (type.representation === 'ctime' || type.representation === 'iso8601') {
        throw new UnsupportedFeatureError(sourceFile, where, `a ${type.representation} timestamp in a binary frame`);
      }
      return;
    case 'string':
    case 'bytes':
      if (type.length.kind === 'rest' && !last) {
        throw new UnsupportedFeatureError(sourceFile, where, 'a rest-of-frame value that is not the last field');
      }
      return;
    case 'struct':
      // A rest-of-frame value cannot hide inside a struct: the struct's own size would have to come from the frame.
      for (const field of type.fields)
        checkSupported(sourceFile, `${where}.${field.name}`, field.type, false, depth + 1);
      return;
    case 'array':
      checkSupported(sourceFile, `${where}[]`, type.element, false, depth + 1);
      return;
    case 'optional':
      // Present `when` another field says so, the value is still a top-level field: it may be the last.
      checkSupported(sourceFile, where, type.value, type.when !== undefined && last, depth + 1);
      return;
  }
}

/** A row of the byte layout table in a generated README. */
export interface LayoutRow {
  readonly offset: string;
  readonly size: string;
  readonly name: string;
  readonly type: string;
  readonly notes: string;
}

/** A byte position: a constant plus terms known only from the frame, such as `len(name)`. */
interface Position {
  /** Written before the terms, e.g. `tags[i]` for offsets inside an array element. */
  readonly base: string;
  constant: number;
  readonly terms: string[];
}

function positionText(at: Position): string {
  const parts = [
    ...(at.base === '' ? [] : [at.base]),
    ...(at.constant === 0 && (at.base !== '' || at.terms.length > 0) ? [] : [String(at.constant)]),
    ...at.terms,
  ];
  return parts.join(' + ');
}

function joinNotes(...notes: string[]): string {
  return notes.filter((note) => note !== '').join('; ');
}

function endianName(endian: 'big' | 'little', bytes: number): string {
  return bytes > 1 ? ` ${endian}-endian` : '';
}

/**
 * What the length field's value means, adjustment included, so that a peer
 * written from the table alone frames correctly (a peer that missed the
 * adjustment stalls waiting for bytes that never come).
 */
export function lengthNote(framing: LengthPrefixedFramingIR): string {
  if (framing.lengthVarint === true) {
    const adjustment = framing.lengthAdjustment;
    const change = adjustment > 0 ? ` less ${adjustment}` : adjustment < 0 ? ` plus ${-adjustment}` : '';
    const total = framing.lengthOffset + adjustment;
    const formula = `${total === 0 ? '' : `${total} + `}size(length) + value`;
    return `a varint of 1 to ${framing.lengthBytes} bytes; counts the bytes after it${change} (frame bytes = ${formula})`;
  }
  const before = framing.lengthOffset + framing.lengthBytes;
  // The IR's adjustment is normalised: frame bytes = offset + width + value + adjustment.
  const [base, adjustment] =
    framing.lengthCounts === 'frame'
      ? ['the whole frame', framing.lengthAdjustment + before]
      : ['the bytes after it', framing.lengthAdjustment];
  const change = adjustment > 0 ? ` less ${adjustment}` : adjustment < 0 ? ` plus ${-adjustment}` : '';
  const total = before + framing.lengthAdjustment;
  const formula = total === 0 ? 'value' : total > 0 ? `value + ${total}` : `value - ${-total}`;
  return `counts ${base}${change} (frame bytes = ${formula})`;
}

/** The rows of a message's byte layout, nested values flattened to `a.b`, `list[i]` and `value?` names. */
export function layoutRows(slots: readonly Slot[]): LayoutRow[] {
  const rows: LayoutRow[] = [];
  const at: Position = { base: '', constant: 0, terms: [] };
  for (const slot of slots) {
    if (slot.kind === 'length') {
      const size = slot.framing.lengthBytes;
      const varint = slot.framing.lengthVarint === true;
      rows.push({
        offset: positionText(at),
        size: varint ? 'size(length)' : String(size),
        name: '(length)',
        type: varint ? 'unsigned LEB128 varint' : `u${size * 8}${endianName(slot.framing.lengthEndian, size)}`,
        notes: lengthNote(slot.framing),
      });
      if (varint) at.terms.push('size(length)');
      else at.constant += size;
    } else if (slot.kind === 'discriminator') {
      const size = fixedSize(slot.field.type)!;
      rows.push({
        offset: positionText(at),
        size: String(size),
        name: slot.field.name,
        type: wireType(slot.field.type),
        notes: `discriminator: ${slot.code} for this message`,
      });
      at.constant += size;
    } else if (slot.kind === 'computed') {
      const size = fixedSize(slot.field.type)!;
      const target = slot.target;
      rows.push({
        offset: positionText(at),
        size: String(size),
        name: slot.field.name,
        type: wireType(slot.field.type),
        notes: joinNotes(
          target === null
            ? '0: this message has no field it gives the size of'
            : `${target.unit === 'bytes' ? `len(${target.field.name})` : `count(${target.field.name})`}, filled in by the encoder`,
          slot.field.description,
        ),
      });
      at.constant += size;
    } else if (slot.kind === 'constant') {
      const size = fixedSize(slot.field.type)!;
      rows.push({
        offset: positionText(at),
        size: String(size),
        name: slot.field.name,
        type: slot.constant.kind === 'bytes' ? `bytes[${size}]` : wireType(slot.field.type),
        notes: joinNotes(
          `constant ${describeConstant(slot.constant)}; anything else is an error`,
          slot.field.description,
        ),
      });
      at.constant += size;
    } else if (slot.kind === 'checksum') {
      const size = fixedSize(slot.field.type)!;
      const start = slot.checksum.from === null ? 'byte 0' : `the start of ${slot.checksum.from}`;
      rows.push({
        offset: positionText(at),
        size: String(size),
        name: slot.field.name,
        type: wireType(slot.field.type),
        notes: joinNotes(
          `${CHECKSUM_NAMES[slot.checksum.algorithm]} of the bytes from ${start} up to this field; a mismatch is an error`,
          slot.field.description,
        ),
      });
      at.constant += size;
    } else if (slot.kind === 'bits') {
      const offset = positionText(at);
      const word = wireType(slot.word);
      for (const member of slot.members) {
        const high = member.shift + member.width - 1;
        const bits = member.width === 1 ? `bit ${member.shift}` : `bits ${high}–${member.shift}`;
        const role =
          member.role.kind === 'discriminator'
            ? `discriminator: ${member.role.code} for this message`
            : member.role.kind === 'constant'
              ? `constant ${member.role.display}; anything else is an error`
              : member.width === 1
                ? '1 = true'
                : '';
        rows.push({
          offset,
          size: `${member.width} bit${member.width === 1 ? '' : 's'}`,
          name: member.field.name,
          type: `b${member.width}`,
          notes: joinNotes(`${bits} of the ${word} at ${offset}`, role, member.field.description),
        });
      }
      at.constant += slot.word.bits / 8;
    } else {
      typeRows(slot.field.type, slot.field.name, slot.field.description, at, rows);
    }
  }
  return rows;
}

function typeRows(type: TypeIR, name: string, notes: string, at: Position, rows: LayoutRow[]): void {
  const row = (size: string, typeText: string, rowNotes: string, rowName = name): void => {
    rows.push({ offset: positionText(at), size, name: rowName, type: typeText, notes: rowNotes });
  };
  const fixed = fixedSize(type);
  switch (type.kind) {
    case 'string':
    case 'bytes': {
      const what = type.kind === 'string' ? 'utf-8' : 'bytes';
      const pattern = type.kind === 'string' && type.pattern !== null ? `must match /${type.pattern}/` : '';
      switch (type.length.kind) {
        case 'fixed':
          row(
            String(type.length.bytes),
            `${what}[${type.length.bytes}]`,
            joinNotes(type.kind === 'string' ? 'NUL-padded; the value ends at the first NUL' : '', pattern, notes),
          );
          at.constant += type.length.bytes;
          return;
        case 'prefixed': {
          const bytes = type.length.bytes;
          row(
            String(bytes),
            `u${bytes * 8}${endianName(type.length.endian, bytes)}`,
            `len(${name}), at most ${type.maxBytes}`,
            `${name} (length)`,
          );
          at.constant += bytes;
          row(`len(${name})`, what, joinNotes(pattern, notes));
          at.terms.push(`len(${name})`);
          return;
        }
        case 'terminated':
          row(
            `len(${name}) + 1`,
            what,
            joinNotes(
              `ends at byte 0x${type.length.terminator.toString(16).padStart(2, '0')}, which is not part of the value; at most ${type.maxBytes} bytes before it`,
              pattern,
              notes,
            ),
          );
          at.constant += 1;
          at.terms.push(`len(${name})`);
          return;
        case 'rest':
          row(`len(${name})`, what, joinNotes(`the rest of the frame, at most ${type.maxBytes} bytes`, pattern, notes));
          at.terms.push(`len(${name})`);
          return;
        case 'field':
          row(
            `len(${name})`,
            what,
            joinNotes(`len(${name}) = ${type.length.field}, at most ${type.maxBytes}`, pattern, notes),
          );
          at.terms.push(`len(${name})`);
          return;
      }
      return;
    }
    case 'struct':
      for (const field of type.fields) typeRows(field.type, `${name}.${field.name}`, field.description, at, rows);
      return;
    case 'array': {
      const count = type.count;
      if (count.kind === 'prefixed') {
        row(
          String(count.bytes),
          `u${count.bytes * 8}${endianName(count.endian, count.bytes)}`,
          `count(${name}), at most ${type.maxCount}`,
          `${name} (count)`,
        );
        at.constant += count.bytes;
      }
      const element = fixedSize(type.element);
      const total = element === null ? `size(${name})` : `count(${name}) × ${element}`;
      const composite =
        type.element.kind === 'struct' || type.element.kind === 'array' || type.element.kind === 'optional';
      const elementType = composite
        ? `${type.element.typeName ?? type.element.kind}, repeated`
        : `${wireType(type.element)}, repeated`;
      const each = composite
        ? 'the elements, one after another, each laid out as in the rows below'
        : 'the elements, one after another';
      const counted =
        count.kind === 'field'
          ? `count(${name}) = ${count.field}, at most ${type.maxCount}`
          : count.kind === 'rest'
            ? `to the end of the frame, at most ${type.maxCount} elements`
            : '';
      row(total, elementType, joinNotes(counted, each, notes), `${name}[i]`);
      if (composite) {
        typeRows(type.element, `${name}[i]`, '', { base: `${name}[i]`, constant: 0, terms: [] }, rows);
      }
      at.terms.push(total);
      return;
    }
    case 'optional': {
      const when = type.when;
      if (when === undefined) {
        row('1', 'u8', '0 = absent, 1 = present; anything else is an error', `${name} (present)`);
        at.constant += 1;
      }
      const condition = when === undefined ? 'only when present' : `only when ${describeWhen(when)}`;
      const before = rows.length;
      typeRows(type.value, name, notes, { base: at.base, constant: at.constant, terms: [...at.terms] }, rows);
      for (let index = before; index < rows.length; index += 1) {
        const inner = rows[index]!;
        rows[index] = { ...inner, notes: joinNotes(condition, inner.notes) };
      }
      const value = fixedSize(type.value);
      at.terms.push(value === null ? `size(${name})` : `${value} × present(${name})`);
      return;
    }
    case 'varint':
      row(
        `size(${name})`,
        wireType(type),
        joinNotes(
          `7 bits a byte, low bits first; the high bit is set on every byte but the last${type.zigzag ? '; zigzag: 0, -1, 1, -2 are 0, 1, 2, 3' : ''}`,
          notes,
        ),
      );
      at.terms.push(`size(${name})`);
      return;
    default:
      row(String(fixed), wireType(type), joinNotes(valueNotes(type), notes));
      at.constant += fixed ?? 0;
  }
}

/** `0xcafe (51966)`, `ok (0)`, `"PK\x03\x04" (50 4b 03 04)`: what a peer writes, both ways a byte table shows it. */
export function describeConstant(constant: ConstantValueIR): string {
  if (constant.kind === 'bytes') {
    const hex = constant.bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    return `"${constant.display}" (${hex})`;
  }
  const hex = `0x${constant.value.toString(16)}`;
  if (constant.display !== String(constant.value)) return `${constant.display} (${constant.value})`;
  return constant.value >= 10 ? `${hex} (${constant.value})` : String(constant.value);
}

function valueNotes(type: TypeIR): string {
  switch (type.kind) {
    case 'bool':
      return '0 = false, 1 = true; anything else is an error';
    case 'enum':
      return `${type.values.map((value) => `${value.value} = ${value.name}`).join(', ')}; anything else is an error`;
    case 'flags':
      return `${type.flags.map((flag) => `bit ${flag.bit} = ${flag.name}`).join(', ')}; any other bit set is an error`;
    case 'timestamp':
      return type.representation === 'unix-seconds'
        ? 'seconds since 1970-01-01 UTC'
        : 'milliseconds since 1970-01-01 UTC';
    default:
      return '';
  }
}

/** How a type is laid out, in the spec's words, for documentation. */
export function wireType(type: TypeIR): string {
  const name = type.typeName === undefined ? '' : `${type.typeName}: `;
  switch (type.kind) {
    case 'int':
      return `${name}${type.signed ? 'i' : 'u'}${type.bits}${type.bits > 8 ? ` ${type.endian}-endian` : ''}`;
    case 'bits':
      return `${name}b${type.width} (${type.width === 1 ? 'a bit: 0 = false, 1 = true' : `${type.width} bits, unsigned`})`;
    case 'varint':
      return `${name}${type.zigzag ? 'zigzag' : 'unsigned'} LEB128 varint, ${type.bits}-bit, 1 to ${type.maxBytes} bytes`;
    case 'float':
      return `${name}f${type.bits} ${type.endian}-endian`;
    case 'bool':
      return `${name}bool (1 byte, 0 or 1)`;
    case 'enum':
      return `${name}enum ${wireType(type.base)} (${type.values.map((value) => `${value.name}=${value.value}`).join(', ')})`;
    case 'flags':
      return `${name}flags ${wireType(type.base)} (${type.flags.map((flag) => `${flag.name}=bit ${flag.bit}`).join(', ')})`;
    case 'string':
    case 'bytes': {
      const what = type.kind === 'string' ? 'utf-8 string' : 'bytes';
      switch (type.length.kind) {
        case 'prefixed':
          return `${name}${what}, u${type.length.bytes * 8} length prefix, at most ${type.maxBytes} bytes`;
        case 'terminated':
          return `${name}${what} ending at byte 0x${type.length.terminator.toString(16).padStart(2, '0')}, at most ${type.maxBytes} bytes`;
        case 'fixed':
          return `${name}${what}, exactly ${type.length.bytes} bytes${type.kind === 'string' ? ' (NUL-padded)' : ''}`;
        case 'rest':
          return `${name}${what} to the end of the frame, at most ${type.maxBytes} bytes`;
        case 'field':
          return `${name}${what}, as many bytes as field ${type.length.field} says, at most ${type.maxBytes}`;
        case 'line':
          return `${name}${what} after a line '${type.length.template.source}' giving its length, at most ${type.maxBytes} bytes`;
      }
      return what;
    }
    case 'timestamp':
      return type.representation === 'unix-seconds' || type.representation === 'unix-millis'
        ? `${name}timestamp (${type.representation}, i64 ${type.endian}-endian)`
        : `${name}timestamp (${type.representation})`;
    case 'array':
      if (type.count.kind === 'rest') {
        return `${name}list of ${wireType(type.element)} to the end of the frame, at most ${type.maxCount}`;
      }
      if (type.count.kind === 'until') {
        return `${name}list of ${wireType(type.element)}, one per line up to the line ${JSON.stringify(type.count.line)}, at most ${type.maxCount}`;
      }
      return type.count.kind === 'field'
        ? `${name}list of ${wireType(type.element)}, as many as field ${type.count.field} says, at most ${type.maxCount}`
        : `${name}list of ${wireType(type.element)}, u${type.count.bytes * 8} count, at most ${type.maxCount}`;
    case 'optional':
      return type.when === undefined
        ? `${name}optional ${wireType(type.value)} (presence byte first)`
        : `${name}${wireType(type.value)}, only when ${describeWhen(type.when)}`;
    case 'struct':
      return `${name}struct { ${type.fields.map((field) => `${field.name}: ${wireType(field.type)}`).join('; ')} }`;
    case 'messages':
      return `${name}a ${type.names.join(' or ')} message`;
  }
}

/** `status is "ok"`, `status is none of "ok", "keyNotFound"`: a condition as the docs and errors say it. */
export function describeWhen(when: WhenIR): string {
  const values = when.values.map((value) => JSON.stringify(value));
  return when.otherwise === true
    ? `${when.field} is none of ${values.join(', ')}`
    : `${when.field} is ${values.join(' or ')}`;
}
