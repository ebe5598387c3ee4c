import type { BytesTypeIR, IntTypeIR, StringTypeIR, TypeIR } from '@sockspec/spec';
import type { CodeBlockWriter } from 'ts-morph';
import {
  arrayOf,
  type Context,
  Cursor,
  DATE_LIMIT_MS,
  enumConstant,
  fieldValue,
  flush,
  intAccessor,
  intRange,
  maskLiteral,
  messageLocals,
  nestedLocals,
  patternConstant,
  type Size,
  type Step,
  sizeExpression,
  TIMESTAMP_BYTES,
  uintOfBytes,
  where,
} from './binary-emit-kit.js';
import { UnsupportedFeatureError } from './define.js';
import {
  checksumStarts,
  decodeBits,
  decodeChecksum,
  decodeComputed,
  decodeConstant,
  decodeVarint,
  encodeBits,
  encodeChecksum,
  encodeComputed,
  encodeConstant,
  markStart,
  measureBits,
  startLocal,
  varintBounds,
  varintRaw,
  whenTest,
} from './emit-binary-slots.js';
import type { CodecWriter } from './emit-text-codec.js';
import { describeWhen, fixedSize, messageSlots, type Slot } from './layout.js';
import type { ProtocolModel } from './model.js';
import { hasSwitches, tsType } from './model.js';
import { access, propertyKey, quote } from './names.js';

/** The fewest bytes a value of this type takes; lets an array's count be checked against the frame before looping. */
export function minimumSize(type: TypeIR): number {
  const fixed = fixedSize(type);
  if (fixed !== null) return fixed;
  switch (type.kind) {
    case 'string':
    case 'bytes':
      return type.length.kind === 'prefixed' ? type.length.bytes : type.length.kind === 'terminated' ? 1 : 0;
    case 'array':
      return type.count.kind === 'prefixed' ? type.count.bytes : 0;
    case 'varint':
      return 1;
    case 'optional':
      return type.when === undefined ? 1 : 0;
    case 'struct':
      return type.fields.reduce((sum, field) => sum + minimumSize(field.type), 0);
    default:
      return 0;
  }
}

/** Whether encoding a value of this type must check it before the frame is sized. */
function needsCheck(type: TypeIR): boolean {
  switch (type.kind) {
    case 'float':
    case 'bool':
    case 'flags':
      return false;
    case 'struct':
      return type.fields.some((field) => needsCheck(field.type));
    case 'optional':
      return needsCheck(type.value);
    default:
      return true;
  }
}

export function writeBinaryCodec(model: ProtocolModel, out: CodecWriter): void {
  const { ir } = model;
  if (ir.framing.kind === 'delimited') writeDelimiterSearch(ir.framing.delimiter, out);
  for (const message of model.messages) {
    const slots = messageSlots(ir, message);
    const locals = messageLocals(slots);
    writeDecode({ model, message, out, locals }, slots);
    writeEncode({ model, message, out, locals }, slots);
  }
  for (const side of ['Client', 'Server'] as const) {
    const messages = side === 'Client' ? model.clientMessages : model.serverMessages;
    if (messages.length > 1 && ir.discriminator === null) {
      throw new UnsupportedFeatureError(
        ir.sourceFile,
        'header',
        `several ${side.toLowerCase()} messages without a discriminator to tell them apart`,
      );
    }
  }
}

/** Binary frames cut at a delimiter must not contain it, or the peer would cut them short. */
function writeDelimiterSearch(delimiter: readonly number[], out: CodecWriter): void {
  out.constants.push({
    name: 'DELIMITER',
    type: 'Uint8Array',
    initializer: `new Uint8Array([${delimiter.join(', ')}])`,
    docs: 'Ends every frame on the wire; no encoded message may contain it.',
  });
  out.functions.push({
    name: 'delimiterIndex',
    exported: false,
    docs: 'Where the delimiter first occurs in frame[0, end), or -1.',
    parameters: [
      { name: 'frame', type: 'Uint8Array' },
      { name: 'end', type: 'number' },
    ],
    returnType: 'number',
    body: (writer) => {
      writer
        .write(
          'for (let start = frame.indexOf(DELIMITER[0]!); start !== -1 && start < end; start = frame.indexOf(DELIMITER[0]!, start + 1))',
        )
        .block(() => {
          writer.writeLine('let at = 1;');
          writer.writeLine(
            'while (at < DELIMITER.length && start + at < end && frame[start + at] === DELIMITER[at]) at += 1;',
          );
          writer.writeLine('if (at === DELIMITER.length) return start;');
        });
      writer.writeLine('return -1;');
    },
  });
}

/** Where the discriminator is: an integer at `offset`, or a bit field of the integer there. */
export interface DiscriminatorPosition {
  readonly offset: number;
  readonly type: IntTypeIR;
  readonly bits: { readonly shift: number; readonly width: number } | null;
}

/** Byte position of the discriminator, when every message has it at the same constant offset. */
export function discriminatorPosition(model: ProtocolModel): DiscriminatorPosition | null {
  if (model.ir.discriminator === null) return null;
  let found: DiscriminatorPosition | null = null;
  for (const message of model.messages) {
    let offset = 0;
    for (const slot of messageSlots(model.ir, message)) {
      const member = slot.kind === 'bits' ? slot.members.find((m) => m.role.kind === 'discriminator') : undefined;
      if (slot.kind === 'discriminator' || member !== undefined) {
        const type = slot.kind === 'bits' ? slot.word : slot.kind === 'discriminator' ? slot.field.type : null;
        if (type?.kind !== 'int' || (found !== null && found.offset !== offset)) {
          throw new UnsupportedFeatureError(model.ir.sourceFile, 'header', 'a discriminator at different offsets');
        }
        found = { offset, type, bits: member === undefined ? null : { shift: member.shift, width: member.width } };
        break;
      }
      const size =
        slot.kind === 'length'
          ? slot.framing.lengthBytes
          : slot.kind === 'bits'
            ? slot.word.bits / 8
            : fixedSize(slot.field.type);
      if (size === null) {
        throw new UnsupportedFeatureError(model.ir.sourceFile, 'header', 'a discriminator after a variable-size field');
      }
      offset += size;
    }
  }
  return found;
}

