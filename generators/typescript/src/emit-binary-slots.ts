import type { ChecksumIR, IntTypeIR, VarintTypeIR, WhenIR } from '@sockspec/spec';
import type { CodeBlockWriter } from 'ts-morph';
import {
  addConstant,
  type Context,
  type Cursor,
  constantInt,
  fieldValue,
  intAccessor,
  type Step,
  where,
} from './binary-emit-kit.js';
import { bitMask, fixedSize, type Slot } from './layout.js';
import { access, constantCase, quote } from './names.js';

/**
 * Emitters for the slots whose bytes the caller does not pass as a plain
 * value (issue 8): constants, lengths and counts held by other fields, bit
 * runs, checksums, varints and `when` conditions.
 */
/** The values a varint field takes, as literals: its width, and what maxBytes bytes can carry. */
export function varintBounds(type: VarintTypeIR): [string, string] {
  const unsigned = (1n << BigInt(Math.min(7 * type.maxBytes, type.bits))) - 1n;
  return type.zigzag ? [String(-(unsigned + 1n) / 2n), String(unsigned / 2n)] : ['0', String(unsigned)];
}

/** The unsigned number a varint carries for `value`: itself, or zigzagged. */
export function varintRaw(type: VarintTypeIR, value: string): string {
  if (!type.zigzag) return value;
  // 32 bits: numbers, so no bit operators (they would wrap at 2^31).
  return type.bits === 64
    ? `(${value} < 0n ? -${value} * 2n - 1n : ${value} * 2n)`
    : `(${value} < 0 ? -${value} * 2 - 1 : ${value} * 2)`;
}

/**
 * Reads a varint at the cursor, byte by byte: it stops at the first byte
 * without the high bit, after at most maxBytes (a longer run is refused, so a
 * hostile peer cannot make the loop run past the field's width).
 */
export function decodeVarint(
  ctx: Context,
  w: CodeBlockWriter,
  cursor: Cursor,
  into: Step[],
  type: VarintTypeIR,
  name: string,
  path: string,
): void {
  const fieldWhere = where(ctx, path);
  const big = type.bits === 64;
  into.push({
    size: null,
    write: () => {
      const start = cursor.at();
      w.writeLine(`let ${name}Raw = ${big ? '0n' : '0'};`);
      w.writeLine(`let ${name}At = ${start};`);
      w.writeLine(`let ${name}Scale = ${big ? '1n' : '1'};`);
      w.write('for (;;)').block(() => {
        w.writeLine(
          `if (${name}At >= frame.length) throw fail.truncated({ ${fieldWhere}, needed: ${name}At - (${start}) + 1, offset: ${start}, frameBytes: frame.length });`,
        );
        w.writeLine(`const ${name}Byte = frame[${name}At]!;`);
        w.writeLine(`${name}At += 1;`);
        w.writeLine(
          big
            ? `${name}Raw += BigInt(${name}Byte & 0x7f) * ${name}Scale;`
            : `${name}Raw += (${name}Byte & 0x7f) * ${name}Scale;`,
        );
        w.writeLine(`if (${name}Byte < 0x80) break;`);
        w.writeLine(
          `if (${name}At - (${start}) >= ${type.maxBytes}) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`a varint of at most ${type.maxBytes} bytes`)}, got: 'a longer one' });`,
        );
        w.writeLine(`${name}Scale *= ${big ? '128n' : '128'};`);
      });
      const [, max] = varintBounds({ ...type, zigzag: false });
      w.writeLine(
        `if (${name}Raw > ${max}${big ? 'n' : ''}) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`a varint of at most ${max}`)}, got: String(${name}Raw) });`,
      );
      const value = !type.zigzag
        ? `${name}Raw`
        : big
          ? `(${name}Raw & 1n ? -(${name}Raw + 1n) / 2n : ${name}Raw / 2n)`
          : `(${name}Raw % 2 === 1 ? -(${name}Raw + 1) / 2 : ${name}Raw / 2)`;
      w.writeLine(`const ${name} = ${value};`);
      cursor.advance(w, `${name}At - (${start})`);
    },
  });
}

