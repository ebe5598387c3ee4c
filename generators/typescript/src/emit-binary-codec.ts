import type { EnumTypeIR, FieldIR, IntTypeIR, TypeIR } from '@sockspec/spec';
import type { CodeBlockWriter } from 'ts-morph';
import { UnsupportedFeatureError } from './define.js';
import type { CodecWriter } from './emit-text-codec.js';
import { fixedSize, messageSlots, type Slot } from './layout.js';
import type { MessageModel, ProtocolModel } from './model.js';
import { tsType } from './model.js';
import { access, camelCase, constantCase, propertyKey, quote } from './names.js';

const RESERVED_LOCALS = new Set(['frame', 'view', 'offset', 'message', 'size', 'type', 'code', 'PROTOCOL', 'framing']);

function local(field: string, suffix = ''): string {
  const name = camelCase(field);
  const safe = RESERVED_LOCALS.has(name) || !/^[A-Za-z_$]/.test(name) ? `${name}Field` : name;
  return `${safe}${suffix}`;
}

/**
 * The position inside a frame while straight-line code is being written:
 * a constant until the first variable-size value, then `offset` plus a
 * constant. Constant offsets let the engine fold them into the DataView calls.
 */
class Cursor {
  private dynamic = false;
  private add = 0;

  at(extra = 0): string {
    const n = this.add + extra;
    if (!this.dynamic) return String(n);
    return n === 0 ? 'offset' : `offset + ${n}`;
  }

  /** Only as a number while no variable-size value came before. */
  get constant(): number | null {
    return this.dynamic ? null : this.add;
  }

  skip(bytes: number): void {
    this.add += bytes;
  }

  advance(writer: CodeBlockWriter, length: string): void {
    const by = this.add === 0 ? length : `${this.add} + ${length}`;
    writer.writeLine(this.dynamic ? `offset += ${by};` : `let offset = ${by};`);
    this.dynamic = true;
    this.add = 0;
  }
}

function intAccessor(type: IntTypeIR): { get: string; set: string; little: string } {
  const name =
    type.bits === 64 ? `Big${type.signed ? 'Int' : 'Uint'}64` : `${type.signed ? 'Int' : 'Uint'}${type.bits}`;
  return { get: `get${name}`, set: `set${name}`, little: type.bits > 8 && type.endian === 'little' ? ', true' : '' };
}

function uintOfBytes(bytes: 1 | 2 | 4 | 8, endian: 'big' | 'little'): IntTypeIR {
  return { kind: 'int', bits: (bytes * 8) as 8 | 16 | 32 | 64, signed: false, endian };
}

function intRange(type: IntTypeIR): { min: string; max: string } {
  if (type.bits === 64) {
    return type.signed
      ? { min: '-9223372036854775808n', max: '9223372036854775807n' }
      : { min: '0n', max: '18446744073709551615n' };
  }
  const span = 2 ** type.bits;
  return type.signed ? { min: String(-span / 2), max: String(span / 2 - 1) } : { min: '0', max: String(span - 1) };
}

interface Context {
  readonly model: ProtocolModel;
  readonly message: MessageModel;
  readonly out: CodecWriter;
}

function where(context: Context, field: string): string {
  return `protocol: PROTOCOL.name, message: ${quote(context.message.name)}, field: ${quote(field)}`;
}

function enumConstant(context: Context, field: FieldIR, type: EnumTypeIR, kind: 'NAMES' | 'CODES'): string {
  const owner = type.typeName ?? `${context.message.name}_${field.name}`;
  const name = `${constantCase(owner)}_${kind}`;
  if (!context.out.constants.some((constant) => constant.name === name)) {
    const union = tsType(type);
    context.out.constants.push(
      kind === 'NAMES'
        ? {
            name,
            type: `ReadonlyMap<number, ${union}>`,
            initializer: `new Map([${type.values.map((value) => `[${value.value}, '${value.name}']`).join(', ')}])`,
          }
        : {
            name,
            type: `ReadonlyMap<string, number>`,
            initializer: `new Map([${type.values.map((value) => `['${value.name}', ${value.value}]`).join(', ')}])`,
          },
    );
  }
  return name;
}

/** Fixed-size steps get one bounds check per run; variable-size steps check themselves. */
type Step =
  | { readonly size: number; readonly write: (at: (extra?: number) => string) => void }
  | { readonly size: null; readonly write: () => void };