function writeDecode(context: Context, slots: readonly Slot[]): void {
  const { message, model, out } = context;
  const framing = model.ir.framing;
  out.functions.push({
    name: `decode${message.name}`,
    exported: true,
    docs: `Decodes a ${message.name} from a whole frame, as the frame decoder delivers it.`,
    parameters: [{ name: 'frame', type: 'Uint8Array' }],
    returnType: message.name,
    body: (writer) => {
      if (framing.kind === 'delimited' && framing.keepDelimiter) {
        writer.writeLine(`frame = frame.subarray(0, Math.max(0, frame.length - ${framing.delimiter.length}));`);
      }
      writer.writeLine('const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);');
      const cursor = new Cursor();
      const steps: Step[] = [];
      const locals = messageLocals(slots);
      const values: string[] = [`type: ${quote(message.name)}`];
      for (const slot of slots) {
        if (checksumStarts(slots, slot)) steps.push(markStart(writer, slot, locals));
        if (slot.kind === 'length' && slot.framing.lengthVarint === true) {
          // The frame decoder has read and checked the varint; skip its bytes.
          steps.push({
            size: null,
            write: () => {
              writer.writeLine(`let lengthEnd = ${cursor.at()};`);
              writer.writeLine('while ((frame[lengthEnd]! & 0x80) !== 0) lengthEnd += 1;');
              cursor.advance(writer, `lengthEnd + 1 - (${cursor.at()})`);
            },
          });
          continue;
        }
        if (slot.kind === 'length') {
          // The length prefix is the framing's, already checked by the frame decoder.
          steps.push({ size: slot.framing.lengthBytes, path: '(length)', write: () => {} });
          continue;
        }
        if (slot.kind === 'discriminator') {
          const type = slot.field.type as IntTypeIR;
          const accessor = intAccessor(type);
          steps.push({
            size: type.bits / 8,
            path: slot.field.name,
            write: (at) => {
              const code = type.bits === 64 ? `${slot.code}n` : String(slot.code);
              writer.writeLine(`const code = view.${accessor.get}(${at()}${accessor.little});`);
              writer.writeLine(`if (code !== ${code}) throw fail.unknownCode(code, ${quote(slot.field.name)});`);
            },
          });
          continue;
        }
        if (slot.kind === 'constant') {
          decodeConstant(context, writer, steps, slot, locals.get(slot.field.name)!);
          continue;
        }
        if (slot.kind === 'computed') {
          decodeComputed(context, writer, steps, slot, locals.get(slot.field.name)!);
          continue;
        }
        if (slot.kind === 'checksum') {
          decodeChecksum(context, writer, steps, slot, locals.get(slot.field.name)!);
          continue;
        }
        if (slot.kind === 'bits') {
          for (const member of decodeBits(context, writer, steps, slot)) {
            const name = locals.get(member)!;
            values.push(propertyKey(member) === name ? name : `${propertyKey(member)}: ${name}`);
          }
          continue;
        }
        const { field } = slot;
        const name = locals.get(field.name)!;
        values.push(propertyKey(field.name) === name ? name : `${propertyKey(field.name)}: ${name}`);
        decodeType(context, writer, cursor, steps, field.type, name, field.name);
      }
      flush(context, writer, cursor, steps);
      if (framing.kind !== 'fixed') {
        writer.writeLine(
          `if (frame.length !== ${cursor.at()}) throw fail.trailing({ message: ${quote(message.name)}, consumed: ${cursor.at()}, frameBytes: frame.length });`,
        );
      }
      // The union's case is the one the switch field chose; TypeScript cannot follow the reads that decided it.
      writer.writeLine(`return { ${values.join(', ')} }${hasSwitches(message) ? ` as ${message.name}` : ''};`);
    },
  });
}

/**
 * Appends the steps that read one value into the local `name`. Steps run
 * later, in order, against `cursor`; loops and branches flush their own steps
 * into a block with a fresh cursor that starts at `offset`.
 */
