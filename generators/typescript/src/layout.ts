import type { FieldIR, LengthPrefixedFramingIR, ProtocolIR, TypeIR } from '@sockspec/spec';
import { UnsupportedFeatureError } from './define.js';
import type { MessageModel } from './model.js';

/**
 * One slot of a binary frame, in wire order: the framing's length prefix,
 * the discriminator, or a field (header fields first, then the message's).
 */
export type Slot =
  | { readonly kind: 'length'; readonly framing: LengthPrefixedFramingIR }
  | { readonly kind: 'discriminator'; readonly field: FieldIR; readonly code: number }
  | { readonly kind: 'field'; readonly field: FieldIR; readonly last: boolean };

/** Bytes a value of this type takes on the wire, or null when it varies. */
export function fixedSize(type: TypeIR): number | null {
  switch (type.kind) {
    case 'int':
    case 'float':
      return type.bits / 8;
    case 'bool':
      return 1;
    case 'enum':
    case 'flags':
      return type.base.bits / 8;
    case 'string':
    case 'bytes':
      return type.length.kind === 'fixed' ? type.length.bytes : null;
    default:
      return null;
  }
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
      position += framed.lengthBytes;
      lengthPlaced = true;
    }
  };
  const own = new Set(message.ir.fields.map((field) => field.name));
  const fields = [...ir.header, ...message.ir.fields];
  fields.forEach((field, index) => {
    placeLength();
    checkSupported(ir.sourceFile, `${where}, field ${field.name}`, field.type, index === fields.length - 1);
    const size = fixedSize(field.type);
    if (field.name === ir.discriminator && !own.has(field.name)) {
      if (message.ir.code === null || field.type.kind !== 'int') {
        throw new UnsupportedFeatureError(ir.sourceFile, where, 'a discriminator that is not an integer code');
      }
      slots.push({ kind: 'discriminator', field, code: message.ir.code });
    } else {
      slots.push({ kind: 'field', field, last: index === fields.length - 1 });
    }
    position = size === null || position < 0 ? -1 : position + size;
  });
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

function checkSupported(sourceFile: string, where: string, type: TypeIR, last: boolean): void {
  switch (type.kind) {
    case 'int':
    case 'float':
    case 'bool':
    case 'enum':
      return;
    case 'flags':
      if (type.base.bits === 64) throw new UnsupportedFeatureError(sourceFile, where, '64-bit flags');
      return;
    case 'string':
    case 'bytes':
      if (type.kind === 'string' && type.length.kind === 'terminated' && type.length.terminator > 0x7f) {
        throw new UnsupportedFeatureError(sourceFile, where, 'a UTF-8 string ending at a non-ASCII byte');
      }
      if (type.length.kind === 'rest' && !last) {
        throw new UnsupportedFeatureError(sourceFile, where, 'a rest-of-frame value that is not the last field');
      }
      return;
    default:
      throw new UnsupportedFeatureError(sourceFile, where, `a binary ${type.kind} field`);
  }
}

/** A row of the byte layout table in a generated README. */
export interface LayoutRow {
  readonly offset: string;
  readonly size: string;
  readonly name: string;
  readonly type: string;
}

export function layoutRows(slots: readonly Slot[]): LayoutRow[] {
  let offset: number | null = 0;
  return slots.map((slot) => {
    const at = offset === null ? 'variable' : String(offset);
    let size: number | null;
    let row: Omit<LayoutRow, 'offset'>;
    if (slot.kind === 'length') {
      size = slot.framing.lengthBytes;
      const counts = slot.framing.lengthCounts === 'frame' ? 'the whole frame' : 'the bytes after it';
      row = {
        size: String(size),
        name: '(length)',
        type: `u${size * 8} ${slot.framing.lengthEndian}-endian, counts ${counts}`,
      };
    } else {
      size = fixedSize(slot.field.type);
      const type = wireType(slot.field.type);
      row = {
        size: size === null ? 'variable' : String(size),
        name: slot.kind === 'discriminator' ? `${slot.field.name} (discriminator)` : slot.field.name,
        type: slot.kind === 'discriminator' ? `${type} = ${slot.code}` : type,
      };
    }
    offset = offset === null || size === null ? null : offset + size;
    return { offset: at, ...row };
  });
}

/** How a type is laid out, in the spec's words, for documentation. */
export function wireType(type: TypeIR): string {
  const name = type.typeName === undefined ? '' : `${type.typeName}: `;
  switch (type.kind) {
    case 'int':
      return `${name}${type.signed ? 'i' : 'u'}${type.bits}${type.bits > 8 ? ` ${type.endian}-endian` : ''}`;
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
      }
      break;
    }
    case 'timestamp':
      return `${name}timestamp (${type.representation})`;
    default:
      return `${name}${type.kind}`;
  }
  return type.kind;
}