export function writeBinaryCodec(model: ProtocolModel, out: CodecWriter): void {
  const { ir } = model;
  if (ir.framing.kind === 'delimited') {
    throw new UnsupportedFeatureError(ir.sourceFile, 'framing', 'a binary protocol with delimited framing');
  }
  out.imports.add('TruncatedMessageError').add('FrameTooLargeError');
  const slotsByMessage = new Map(model.messages.map((message) => [message.name, messageSlots(ir, message)]));
  for (const message of model.messages) {
    const slots = slotsByMessage.get(message.name)!;
    writeDecode({ model, message, out }, slots);
    writeEncode({ model, message, out }, slots);
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

/** Byte position of the discriminator, when every message has it at the same constant offset. */
export function discriminatorPosition(model: ProtocolModel): { offset: number; type: IntTypeIR } | null {
  if (model.ir.discriminator === null) return null;
  let found: { offset: number; type: IntTypeIR } | null = null;
  for (const message of model.messages) {
    let offset = 0;
    for (const slot of messageSlots(model.ir, message)) {
      if (slot.kind === 'discriminator') {
        if (slot.field.type.kind !== 'int' || (found !== null && found.offset !== offset)) {
          throw new UnsupportedFeatureError(model.ir.sourceFile, 'header', 'a discriminator at different offsets');
        }
        found = { offset, type: slot.field.type };
        break;
      }
      const size = slot.kind === 'length' ? slot.framing.lengthBytes : fixedSize(slot.field.type);
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
  const cursor = new Cursor();
  out.imports.add('TrailingBytesError');
  out.functions.push({
    name: `decode${message.name}`,
    exported: true,
    docs: `Decodes a ${message.name} from a whole frame, as the frame decoder delivers it.`,
    parameters: [{ name: 'frame', type: 'Uint8Array' }],
    returnType: message.name,
    body: (writer) => {
      writer.writeLine('const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);');
      const steps: Step[] = [];
      const values: string[] = [`type: ${quote(message.name)}`];
      const stepFields: string[] = [];
      for (const slot of slots) {
        decodeSteps(context, writer, slot, steps, values);
        while (stepFields.length < steps.length) stepFields.push(slot.kind === 'length' ? '' : slot.field.name);
      }
      // The length prefix is the framing's, already checked by the frame decoder; name the field after it instead.
      for (let i = stepFields.length - 2; i >= 0; i -= 1) if (stepFields[i] === '') stepFields[i] = stepFields[i + 1]!;
      // Group consecutive fixed-size steps so a run of scalars costs one bounds check.
      let index = 0;
      while (index < steps.length) {
        const step = steps[index]!;
        if (step.size === null) {
          step.write();
          index += 1;
          continue;
        }
        let run = 0;
        let end = index;
        while (end < steps.length && steps[end]!.size !== null) {
          run += steps[end]!.size!;
          end += 1;
        }
        // The error names the run's first field: decoding cannot get past it.
        const first = stepFields[index]!;
        writer.write(`if (frame.length < ${cursor.at(run)})`).block(() => {
          writer.writeLine(
            `throw new TruncatedMessageError({ ${where(context, first)}, needed: ${run}, offset: ${cursor.at()}, frameBytes: frame.length });`,
          );
        });
        for (; index < end; index += 1) {
          const fixed = steps[index]!;
          if (fixed.size === null) continue;
          fixed.write((extra = 0) => cursor.at(extra));
          cursor.skip(fixed.size);
        }
      }
      if (model.ir.framing.kind !== 'fixed') {
        writer.write(`if (frame.length !== ${cursor.at()})`).block(() => {
          writer.writeLine(
            `throw new TrailingBytesError({ protocol: PROTOCOL.name, message: ${quote(message.name)}, consumed: ${cursor.at()}, frameBytes: frame.length });`,
          );
        });
      }
      writer.writeLine(`return { ${values.join(', ')} };`);

      // Steps close over the cursor, so they are defined here and run in order above.
      function decodeSteps(ctx: Context, w: CodeBlockWriter, slot: Slot, into: Step[], props: string[]): void {
        if (slot.kind === 'length') {
          into.push({ size: slot.framing.lengthBytes, write: () => {} });
          return;
        }
        if (slot.kind === 'discriminator') {
          const type = slot.field.type as IntTypeIR;
          const accessor = intAccessor(type);
          into.push({
            size: type.bits / 8,
            write: (at) => {
              const code = type.bits === 64 ? `${slot.code}n` : String(slot.code);
              w.writeLine(`const code = view.${accessor.get}(${at()}${accessor.little});`);
              w.write(`if (code !== ${code})`).block(() => {
                w.writeLine(
                  `throw new UnknownMessageError({ protocol: PROTOCOL.name, code, field: ${quote(slot.field.name)} });`,
                );
              });
              ctx.out.imports.add('UnknownMessageError');
            },
          });
          return;
        }
        const { field } = slot;
        const name = local(field.name);
        props.push(propertyKey(field.name) === name ? name : `${propertyKey(field.name)}: ${name}`);
        decodeField(ctx, w, field, field.type, name, into);
      }

      function decodeField(
        ctx: Context,
        w: CodeBlockWriter,
        field: FieldIR,
        type: TypeIR,
        name: string,
        into: Step[],
      ): void {
        const fieldWhere = where(ctx, field.name);
        switch (type.kind) {
          case 'int': {
            const accessor = intAccessor(type);
            into.push({
              size: type.bits / 8,
              write: (at) => w.writeLine(`const ${name} = view.${accessor.get}(${at()}${accessor.little});`),
            });
            return;
          }
          case 'float':
            into.push({
              size: type.bits / 8,
              write: (at) =>
                w.writeLine(
                  `const ${name} = view.getFloat${type.bits}(${at()}${type.endian === 'little' ? ', true' : ''});`,
                ),
            });
            return;
          case 'bool':
            ctx.out.imports.add('InvalidFieldError');
            into.push({
              size: 1,
              write: (at) => {
                w.writeLine(`const ${name}Byte = view.getUint8(${at()});`);
                w.write(`if (${name}Byte > 1)`).block(() => {
                  w.writeLine(
                    `throw new InvalidFieldError({ ${fieldWhere}, expected: '0 or 1', got: String(${name}Byte) });`,
                  );
                });
                w.writeLine(`const ${name} = ${name}Byte === 1;`);
              },
            });
            return;
          case 'enum': {
            ctx.out.imports.add('InvalidFieldError');
            const names = enumConstant(ctx, field, type, 'NAMES');
            const accessor = intAccessor(type.base);
            const expected = `one of ${type.values.map((value) => value.value).join(', ')}`;
            into.push({
              size: type.base.bits / 8,
              write: (at) => {
                const raw =
                  type.base.bits === 64
                    ? `Number(view.${accessor.get}(${at()}${accessor.little}))`
                    : `view.${accessor.get}(${at()}${accessor.little})`;
                w.writeLine(`const ${name}Code = ${raw};`);
                w.writeLine(`const ${name} = ${names}.get(${name}Code);`);
                w.write(`if (${name} === undefined)`).block(() => {
                  w.writeLine(
                    `throw new InvalidFieldError({ ${fieldWhere}, expected: ${quote(expected)}, got: String(${name}Code) });`,
                  );
                });
              },
            });
            return;
          }
          case 'flags': {
            ctx.out.imports.add('InvalidFieldError');
            const accessor = intAccessor(type.base);
            const mask = type.flags.reduce((bits, flag) => bits + 2 ** flag.bit, 0);
            into.push({
              size: type.base.bits / 8,
              write: (at) => {
                w.writeLine(`const ${name}Bits = view.${accessor.get}(${at()}${accessor.little});`);
                // Bitwise operators work on 32-bit signed integers; the masks are written to match.
                w.write(`if ((${name}Bits & ~0x${mask.toString(16)}) !== 0)`).block(() => {
                  w.writeLine(
                    `throw new InvalidFieldError({ ${fieldWhere}, expected: ${quote(`only bits ${type.flags.map((flag) => flag.bit).join(', ')}`)}, got: '0x' + (${name}Bits >>> 0).toString(16) });`,
                  );
                });
                const flags = type.flags.map(
                  (flag) => `${propertyKey(flag.name)}: (${name}Bits & 0x${(2 ** flag.bit).toString(16)}) !== 0`,
                );
                w.writeLine(`const ${name} = { ${flags.join(', ')} };`);
              },
            });
            return;
          }
          case 'string':
          case 'bytes':
            decodeSized(ctx, w, field, type, name, into);
            return;
          default:
            throw new UnsupportedFeatureError(
              ctx.model.ir.sourceFile,
              `message ${ctx.message.name}`,
              `a ${type.kind} field`,
            );
        }
      }

      function decodeSized(
        ctx: Context,
        w: CodeBlockWriter,
        field: FieldIR,
        type: Extract<TypeIR, { kind: 'string' | 'bytes' }>,
        name: string,
        into: Step[],
      ): void {
        const fieldWhere = where(ctx, field.name);
        const value = (from: string, to: string): string =>
          type.kind === 'string'
            ? `utf8Decode(frame.subarray(${from}, ${to}), ${quote(field.name)})`
            : `frame.slice(${from}, ${to})`;
        if (type.kind === 'string') ctx.out.imports.add('utf8Decode');
        if (type.kind === 'string' && type.pattern !== null) {
          ctx.out.constants.push({
            name: `${constantCase(ctx.message.name)}_${constantCase(field.name)}_PATTERN`,
            type: 'RegExp',
            initializer: `new RegExp(${quote(type.pattern)})`,
          });
        }
        const afterValue = (): void => {
          if (type.kind === 'string' && type.pattern !== null) {
            ctx.out.imports.add('InvalidFieldError').add('previewText');
            w.write(`if (!${constantCase(ctx.message.name)}_${constantCase(field.name)}_PATTERN.test(${name}))`).block(
              () => {
                w.writeLine(
                  `throw new InvalidFieldError({ ${fieldWhere}, expected: ${quote(`a match for /${type.pattern}/`)}, got: previewText(${name}) });`,
                );
              },
            );
          }
        };
        const tooLarge = (length: string): void => {
          ctx.out.imports.add('FieldTooLargeError');
          w.write(`if (${length} > ${type.maxBytes})`).block(() => {
            w.writeLine(`throw new FieldTooLargeError({ ${fieldWhere}, limit: ${type.maxBytes}, actual: ${length} });`);
          });
        };
        const length = type.length;
        switch (length.kind) {
          case 'fixed':
            into.push({
              size: length.bytes,
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
            into.push({
              size: null,
              write: () => {
                w.write(`if (frame.length < ${start} + ${name}Length)`).block(() => {
                  w.writeLine(
                    `throw new TruncatedMessageError({ ${fieldWhere}, needed: ${name}Length, offset: ${start}, frameBytes: frame.length });`,
                  );
                });
                w.writeLine(`const ${name} = ${value(start, `${start} + ${name}Length`)};`);
                afterValue();
                cursor.advance(w, `${name}Length`);
              },
            });
            return;
          }
          case 'terminated':
            into.push({
              size: null,
              write: () => {
                const start = cursor.at();
                w.writeLine(`const ${name}End = frame.indexOf(${length.terminator}, ${start});`);
                w.write(`if (${name}End === -1)`).block(() => {
                  w.writeLine(
                    `throw new TruncatedMessageError({ ${fieldWhere}, needed: frame.length - ${start} + 1, offset: ${start}, frameBytes: frame.length });`,
                  );
                });
                w.writeLine(`const ${name}Length = ${name}End - (${start});`);
                tooLarge(`${name}Length`);
                w.writeLine(`const ${name} = ${value(start, `${name}End`)};`);
                afterValue();
                cursor.advance(w, `${name}Length + 1`);
              },
            });
            return;
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
    },
  });
}

function writeEncode(context: Context, slots: readonly Slot[]): void {
  const { message, model, out } = context;
  const framing = model.ir.framing;
  out.functions.push({
    name: `encode${message.name}`,
    exported: true,
    docs: `Encodes a ${message.name} as a whole frame${framing.kind === 'length-prefixed' ? ', length field filled in' : ''}.`,
    parameters: [{ name: 'message', type: message.fieldsName }],
    returnType: 'Uint8Array',
    body: (writer) => {
      let constantSize = 0;
      const variable: string[] = [];
      // First every check and every encoding that decides the size, so the frame is allocated once at its exact size.
      for (const slot of slots) {
        if (slot.kind === 'length') {
          constantSize += slot.framing.lengthBytes;
          continue;
        }
        const type = slot.field.type;
        if (slot.kind === 'discriminator') {
          constantSize += fixedSize(type)!;
          continue;
        }
        const field = slot.field;
        const name = local(field.name);
        const value = access('message', field.name);
        const fieldWhere = where(context, field.name);
        switch (type.kind) {
          case 'int': {
            out.imports.add('InvalidFieldError');
            const range = intRange(type);
            const test =
              type.bits === 64
                ? `${value} < ${range.min} || ${value} > ${range.max}`
                : `!Number.isInteger(${value}) || ${value} < ${range.min} || ${value} > ${range.max}`;
            writer.write(`if (${test})`).block(() => {
              writer.writeLine(
                `throw new InvalidFieldError({ ${fieldWhere}, expected: ${quote(`an integer from ${range.min.replace('n', '')} to ${range.max.replace('n', '')}`)}, got: String(${value}) });`,
              );
            });
            constantSize += type.bits / 8;
            break;
          }
          case 'float':
          case 'bool':
            constantSize += fixedSize(type)!;
            break;
          case 'enum': {
            out.imports.add('InvalidFieldError').add('previewText');
            const codes = enumConstant(context, field, type, 'CODES');
            writer.writeLine(`const ${name}Code = ${codes}.get(${value});`);
            writer.write(`if (${name}Code === undefined)`).block(() => {
              writer.writeLine(
                `throw new InvalidFieldError({ ${fieldWhere}, expected: ${quote(`one of ${type.values.map((v) => v.name).join(', ')}`)}, got: previewText(String(${value})) });`,
              );
            });
            constantSize += type.base.bits / 8;
            break;
          }
          case 'flags': {
            const bits = type.flags.map(
              (flag) => `(${access(value, flag.name)} ? 0x${(2 ** flag.bit).toString(16)} : 0)`,
            );
            writer.writeLine(`const ${name}Bits = ${bits.length === 0 ? '0' : bits.join(' | ')};`);
            constantSize += type.base.bits / 8;
            break;
          }
          case 'string':
          case 'bytes': {
            out.imports.add('FieldTooLargeError');
            const limit = type.length.kind === 'fixed' ? type.length.bytes : type.maxBytes;
            // Strings are measured without encoding them and written straight into the frame: one allocation per message.
            const length = type.kind === 'string' ? `${name}Length` : `${name}Bytes.length`;
            if (type.kind === 'string') {
              out.imports.add('utf8ByteLength').add('utf8Write');
              if (type.pattern !== null) {
                out.imports.add('InvalidFieldError').add('previewText');
                writer
                  .write(`if (!${constantCase(message.name)}_${constantCase(field.name)}_PATTERN.test(${value}))`)
                  .block(() => {
                    writer.writeLine(
                      `throw new InvalidFieldError({ ${fieldWhere}, expected: ${quote(`a match for /${type.pattern}/`)}, got: previewText(${value}) });`,
                    );
                  });
              }
              writer.writeLine(`const ${name}Length = utf8ByteLength(${value});`);
            } else {
              writer.writeLine(`const ${name}Bytes = ${value};`);
            }
            if (type.kind === 'bytes' && type.length.kind === 'fixed') {
              out.imports.add('InvalidFieldError');
              writer.write(`if (${length} !== ${limit})`).block(() => {
                writer.writeLine(
                  `throw new InvalidFieldError({ ${fieldWhere}, expected: ${quote(`exactly ${limit} bytes`)}, got: \`\${${length}} bytes\` });`,
                );
              });
            } else {
              writer.write(`if (${length} > ${limit})`).block(() => {
                writer.writeLine(
                  `throw new FieldTooLargeError({ ${fieldWhere}, limit: ${limit}, actual: ${length} });`,
                );
              });
            }
            switch (type.length.kind) {
              case 'fixed':
                constantSize += type.length.bytes;
                break;
              case 'prefixed':
                constantSize += type.length.bytes;
                variable.push(length);
                break;
              case 'terminated': {
                out.imports.add('InvalidFieldError');
                const terminator = type.length.terminator;
                const contains =
                  type.kind === 'string'
                    ? `${value}.includes(${quote(String.fromCharCode(terminator))})`
                    : `${name}Bytes.includes(${terminator})`;
                writer.write(`if (${contains})`).block(() => {
                  writer.writeLine(
                    `throw new InvalidFieldError({ ${fieldWhere}, expected: ${quote(`no byte ${terminator} (it ends the field)`)}, got: 'a value containing it' });`,
                  );
                });
                constantSize += 1;
                variable.push(length);
                break;
              }
              case 'rest':
                variable.push(length);
                break;
            }
            break;
          }
          default:
            throw new UnsupportedFeatureError(model.ir.sourceFile, `message ${message.name}`, `a ${type.kind} field`);
        }
      }
      const sizeExpression = [String(constantSize), ...variable].join(' + ');
      writer.writeLine(`const size = ${sizeExpression};`);
      const limit = framing.kind === 'fixed' ? framing.frameBytes : framing.maxFrameBytes;
      if (variable.length > 0 || constantSize > limit) {
        writer.write(`if (size > ${limit})`).block(() => {
          writer.writeLine(
            `throw new FrameTooLargeError({ limit: ${limit}, actual: size, atLeast: size, detail: ${quote(`encoding ${message.name}`)} });`,
          );
        });
      }
      writer.writeLine(`const frame = new Uint8Array(${framing.kind === 'fixed' ? framing.frameBytes : 'size'});`);
      writer.writeLine('const view = new DataView(frame.buffer);');
      const cursor = new Cursor();
      slots.forEach((slot, index) => {
        const last = index === slots.length - 1;
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
        const type = slot.field.type;
        if (slot.kind === 'discriminator') {
          const int = type as IntTypeIR;
          const accessor = intAccessor(int);
          writer.writeLine(
            `view.${accessor.set}(${cursor.at()}, ${int.bits === 64 ? `${slot.code}n` : slot.code}${accessor.little});`,
          );
          cursor.skip(int.bits / 8);
          return;
        }
        const name = local(slot.field.name);
        const value = access('message', slot.field.name);
        switch (type.kind) {
          case 'int': {
            const accessor = intAccessor(type);
            writer.writeLine(`view.${accessor.set}(${cursor.at()}, ${value}${accessor.little});`);
            cursor.skip(type.bits / 8);
            return;
          }
          case 'float':
            writer.writeLine(
              `view.setFloat${type.bits}(${cursor.at()}, ${value}${type.endian === 'little' ? ', true' : ''});`,
            );
            cursor.skip(type.bits / 8);
            return;
          case 'bool':
            writer.writeLine(`view.setUint8(${cursor.at()}, ${value} ? 1 : 0);`);
            cursor.skip(1);
            return;
          case 'enum':
          case 'flags': {
            const accessor = intAccessor(type.base);
            const raw = type.kind === 'enum' ? `${name}Code` : `${name}Bits`;
            writer.writeLine(
              `view.${accessor.set}(${cursor.at()}, ${type.base.bits === 64 ? `BigInt(${raw})` : raw}${accessor.little});`,
            );
            cursor.skip(type.base.bits / 8);
            return;
          }
          case 'string':
          case 'bytes': {
            const length = type.length;
            const byteCount = type.kind === 'string' ? `${name}Length` : `${name}Bytes.length`;
            const put = (at: string): string =>
              type.kind === 'string' ? `utf8Write(${value}, frame, ${at});` : `frame.set(${name}Bytes, ${at});`;
            if (length.kind === 'fixed') {
              // The frame starts zeroed, so a short fixed-size string is already NUL-padded.
              writer.writeLine(put(cursor.at()));
              cursor.skip(length.bytes);
              return;
            }
            if (length.kind === 'prefixed') {
              const accessor = intAccessor(uintOfBytes(length.bytes, length.endian));
              const count = length.bytes === 8 ? `BigInt(${byteCount})` : byteCount;
              writer.writeLine(`view.${accessor.set}(${cursor.at()}, ${count}${accessor.little});`);
              cursor.skip(length.bytes);
            }
            writer.writeLine(put(cursor.at()));
            if (length.kind === 'terminated' && length.terminator !== 0) {
              writer.writeLine(`frame[${cursor.at()} + ${byteCount}] = ${length.terminator};`);
            }
            if (!last) cursor.advance(writer, length.kind === 'terminated' ? `${byteCount} + 1` : byteCount);
            return;
          }
          default:
            return;
        }
      });
      writer.writeLine('return frame;');
    },
  });
}