function decodeType(
  ctx: Context,
  w: CodeBlockWriter,
  cursor: Cursor,
  into: Step[],
  type: TypeIR,
  name: string,
  path: string,
): void {
  const fieldWhere = where(ctx, path);
  switch (type.kind) {
    case 'int': {
      const accessor = intAccessor(type);
      into.push({
        size: type.bits / 8,
        path,
        write: (at) => w.writeLine(`const ${name} = view.${accessor.get}(${at()}${accessor.little});`),
      });
      return;
    }
    case 'float':
      into.push({
        size: type.bits / 8,
        path,
        write: (at) =>
          w.writeLine(`const ${name} = view.getFloat${type.bits}(${at()}${type.endian === 'little' ? ', true' : ''});`),
      });
      return;
    case 'bool':
      into.push({
        size: 1,
        path,
        write: (at) => {
          w.writeLine(`const ${name}Byte = view.getUint8(${at()});`);
          w.writeLine(
            `if (${name}Byte > 1) throw fail.invalid({ ${fieldWhere}, expected: '0 or 1', got: String(${name}Byte) });`,
          );
          w.writeLine(`const ${name} = ${name}Byte === 1;`);
        },
      });
      return;
    case 'timestamp': {
      const seconds = type.representation === 'unix-seconds';
      const limit = seconds ? DATE_LIMIT_MS / 1000 : DATE_LIMIT_MS;
      into.push({
        size: TIMESTAMP_BYTES,
        path,
        write: (at) => {
          const little = type.endian === 'little';
          w.writeLine(`const ${name}Raw = getInt64Number(view, ${at()}, ${little});`);
          // Outside this range a Date is invalid; refuse rather than hand the application an Invalid Date. The
          // error reads the field again as a BigInt: beyond 2^53 the number is not the exact value sent.
          w.writeLine(
            `if (${name}Raw < -${limit} || ${name}Raw > ${limit}) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`${type.representation} within ±${limit}`)}, got: String(view.getBigInt64(${at()}${little ? ', true' : ''})) });`,
          );
          w.writeLine(`const ${name} = new Date(${name}Raw${seconds ? ' * 1000' : ''});`);
        },
      });
      return;
    }
    case 'enum': {
      const names = enumConstant(ctx, path, type, 'NAMES');
      const accessor = intAccessor(type.base);
      const expected = `one of ${type.values.map((value) => value.value).join(', ')}`;
      into.push({
        size: type.base.bits / 8,
        path,
        write: (at) => {
          const raw =
            type.base.bits === 64
              ? `Number(view.${accessor.get}(${at()}${accessor.little}))`
              : `view.${accessor.get}(${at()}${accessor.little})`;
          w.writeLine(`const ${name}Code = ${raw};`);
          w.writeLine(`const ${name} = ${names}.get(${name}Code);`);
          w.writeLine(
            `if (${name} === undefined) throw fail.invalid({ ${fieldWhere}, expected: ${quote(expected)}, got: String(${name}Code) });`,
          );
        },
      });
      return;
    }
    case 'flags': {
      const accessor = intAccessor(type.base);
      const big = type.base.bits === 64;
      const zero = big ? '0n' : '0';
      const known = maskLiteral(
        type,
        type.flags.map((flag) => flag.bit),
      );
      into.push({
        size: type.base.bits / 8,
        path,
        write: (at) => {
          w.writeLine(`const ${name}Bits = view.${accessor.get}(${at()}${accessor.little});`);
          // Unknown bits are refused, not dropped: re-encoding would silently change the message.
          // Below 64 bits, bitwise operators work on 32-bit integers; the masks are written to match.
          const got = big ? `${name}Bits.toString(16)` : `(${name}Bits >>> 0).toString(16)`;
          w.writeLine(
            `if ((${name}Bits & ~${known}) !== ${zero}) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`only bits ${type.flags.map((flag) => flag.bit).join(', ')}`)}, got: '0x' + ${got} });`,
          );
          const flags = type.flags.map(
            (flag) => `${propertyKey(flag.name)}: (${name}Bits & ${maskLiteral(type, [flag.bit])}) !== ${zero}`,
          );
          w.writeLine(`const ${name} = { ${flags.join(', ')} };`);
        },
      });
      return;
    }
    case 'string':
    case 'bytes':
      decodeSized(ctx, w, cursor, into, type, name, path);
      return;
    case 'varint':
      decodeVarint(ctx, w, cursor, into, type, name, path);
      return;
    case 'struct': {
      if (type.size !== undefined) {
        // The struct's size is fixed; the field that says it must agree.
        const source = ctx.locals.get(type.size.field)!;
        const bytes = fixedSize(type)!;
        into.push({
          size: 0,
          path,
          write: () => {
            w.writeLine(
              `if (${source} !== ${bytes}) throw fail.invalid({ ${where(ctx, type.size!.field)}, expected: ${quote(`${bytes}, the size of ${path}`)}, got: String(${source}) });`,
            );
          },
        });
      }
      const inners = nestedLocals(name, type.fields);
      const properties = type.fields.map((field, index) => {
        const inner = inners[index]!;
        decodeType(ctx, w, cursor, into, field.type, inner, `${path}.${field.name}`);
        return `${propertyKey(field.name)}: ${inner}`;
      });
      into.push({ size: 0, path, write: () => w.writeLine(`const ${name} = { ${properties.join(', ')} };`) });
      return;
    }
    case 'array': {
      const count = type.count;
      const tooMany = (): void => {
        w.writeLine(
          `if (${name}Count > ${type.maxCount}) throw fail.tooLarge({ ${fieldWhere}, limit: ${type.maxCount}, actual: ${name}Count, unit: 'elements' });`,
        );
      };
      if (count.kind === 'rest') {
        // Elements until the end of the frame: the count is what fits, and maxCount still bounds it.
        into.push({
          size: null,
          write: () => {
            cursor.sync(w);
            const item = `${name}Item`;
            w.writeLine(`const ${name}: ${arrayOf(tsType(type.element))} = [];`);
            w.write('while (offset < frame.length)').block(() => {
              w.writeLine(
                `if (${name}.length === ${type.maxCount}) throw fail.tooLarge({ ${fieldWhere}, limit: ${type.maxCount}, actual: ${name}.length + 1, unit: 'elements' });`,
              );
              const inner = new Cursor(true);
              const steps: Step[] = [];
              decodeType(ctx, w, inner, steps, type.element, item, `${path}[]`);
              flush(ctx, w, inner, steps);
              w.writeLine(`${name}.push(${item});`);
              inner.sync(w);
            });
          },
        });
        return;
      }
      if (count.kind === 'field') {
        const source = ctx.locals.get(count.field)!;
        into.push({
          size: 0,
          path,
          write: () => {
            w.writeLine(`const ${name}Count = ${source};`);
            tooMany();
          },
        });
      } else {
        if (count.kind === 'until') {
          throw new UnsupportedFeatureError(
            ctx.model.ir.sourceFile,
            path,
            'a list up to an end line in a binary protocol',
          );
        }
        const accessor = intAccessor(uintOfBytes(count.bytes, count.endian));
        into.push({
          size: count.bytes,
          path,
          write: (at) => {
            w.writeLine(`const ${name}Count = view.${accessor.get}(${at()}${accessor.little});`);
            tooMany();
          },
        });
      }
      into.push({
        size: null,
        write: () => {
          cursor.sync(w);
          const least = minimumSize(type.element);
          if (least > 0) {
            // A hostile count cannot make the decoder loop far past the end of a short frame.
            const needed = least === 1 ? `${name}Count` : `${name}Count * ${least}`;
            w.writeLine(
              `if (frame.length - offset < ${needed}) throw fail.truncated({ ${fieldWhere}, needed: ${needed}, offset, frameBytes: frame.length });`,
            );
          }
          const item = `${name}Item`;
          w.writeLine(`const ${name}: ${arrayOf(tsType(type.element))} = [];`);
          w.write(`for (let ${name}Index = 0; ${name}Index < ${name}Count; ${name}Index += 1)`).block(() => {
            const inner = new Cursor(true);
            const steps: Step[] = [];
            decodeType(ctx, w, inner, steps, type.element, item, `${path}[]`);
            flush(ctx, w, inner, steps);
            w.writeLine(`${name}.push(${item});`);
            inner.sync(w);
          });
        },
      });
      return;
    }
    case 'optional': {
      /** `let name: T | undefined`, decoded only when `test` holds at run time. */
      const decodePresent = (test: string): void => {
        cursor.sync(w);
        const value = `${name}Value`;
        w.writeLine(`let ${name}: ${tsType(type)};`);
        w.write(`if (${test})`).block(() => {
          const inner = new Cursor(true);
          const steps: Step[] = [];
          decodeType(ctx, w, inner, steps, type.value, value, path);
          flush(ctx, w, inner, steps);
          w.writeLine(`${name} = ${value};`);
          inner.sync(w);
        });
      };
      if (type.when !== undefined) {
        // No presence byte: the earlier field, read by now, says whether the value is there.
        const when = type.when;
        const source = ctx.locals.get(when.field)!;
        into.push({
          size: null,
          write: () => {
            decodePresent(whenTest(source, when));
            const sizeField = type.value.kind === 'struct' ? type.value.size?.field : undefined;
            if (sizeField !== undefined) {
              // Absent, the struct takes no bytes: the field that holds its size must say so.
              const sizeLocal = ctx.locals.get(sizeField)!;
              w.writeLine(
                `if (${name} === undefined && ${sizeLocal} !== 0) throw fail.invalid({ ${where(ctx, sizeField)}, expected: ${quote(`0 when ${path} is absent`)}, got: String(${sizeLocal}) });`,
              );
            }
          },
        });
        return;
      }
      into.push({
        size: 1,
        path,
        write: (at) => {
          w.writeLine(`const ${name}Present = view.getUint8(${at()});`);
          w.writeLine(
            `if (${name}Present > 1) throw fail.invalid({ ${fieldWhere}, expected: 'a presence byte, 0 or 1', got: String(${name}Present) });`,
          );
        },
      });
      into.push({
        size: null,
        write: () => decodePresent(`${name}Present === 1`),
      });
      return;
    }
  }
}