/** `status === 'ok'`, `(qos === 1 || qos === 2)`: whether a `when` field is there. */
export function whenTest(source: string, when: WhenIR): string {
  if (when.otherwise === true) {
    // A switch's `_` case: none of the other cases' values.
    const tests = when.values.map((value) => `${source} !== ${JSON.stringify(value)}`);
    return tests.length === 0 ? 'true' : tests.length === 1 ? tests[0]! : `(${tests.join(' && ')})`;
  }
  const tests = when.values.map((value) => `${source} === ${JSON.stringify(value)}`);
  return tests.length === 1 ? tests[0]! : `(${tests.join(' || ')})`;
}

/** Byte constants up to this long are compared byte by byte inline; longer ones call bytesEqualAt. */
const INLINE_CONSTANT_BYTES = 8;

function constantBytesName(context: Context, slot: Extract<Slot, { kind: 'constant' }>): string {
  const bytes = slot.constant.kind === 'bytes' ? slot.constant.bytes : [];
  const owner = context.model.ir.header.includes(slot.field)
    ? slot.field.name
    : `${context.message.name}_${slot.field.name}`;
  return addConstant(
    context,
    `${constantCase(owner)}_BYTES`,
    'Uint8Array',
    `new Uint8Array([${bytes.map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}])`,
  );
}

function intLiteral(value: number, type: IntTypeIR): string {
  const text = value >= 10 ? `0x${value.toString(16)}` : String(value);
  return type.bits === 64 ? `${text}n` : text;
}

/** A step that checks a `const:` field in place: a typed error naming the field, the constant and what came instead. */
export function decodeConstant(
  context: Context,
  w: CodeBlockWriter,
  into: Step[],
  slot: Extract<Slot, { kind: 'constant' }>,
  name: string,
): void {
  const { field, constant } = slot;
  const size = fixedSize(field.type)!;
  const fieldWhere = where(context, field.name);
  if (constant.kind === 'int') {
    const int = constantInt(field.type);
    const accessor = intAccessor(int);
    const expected = intLiteral(constant.value, int);
    into.push({
      size,
      path: field.name,
      write: (at) => {
        w.writeLine(`const ${name} = view.${accessor.get}(${at()}${accessor.little});`);
        w.writeLine(
          `if (${name} !== ${expected}) throw fail.constant({ ${fieldWhere}, expected: ${expected}, actual: ${name}, offset: ${at()} });`,
        );
      },
    });
    return;
  }
  const bytesName = constantBytesName(context, slot);
  into.push({
    size,
    path: field.name,
    write: (at) => {
      const differs =
        constant.bytes.length <= INLINE_CONSTANT_BYTES
          ? constant.bytes
              .map((byte, index) => `frame[${at(index)}] !== 0x${byte.toString(16).padStart(2, '0')}`)
              .join(' || ')
          : `!bytesEqualAt(frame, ${at()}, ${bytesName})`;
      w.writeLine(
        `if (${differs}) throw fail.constant({ ${fieldWhere}, expected: ${bytesName}, actual: frame.slice(${at()}, ${at(size)}), offset: ${at()} });`,
      );
    },
  });
}

/**
 * A step that reads a `computed` field: the length or count the field that
 * names it uses (checked there, against its limit and the frame), or 0 when
 * this message has no such field.
 */
export function decodeComputed(
  context: Context,
  w: CodeBlockWriter,
  into: Step[],
  slot: Extract<Slot, { kind: 'computed' }>,
  name: string,
): void {
  const int = constantInt(slot.field.type);
  const accessor = intAccessor(int);
  into.push({
    size: int.bits / 8,
    path: slot.field.name,
    write: (at) => {
      w.writeLine(`const ${name} = view.${accessor.get}(${at()}${accessor.little});`);
      if (slot.target !== null) return;
      w.writeLine(
        `if (${name} !== 0) throw fail.invalid({ ${where(context, slot.field.name)}, expected: ${quote(`0 (${context.message.name} has no field it gives the size of)`)}, got: String(${name}) });`,
      );
    },
  });
}