function decodeSized(
  ctx: Context,
  w: CodeBlockWriter,
  cursor: Cursor,
  into: Step[],
  type: StringTypeIR | BytesTypeIR,
  name: string,
  path: string,
): void {
  const fieldWhere = where(ctx, path);
  // Bytes are copied out: a Buffer's slice() would share the frame decoder's memory.
  const value = (from: string, to: string): string =>
    type.kind === 'string'
      ? `utf8Decode(frame.subarray(${from}, ${to}), ${quote(path)})`
      : `copyBytes(frame, ${from}, ${to})`;
  const afterValue = (): void => {
    if (type.kind === 'string' && type.pattern !== null) {
      w.writeLine(
        `if (!${patternConstant(ctx, path, type)}.test(${name})) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`a match for /${type.pattern}/`)}, got: previewText(${name}) });`,
      );
    }
  };
  // Checked before any bytes are copied or decoded.
  const tooLarge = (length: string): void => {
    w.writeLine(
      `if (${length} > ${type.maxBytes}) throw fail.tooLarge({ ${fieldWhere}, limit: ${type.maxBytes}, actual: ${length} });`,
    );
  };
  /** `${name}Length` bytes from `start`, once the length is known and checked: in the frame, then decoded. */
  const readCounted = (start: string): void => {
    w.writeLine(
      `if (frame.length < ${start} + ${name}Length) throw fail.truncated({ ${fieldWhere}, needed: ${name}Length, offset: ${start}, frameBytes: frame.length });`,
    );
    w.writeLine(`const ${name} = ${value(start, `${start} + ${name}Length`)};`);
    afterValue();
    cursor.advance(w, `${name}Length`);
  };
  const length = type.length;
  switch (length.kind) {
    case 'fixed':
      into.push({
        size: length.bytes,
        path,
        write: (at) => {
          if (type.kind === 'string') {
            // Fixed-size strings are NUL-padded; the value ends at the first NUL.
            w.writeLine(`const ${name}End = frame.subarray(${at()}, ${at(length.bytes)}).indexOf(0);`);
            w.writeLine(
              `const ${name} = ${value(at(), `${name}End === -1 ? ${at(length.bytes)} : ${at()} + ${name}End`)};`,
            );
          } else {
            w.writeLine(`const ${name} = ${value(at(), at(length.bytes))};`);
          }
          afterValue();
        },
      });
      return;
    case 'prefixed': {
      const accessor = intAccessor(uintOfBytes(length.bytes, length.endian));
      let start = '';
      into.push({
        size: length.bytes,
        path,
        write: (at) => {
          if (length.bytes === 8) {
            w.writeLine(`const ${name}Length64 = view.${accessor.get}(${at()}${accessor.little});`);
            tooLarge(`${name}Length64`);
            w.writeLine(`const ${name}Length = Number(${name}Length64);`);
          } else {
            w.writeLine(`const ${name}Length = view.${accessor.get}(${at()}${accessor.little});`);
            tooLarge(`${name}Length`);
          }
          start = at(length.bytes);
        },
      });
      into.push({ size: null, write: () => readCounted(start) });
      return;
    }
    case 'terminated':
      into.push({
        size: null,
        write: () => {
          const start = cursor.at();
          w.writeLine(`const ${name}End = frame.indexOf(${length.terminator}, ${start});`);
          w.writeLine(
            `if (${name}End === -1) throw fail.truncated({ ${fieldWhere}, needed: frame.length - (${start}) + 1, offset: ${start}, frameBytes: frame.length });`,
          );
          w.writeLine(`const ${name}Length = ${name}End - (${start});`);
          tooLarge(`${name}Length`);
          w.writeLine(`const ${name} = ${value(start, `${name}End`)};`);
          afterValue();
          cursor.advance(w, `${name}Length + 1`);
        },
      });
      return;
    case 'field': {
      // The length was read (and is checked here) with the field that holds it, earlier in the frame.
      const source = ctx.locals.get(length.field)!;
      into.push({
        size: null,
        write: () => {
          w.writeLine(`const ${name}Length = ${source};`);
          tooLarge(`${name}Length`);
          readCounted(cursor.at());
        },
      });
      return;
    }
    case 'rest':
      into.push({
        size: null,
        write: () => {
          const start = cursor.at();
          w.writeLine(`const ${name}Length = frame.length - (${start});`);
          tooLarge(`${name}Length`);
          w.writeLine(`const ${name} = ${value(start, 'frame.length')};`);
          afterValue();
          cursor.advance(w, `${name}Length`);
        },
      });
      return;
  }
}

function writeEncode(context: Context, slots: readonly Slot[]): void {
  const { message, model, out } = context;
  const framing = model.ir.framing;
  out.functions.push({
    name: `encode${message.name}`,
    exported: true,
    docs: `Encodes a ${message.name} as a whole frame${framing.kind === 'length-prefixed' ? ', length field filled in' : ''}.`,
    // A message typed as a union of cases is read through its flat AnyCase view: each case's fields, optional.
    parameters: [{ name: hasSwitches(message) ? 'input' : 'message', type: message.fieldsName }],
    returnType: 'Uint8Array',
    body: (writer) => {
      if (hasSwitches(message)) writer.writeLine(`const message: ${message.name}AnyCase = input;`);
      const size: Size = { constant: 0, terms: [] };
      const locals = messageLocals(slots);
      // First every check and every measurement, so the frame is allocated once at its exact size.
      for (const slot of slots) {
        if (slot.kind === 'length') {
          if (slot.framing.lengthVarint !== true) size.constant += slot.framing.lengthBytes;
        } else if (slot.kind === 'bits') {
          measureBits(context, writer, slot);
          size.constant += slot.word.bits / 8;
        } else if (
          slot.kind === 'discriminator' ||
          slot.kind === 'constant' ||
          slot.kind === 'computed' ||
          slot.kind === 'checksum'
        )
          size.constant += fixedSize(slot.field.type)!;
        else
          measure(
            context,
            writer,
            slot.field.type,
            fieldValue(slot.field),
            locals.get(slot.field.name)!,
            slot.field.name,
            size,
          );
      }
      const delimiter = framing.kind === 'delimited' ? framing.delimiter : null;
      if (delimiter !== null) size.constant += delimiter.length;
      const varintLength = framing.kind === 'length-prefixed' && framing.lengthVarint === true ? framing : null;
      const variable = size.terms.length > 0 || varintLength !== null;
      if (varintLength === null) {
        writer.writeLine(`const size = ${sizeExpression(size)};`);
      } else {
        // The varint's own size depends on the value it carries: the bytes after it (less the adjustment).
        const before = varintLength.lengthOffset + varintLength.lengthAdjustment;
        writer.writeLine(`const sizeWithoutLength = ${sizeExpression(size)};`);
        writer.writeLine(
          `const lengthValue = sizeWithoutLength${before === 0 ? '' : before > 0 ? ` - ${before}` : ` + ${-before}`};`,
        );
        writer.writeLine('const size = sizeWithoutLength + uvarintSize(lengthValue);');
      }
      const limit = framing.kind === 'fixed' ? framing.frameBytes : framing.maxFrameBytes;
      if (variable || size.constant > limit) {
        writer.writeLine(
          `if (size > ${limit}) throw new FrameTooLargeError({ limit: ${limit}, actual: size, atLeast: size, detail: ${quote(`encoding ${message.name}`)} });`,
        );
      }
      const frameSize = framing.kind === 'fixed' ? framing.frameBytes : 'size';
      writer.writeLine(`const frame = allocateFrame(${frameSize});`);
      writer.writeLine(`const view = new DataView(frame.buffer, frame.byteOffset, ${frameSize});`);
      const cursor = new Cursor();
      slots.forEach((slot, index) => {
        const last = index === slots.length - 1 && delimiter === null;
        if (checksumStarts(slots, slot)) writer.writeLine(`const ${startLocal(slot, locals)} = ${cursor.at()};`);
        if (slot.kind === 'length' && slot.framing.lengthVarint === true) {
          cursor.advance(writer, `writeUvarint(frame, ${cursor.at()}, lengthValue)`);
          return;
        }
        if (slot.kind === 'length') {
          const lengthType = uintOfBytes(slot.framing.lengthBytes, slot.framing.lengthEndian);
          const accessor = intAccessor(lengthType);
          const before = slot.framing.lengthOffset + slot.framing.lengthBytes + slot.framing.lengthAdjustment;
          const lengthValue = before === 0 ? 'size' : before > 0 ? `size - ${before}` : `size + ${-before}`;
          writer.writeLine(
            `view.${accessor.set}(${cursor.at()}, ${slot.framing.lengthBytes === 8 ? `BigInt(${lengthValue})` : lengthValue}${accessor.little});`,
          );
          cursor.skip(slot.framing.lengthBytes);
          return;
        }
        if (slot.kind === 'discriminator') {
          const int = slot.field.type as IntTypeIR;
          const accessor = intAccessor(int);
          writer.writeLine(
            `view.${accessor.set}(${cursor.at()}, ${int.bits === 64 ? `${slot.code}n` : slot.code}${accessor.little});`,
          );
          cursor.skip(int.bits / 8);
          return;
        }
        if (slot.kind === 'constant') {
          encodeConstant(context, writer, cursor, slot);
          return;
        }
        if (slot.kind === 'computed') {
          encodeComputed(context, writer, cursor, slot);
          return;
        }
        if (slot.kind === 'checksum') {
          encodeChecksum(context, writer, cursor, slot);
          return;
        }
        if (slot.kind === 'bits') {
          encodeBits(writer, cursor, slot);
          return;
        }
        encodeType(
          context,
          writer,
          cursor,
          slot.field.type,
          fieldValue(slot.field),
          locals.get(slot.field.name)!,
          slot.field.name,
          false,
          last,
        );
      });
      if (delimiter !== null && framing.kind === 'delimited') {
        const body = `size - ${delimiter.length}`;
        writer.writeLine(`frame.set(DELIMITER, ${body});`);
        // Searched with the delimiter in place: a body ending in the delimiter's first bytes would also cut the frame early.
        writer.writeLine(`const delimiterAt = delimiterIndex(frame, size);`);
        const carriageReturn = framing.stripCarriageReturn ? ` || (${body} > 0 && frame[${body} - 1] === 13)` : '';
        writer.writeLine(
          `if (delimiterAt !== ${body}${carriageReturn}) throw fail.invalid({ message: ${quote(message.name)}, field: '(frame)', expected: ${quote(`no delimiter inside the frame${framing.stripCarriageReturn ? ' and no CR byte before it' : ''}`)}, got: ${framing.stripCarriageReturn ? `delimiterAt === ${body} ? 'a CR byte at its end' : ` : ''}\`the delimiter at byte \${delimiterAt}\` });`,
        );
      }
      writer.writeLine('return frame;');
    },
  });
}