/** Writes a `computed` field: the measured length or count of the field that names it (the frame starts zeroed). */
export function encodeComputed(
  context: Context,
  w: CodeBlockWriter,
  cursor: Cursor,
  slot: Extract<Slot, { kind: 'computed' }>,
): void {
  const int = constantInt(slot.field.type);
  const { target } = slot;
  if (target !== null) {
    const accessor = intAccessor(int);
    const targetType = target.field.type.kind === 'optional' ? target.field.type.value : target.field.type;
    const present = access('message', target.field.name);
    const value =
      targetType.kind === 'struct'
        ? target.field.type.kind === 'optional'
          ? `(${present} === undefined ? 0 : ${fixedSize(targetType)})`
          : String(fixedSize(targetType))
        : target.field.type.kind === 'string'
          ? `${context.locals.get(target.field.name)!}Length`
          : `${access('message', target.field.name)}.length`;
    w.writeLine(`view.${accessor.set}(${cursor.at()}, ${value}${accessor.little});`);
  }
  cursor.skip(int.bits / 8);
}

/**
 * A step that reads a run of bit fields as one integer and takes each field
 * out of it; the discriminator and constants are checked in place. Returns
 * the fields that are part of the message value.
 */
export function decodeBits(
  context: Context,
  w: CodeBlockWriter,
  into: Step[],
  slot: Extract<Slot, { kind: 'bits' }>,
): string[] {
  const accessor = intAccessor(slot.word);
  const word = `${context.locals.get(slot.members[0]!.field.name)!}Bits`;
  const values: string[] = [];
  into.push({
    size: slot.word.bits / 8,
    path: slot.members[0]!.field.name,
    write: (at) => {
      w.writeLine(`const ${word} = view.${accessor.get}(${at()}${accessor.little});`);
      for (const member of slot.members) {
        const name = context.locals.get(member.field.name)!;
        const extract =
          member.shift === 0
            ? `${word} & ${bitMask(member.width)}`
            : `(${word} >>> ${member.shift}) & ${bitMask(member.width)}`;
        if (member.role.kind === 'discriminator') {
          w.writeLine(`const code = ${extract};`);
          w.writeLine(`if (code !== ${member.role.code}) throw fail.unknownCode(code, ${quote(member.field.name)});`);
        } else if (member.role.kind === 'constant') {
          w.writeLine(`const ${name} = ${extract};`);
          w.writeLine(
            `if (${name} !== ${member.role.value}) throw fail.constant({ ${where(context, member.field.name)}, expected: ${member.role.kind === 'constant' ? member.role.value : 0}, actual: ${name}, offset: ${at()} });`,
          );
        } else {
          w.writeLine(`const ${name} = ${member.width === 1 ? `(${extract}) === 1` : extract};`);
          values.push(member.field.name);
        }
      }
    },
  });
  // A presence flag is read (later fields test it) but not returned: the field it reports says it.
  return slot.members
    .filter((member) => member.role.kind === 'value' && member.field.presence === undefined)
    .map((member) => member.field.name);
}

/** Checks the bit fields a caller passes: whole numbers that fit their width (b1 fields are booleans). */
export function measureBits(context: Context, w: CodeBlockWriter, slot: Extract<Slot, { kind: 'bits' }>): void {
  for (const member of slot.members) {
    if (member.role.kind !== 'value' || member.width === 1) continue;
    const value = fieldValue(member.field);
    const max = 2 ** member.width - 1;
    w.writeLine(
      `if (!Number.isInteger(${value}) || ${value} < 0 || ${value} > ${max}) throw fail.invalid({ ${where(context, member.field.name)}, expected: ${quote(`an integer from 0 to ${max} (${member.width} bits)`)}, got: String(${value}) });`,
    );
  }
}

/** Writes a run of bit fields as one integer. */
export function encodeBits(w: CodeBlockWriter, cursor: Cursor, slot: Extract<Slot, { kind: 'bits' }>): void {
  const accessor = intAccessor(slot.word);
  const parts = slot.members.map((member) => {
    const value =
      member.role.kind === 'discriminator'
        ? String(member.role.code)
        : member.role.kind === 'constant'
          ? String(member.role.value)
          : member.width === 1
            ? `(${fieldValue(member.field)} ? 1 : 0)`
            : fieldValue(member.field);
    return member.shift === 0 ? value : `(${value} << ${member.shift})`;
  });
  // `>>> 0`: a field shifted into bit 31 would make the 32-bit word negative.
  const word = slot.word.bits === 32 ? `(${parts.join(' | ')}) >>> 0` : parts.join(' | ');
  w.writeLine(`view.${accessor.set}(${cursor.at()}, ${word}${accessor.little});`);
  cursor.skip(slot.word.bits / 8);
}