/** Checks a value and adds its encoded size to `size`; declares the locals `encodeType` reuses outside blocks. */
function measure(
  ctx: Context,
  w: CodeBlockWriter,
  type: TypeIR,
  value: string,
  name: string,
  path: string,
  size: Size,
): void {
  const fieldWhere = where(ctx, path);
  switch (type.kind) {
    case 'int': {
      const range = intRange(type);
      const test =
        type.bits === 64
          ? `${value} < ${range.min} || ${value} > ${range.max}`
          : `!Number.isInteger(${value}) || ${value} < ${range.min} || ${value} > ${range.max}`;
      w.writeLine(
        `if (${test}) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`an integer from ${range.min.replace('n', '')} to ${range.max.replace('n', '')}`)}, got: String(${value}) });`,
      );
      size.constant += type.bits / 8;
      return;
    }
    case 'float':
    case 'bool':
      size.constant += fixedSize(type)!;
      return;
    case 'timestamp': {
      w.writeLine(
        `if (!Number.isFinite(${value}.getTime())) throw fail.invalid({ ${fieldWhere}, expected: 'a valid Date', got: 'Invalid Date' });`,
      );
      size.constant += TIMESTAMP_BYTES;
      return;
    }
    case 'enum': {
      const codes = enumConstant(ctx, path, type, 'CODES');
      w.writeLine(`const ${name}Code = ${codes}.get(${value});`);
      w.writeLine(
        `if (${name}Code === undefined) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`one of ${type.values.map((v) => v.name).join(', ')}`)}, got: previewText(String(${value})) });`,
      );
      size.constant += type.base.bits / 8;
      return;
    }
    case 'flags':
      size.constant += type.base.bits / 8;
      return;
    case 'string':
    case 'bytes':
      measureSized(ctx, w, type, value, name, path, size);
      return;
    case 'varint': {
      const [min, max] = varintBounds(type);
      const inRange =
        type.bits === 64
          ? `${value} >= ${min}n && ${value} <= ${max}n`
          : `Number.isInteger(${value}) && ${value} >= ${min} && ${value} <= ${max}`;
      w.writeLine(
        `if (!(${inRange})) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`an integer from ${min} to ${max} (a varint of at most ${type.maxBytes} bytes)`)}, got: String(${value}) });`,
      );
      const raw = varintRaw(type, value);
      const sizeOf = type.bits === 64 ? 'uvarintSize64' : 'uvarintSize';
      if (raw !== value) w.writeLine(`const ${name}Raw = ${raw};`);
      size.terms.push(`${sizeOf}(${raw === value ? value : `${name}Raw`})`);
      return;
    }
    case 'struct': {
      const inners = nestedLocals(name, type.fields);
      type.fields.forEach((field, index) => {
        measure(ctx, w, field.type, access(value, field.name), inners[index]!, `${path}.${field.name}`, size);
      });
      return;
    }
    case 'array': {
      w.writeLine(
        `if (${value}.length > ${type.maxCount}) throw fail.tooLarge({ ${fieldWhere}, limit: ${type.maxCount}, actual: ${value}.length, unit: 'elements' });`,
      );
      if (type.count.kind === 'prefixed') size.constant += type.count.bytes;
      const fixed = fixedSize(type.element);
      if (fixed !== null && fixed > 0) size.terms.push(`${value}.length${fixed === 1 ? '' : ` * ${fixed}`}`);
      if (fixed !== null && !needsCheck(type.element)) return;
      if (fixed === null) {
        w.writeLine(`let ${name}Bytes = 0;`);
        size.terms.push(`${name}Bytes`);
      }
      w.write(`for (const ${name}Item of ${value})`).block(() => {
        const element: Size = { constant: 0, terms: [] };
        measure(ctx, w, type.element, `${name}Item`, `${name}Item`, `${path}[]`, element);
        if (fixed === null) w.writeLine(`${name}Bytes += ${sizeExpression(element)};`);
      });
      return;
    }
    case 'optional': {
      if (type.when !== undefined) {
        // Given exactly when the earlier field says so; then it is sized like any optional value, without the byte.
        const when = type.when;
        const source = [...ctx.model.ir.header, ...ctx.message.ir.fields].find((field) => field.name === when.field)!;
        const expected = describeWhen(when);
        w.writeLine(
          `if ((${value} !== undefined) !== (${whenTest(fieldValue(source), when)})) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`a value exactly when ${expected}`)}, got: ${value} === undefined ? 'none' : 'a value' });`,
        );
      } else {
        size.constant += 1;
      }
      const fixed = fixedSize(type.value);
      if (fixed !== null && fixed > 0) size.terms.push(`(${value} === undefined ? 0 : ${fixed})`);
      if (fixed !== null && !needsCheck(type.value)) return;
      if (fixed === null) {
        w.writeLine(`let ${name}Bytes = 0;`);
        size.terms.push(`${name}Bytes`);
      }
      w.write(`if (${value} !== undefined)`).block(() => {
        const inner: Size = { constant: 0, terms: [] };
        measure(ctx, w, type.value, value, `${name}Value`, path, inner);
        if (fixed === null) w.writeLine(`${name}Bytes = ${sizeExpression(inner)};`);
      });
      return;
    }
  }
}

function measureSized(
  ctx: Context,
  w: CodeBlockWriter,
  type: StringTypeIR | BytesTypeIR,
  value: string,
  name: string,
  path: string,
  size: Size,
): void {
  const fieldWhere = where(ctx, path);
  const limit = type.length.kind === 'fixed' ? type.length.bytes : type.maxBytes;
  // Strings are measured without encoding them and written straight into the frame: one allocation per message.
  const length = type.kind === 'string' ? `${name}Length` : `${value}.length`;
  if (type.kind === 'string') {
    if (type.pattern !== null) {
      w.writeLine(
        `if (!${patternConstant(ctx, path, type)}.test(${value})) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`a match for /${type.pattern}/`)}, got: previewText(${value}) });`,
      );
    }
    w.writeLine(`const ${name}Length = utf8ByteLength(${value});`);
  }
  if (type.kind === 'bytes' && type.length.kind === 'fixed') {
    w.writeLine(
      `if (${length} !== ${limit}) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`exactly ${limit} bytes`)}, got: \`\${${length}} bytes\` });`,
    );
  } else {
    w.writeLine(
      `if (${length} > ${limit}) throw fail.tooLarge({ ${fieldWhere}, limit: ${limit}, actual: ${length} });`,
    );
  }
  switch (type.length.kind) {
    case 'fixed':
      size.constant += type.length.bytes;
      return;
    case 'prefixed':
      size.constant += type.length.bytes;
      size.terms.push(length);
      return;
    case 'terminated': {
      const terminator = type.length.terminator;
      // UTF-8 never uses 0xF8-0xFF (the spec refuses 0x80-0xF7), so an encoded string cannot contain such a terminator.
      const needsCheck = type.kind === 'bytes' || terminator < 0x80;
      const contains =
        type.kind === 'string'
          ? `${value}.includes(${quote(String.fromCharCode(terminator))})`
          : `${value}.includes(${terminator})`;
      if (needsCheck) {
        w.writeLine(
          `if (${contains}) throw fail.invalid({ ${fieldWhere}, expected: ${quote(`no byte ${terminator} (it ends the field)`)}, got: 'a value containing it' });`,
        );
      }
      size.constant += 1;
      size.terms.push(length);
      return;
    }
    case 'rest':
    case 'field':
      size.terms.push(length);
      return;
  }
}

/**
 * Writes a value at the cursor. `nested`: inside a loop or branch, where the
 * locals `measure` declared are out of scope and are computed again.
 */