const CHECKSUM_FUNCTIONS: Record<ChecksumIR['algorithm'], string> = {
  crc32: 'crc32',
  'crc16-ccitt': 'crc16Ccitt',
  adler32: 'adler32',
  sum8: 'sum8',
  xor8: 'xor8',
};

/** The first field a slot holds (a bit run's first member), by name. */
function slotFieldName(slot: Slot): string | null {
  if (slot.kind === 'length') return null;
  return slot.kind === 'bits' ? slot.members[0]!.field.name : slot.field.name;
}

/** Whether a checksum of this message starts where `slot` does. */
export function checksumStarts(slots: readonly Slot[], slot: Slot): boolean {
  const name = slotFieldName(slot);
  return name !== null && slots.some((other) => other.kind === 'checksum' && other.checksum.from === name);
}

export function startLocal(slot: Slot, locals: ReadonlyMap<string, string>): string {
  return `${locals.get(slotFieldName(slot)!)!}Start`;
}

/** A step of no bytes that remembers where a checksummed range starts. */
export function markStart(w: CodeBlockWriter, slot: Slot, locals: ReadonlyMap<string, string>): Step {
  return {
    size: 0,
    path: slotFieldName(slot)!,
    write: (at) => w.writeLine(`const ${startLocal(slot, locals)} = ${at()};`),
  };
}

function checksumRange(context: Context, slot: Extract<Slot, { kind: 'checksum' }>, at: string): string {
  const from = slot.checksum.from;
  return `frame.subarray(${from === null ? '0' : `${context.locals.get(from)!}Start`}, ${at})`;
}

/** A step that reads a checksum field and compares it with the bytes before it. */
export function decodeChecksum(
  context: Context,
  w: CodeBlockWriter,
  into: Step[],
  slot: Extract<Slot, { kind: 'checksum' }>,
  name: string,
): void {
  const int = constantInt(slot.field.type);
  const accessor = intAccessor(int);
  const sum = CHECKSUM_FUNCTIONS[slot.checksum.algorithm];
  into.push({
    size: int.bits / 8,
    path: slot.field.name,
    write: (at) => {
      w.writeLine(`const ${name} = view.${accessor.get}(${at()}${accessor.little});`);
      w.writeLine(`const ${name}Computed = ${sum}(${checksumRange(context, slot, at())});`);
      w.writeLine(
        `if (${name} !== ${name}Computed) throw fail.checksum({ ${where(context, slot.field.name)}, algorithm: ${quote(slot.checksum.algorithm)}, computed: ${name}Computed, carried: ${name} });`,
      );
    },
  });
}

/** Writes a checksum over the bytes already written before it. */
export function encodeChecksum(
  context: Context,
  w: CodeBlockWriter,
  cursor: Cursor,
  slot: Extract<Slot, { kind: 'checksum' }>,
): void {
  const int = constantInt(slot.field.type);
  const accessor = intAccessor(int);
  const sum = CHECKSUM_FUNCTIONS[slot.checksum.algorithm];
  w.writeLine(
    `view.${accessor.set}(${cursor.at()}, ${sum}(${checksumRange(context, slot, cursor.at())})${accessor.little});`,
  );
  cursor.skip(int.bits / 8);
}

/** Writes a `const:` field's value; the caller never passes it. */
export function encodeConstant(
  context: Context,
  w: CodeBlockWriter,
  cursor: Cursor,
  slot: Extract<Slot, { kind: 'constant' }>,
): void {
  const { field, constant } = slot;
  if (constant.kind === 'int') {
    const int = constantInt(field.type);
    const accessor = intAccessor(int);
    w.writeLine(`view.${accessor.set}(${cursor.at()}, ${intLiteral(constant.value, int)}${accessor.little});`);
    cursor.skip(int.bits / 8);
    return;
  }
  w.writeLine(`frame.set(${constantBytesName(context, slot)}, ${cursor.at()});`);
  cursor.skip(constant.bytes.length);
}