function encodeType(
  ctx: Context,
  w: CodeBlockWriter,
  cursor: Cursor,
  type: TypeIR,
  value: string,
  name: string,
  path: string,
  nested: boolean,
  last: boolean,
): void {
  const little = (endian: 'big' | 'little'): string => (endian === 'little' ? ', true' : '');
  switch (type.kind) {
    case 'int': {
      const accessor = intAccessor(type);
      w.writeLine(`view.${accessor.set}(${cursor.at()}, ${value}${accessor.little});`);
      cursor.skip(type.bits / 8);
      return;
    }
    case 'float':
      w.writeLine(`view.setFloat${type.bits}(${cursor.at()}, ${value}${little(type.endian)});`);
      cursor.skip(type.bits / 8);
      return;
    case 'bool':
      w.writeLine(`view.setUint8(${cursor.at()}, ${value} ? 1 : 0);`);
      cursor.skip(1);
      return;
    case 'timestamp': {
      // Seconds drop the sub-second part, as Math.floor(Date.now() / 1000) does.
      const raw =
        type.representation === 'unix-seconds' ? `Math.floor(${value}.getTime() / 1000)` : `${value}.getTime()`;
      w.writeLine(`setInt64Number(view, ${cursor.at()}, ${raw}, ${type.endian === 'little'});`);
      cursor.skip(TIMESTAMP_BYTES);
      return;
    }
    case 'enum': {
      const accessor = intAccessor(type.base);
      const code = nested ? `${enumConstant(ctx, path, type, 'CODES')}.get(${value})!` : `${name}Code`;
      w.writeLine(
        `view.${accessor.set}(${cursor.at()}, ${type.base.bits === 64 ? `BigInt(${code})` : code}${accessor.little});`,
      );
      cursor.skip(type.base.bits / 8);
      return;
    }
    case 'flags': {
      const accessor = intAccessor(type.base);
      const zero = type.base.bits === 64 ? '0n' : '0';
      const bits = type.flags.map(
        (flag) => `(${access(value, flag.name)} ? ${maskLiteral(type, [flag.bit])} : ${zero})`,
      );
      w.writeLine(
        `view.${accessor.set}(${cursor.at()}, ${bits.length === 0 ? zero : bits.join(' | ')}${accessor.little});`,
      );
      cursor.skip(type.base.bits / 8);
      return;
    }
    case 'varint': {
      const raw = varintRaw(type, value);
      const write = type.bits === 64 ? 'writeUvarint64' : 'writeUvarint';
      // Inside loops and branches the measured local is out of scope: zigzag again.
      const source = raw === value ? value : nested ? raw : `${name}Raw`;
      if (last) {
        w.writeLine(`${write}(frame, ${cursor.at()}, ${source});`);
        return;
      }
      cursor.advance(w, `${write}(frame, ${cursor.at()}, ${source})`);
      return;
    }
    case 'string':
    case 'bytes': {
      const length = type.length;
      const put = (at: string): string =>
        type.kind === 'string' ? `utf8Write(${value}, frame, ${at})` : `frame.set(${value}, ${at})`;
      if (length.kind === 'fixed') {
        // The frame starts zeroed, so a short fixed-size string is already NUL-padded.
        w.writeLine(`${put(cursor.at())};`);
        cursor.skip(length.bytes);
        return;
      }
      const prefix = length.kind === 'prefixed' ? length.bytes : 0;
      // Inside loops and branches a string's length is only known once it is written, so the prefix follows it.
      const writtenFirst = nested && type.kind === 'string';
      const byteCount = type.kind === 'string' ? `${name}Length` : `${value}.length`;
      if (writtenFirst) w.writeLine(`const ${byteCount} = ${put(cursor.at(prefix))};`);
      if (length.kind === 'prefixed') {
        const accessor = intAccessor(uintOfBytes(length.bytes, length.endian));
        const count = length.bytes === 8 ? `BigInt(${byteCount})` : byteCount;
        w.writeLine(`view.${accessor.set}(${cursor.at()}, ${count}${accessor.little});`);
        cursor.skip(length.bytes);
      }
      if (!writtenFirst) w.writeLine(`${put(cursor.at())};`);
      if (length.kind === 'terminated' && length.terminator !== 0) {
        w.writeLine(`frame[${cursor.at()} + ${byteCount}] = ${length.terminator};`);
      }
      if (!last) cursor.advance(w, length.kind === 'terminated' ? `${byteCount} + 1` : byteCount);
      return;
    }
    case 'struct': {
      const inners = nestedLocals(name, type.fields);
      type.fields.forEach((field, index) => {
        encodeType(
          ctx,
          w,
          cursor,
          field.type,
          access(value, field.name),
          inners[index]!,
          `${path}.${field.name}`,
          nested,
          last && index === type.fields.length - 1,
        );
      });
      return;
    }
    case 'array': {
      if (type.count.kind === 'prefixed') {
        const accessor = intAccessor(uintOfBytes(type.count.bytes, type.count.endian));
        w.writeLine(`view.${accessor.set}(${cursor.at()}, ${value}.length${accessor.little});`);
        cursor.skip(type.count.bytes);
      }
      cursor.sync(w);
      w.write(`for (const ${name}Item of ${value})`).block(() => {
        const inner = new Cursor(true);
        encodeType(ctx, w, inner, type.element, `${name}Item`, `${name}Item`, `${path}[]`, true, false);
        inner.sync(w);
      });
      return;
    }
    case 'optional':
      if (type.when === undefined) {
        w.writeLine(`view.setUint8(${cursor.at()}, ${value} === undefined ? 0 : 1);`);
        cursor.skip(1);
      }
      cursor.sync(w);
      w.write(`if (${value} !== undefined)`).block(() => {
        const inner = new Cursor(true);
        encodeType(ctx, w, inner, type.value, value, `${name}Value`, path, true, false);
        inner.sync(w);
      });
      return;
  }
}
