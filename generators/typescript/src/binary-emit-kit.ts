import type { EnumTypeIR, FieldIR, FlagsTypeIR, IntTypeIR, StringTypeIR, TypeIR } from '@sockspec/spec';
import type { CodeBlockWriter } from 'ts-morph';
import type { CodecWriter } from './emit-text-codec.js';
import type { Slot } from './layout.js';
import type { MessageModel, ProtocolModel } from './model.js';
import { tsType } from './model.js';
import { access, camelCase, constantCase, failureSite, pascalCase, quote } from './names.js';

/**
 * What the binary codec emitters share: the cursor that tracks a position
 * while straight-line code is written, the steps that group fixed-size
 * reads under one bounds check, locals named after fields, and the error
 * context every generated throw names.
 */
const RESERVED_LOCALS = new Set([
  'frame',
  'view',
  'offset',
  'message',
  'size',
  'type',
  'code',
  'PROTOCOL',
  'framing',
  'delimiterAt',
  'fail',
  'input',
]);

/**
 * Locals for sibling fields. Every local derived from a field is its name
 * plus a capitalised suffix (`tagsCount`, `posX`), so a sibling whose name
 * extends another's that way (`tags` and `tagsCount`) ends in `_` instead.
 */
function siblingLocals(bases: readonly string[]): Map<string, string> {
  const extendsOther = (base: string): boolean =>
    bases.some((other) => other !== base && base.startsWith(other) && /[A-Z]/.test(base[other.length] ?? ''));
  return new Map(bases.map((base) => [base, extendsOther(base) ? `${base}_` : base]));
}

function fieldLocal(field: string): string {
  const name = camelCase(field);
  return RESERVED_LOCALS.has(name) || !/^[A-Za-z_$]/.test(name) ? `${name}Field` : name;
}

/** The local for each top-level field of a message, by field name. */
export function messageLocals(slots: readonly Slot[]): Map<string, string> {
  const fields = slots.flatMap((slot) =>
    slot.kind === 'bits'
      ? slot.members.map((member) => member.field.name)
      : slot.kind === 'field' || slot.kind === 'constant' || slot.kind === 'computed' || slot.kind === 'checksum'
        ? [slot.field.name]
        : [],
  );
  const unique = siblingLocals(fields.map(fieldLocal));
  return new Map(fields.map((field) => [field, unique.get(fieldLocal(field))!]));
}

/** Locals for a struct's fields nested in `parent`: `pos` + `x` → `posX`. */
export function nestedLocals(parent: string, fields: readonly FieldIR[]): string[] {
  const bases = fields.map((field) => `${parent}${pascalCase(field.name)}`);
  const unique = siblingLocals(bases);
  return bases.map((base) => unique.get(base)!);
}

/** Binary timestamps travel as a signed 64-bit count of seconds or milliseconds since 1970. */
export const TIMESTAMP_BYTES = 8;

/** The range of a JavaScript Date, in milliseconds either side of 1970. */
export const DATE_LIMIT_MS = 8_640_000_000_000_000;

/**
 * The position inside a frame while straight-line code is being written:
 * a constant until the first variable-size value, then `offset` plus a
 * constant. Constant offsets let the engine fold them into the DataView calls.
 */
export class Cursor {
  private dynamic: boolean;
  private add = 0;

  /** `dynamic`: inside a loop or branch, where `offset` already exists and says where the value starts. */
  constructor(dynamic = false) {
    this.dynamic = dynamic;
  }

  at(extra = 0): string {
    const n = this.add + extra;
    if (!this.dynamic) return String(n);
    return n === 0 ? 'offset' : `offset + ${n}`;
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

  /** Makes `offset` hold the current position, before a loop or branch moves it by amounts known only at run time. */
  sync(writer: CodeBlockWriter): void {
    if (!this.dynamic) writer.writeLine(`let offset = ${this.add};`);
    else if (this.add !== 0) writer.writeLine(`offset += ${this.add};`);
    this.dynamic = true;
    this.add = 0;
  }
}

export function intAccessor(type: IntTypeIR): { get: string; set: string; little: string } {
  const name =
    type.bits === 64 ? `Big${type.signed ? 'Int' : 'Uint'}64` : `${type.signed ? 'Int' : 'Uint'}${type.bits}`;
  return { get: `get${name}`, set: `set${name}`, little: type.bits > 8 && type.endian === 'little' ? ', true' : '' };
}

export function uintOfBytes(bytes: 1 | 2 | 4 | 8, endian: 'big' | 'little'): IntTypeIR {
  return { kind: 'int', bits: (bytes * 8) as 8 | 16 | 32 | 64, signed: false, endian };
}

export function intRange(type: IntTypeIR): { min: string; max: string } {
  if (type.bits === 64) {
    return type.signed
      ? { min: '-9223372036854775808n', max: '9223372036854775807n' }
      : { min: '0n', max: '18446744073709551615n' };
  }
  const span = 2 ** type.bits;
  return type.signed ? { min: String(-span / 2), max: String(span / 2 - 1) } : { min: '0', max: String(span - 1) };
}

/** A bit mask as a literal of the flags' base type: bigint for 64-bit flags, number otherwise. */
export function maskLiteral(type: FlagsTypeIR, bits: readonly number[]): string {
  const mask = bits.reduce((sum, bit) => sum | (1n << BigInt(bit)), 0n);
  return type.base.bits === 64 ? `0x${mask.toString(16)}n` : `0x${mask.toString(16)}`;
}

/** Elements that take a TypeScript type annotation without parentheses. */
export function arrayOf(element: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(element) ? `${element}[]` : `Array<${element}>`;
}

export interface Context {
  readonly model: ProtocolModel;
  readonly message: MessageModel;
  readonly out: CodecWriter;
  /** The local each top-level field is read into or measured as, by field name. */
  readonly locals: ReadonlyMap<string, string>;
}

export function where(context: Context, path: string): string {
  return failureSite(context.message.name, path);
}

export function addConstant(context: Context, name: string, type: string, initializer: string): string {
  if (!context.out.constants.some((constant) => constant.name === name)) {
    context.out.constants.push({ name, type, initializer });
  }
  return name;
}

export function enumConstant(context: Context, path: string, type: EnumTypeIR, kind: 'NAMES' | 'CODES'): string {
  const owner = type.typeName ?? `${context.message.name}_${path}`;
  const name = `${constantCase(owner)}_${kind}`;
  return kind === 'NAMES'
    ? addConstant(
        context,
        name,
        `ReadonlyMap<number, ${tsType(type)}>`,
        `new Map([${type.values.map((value) => `[${value.value}, '${value.name}']`).join(', ')}])`,
      )
    : addConstant(
        context,
        name,
        'ReadonlyMap<string, number>',
        `new Map([${type.values.map((value) => `['${value.name}', ${value.value}]`).join(', ')}])`,
      );
}

export function patternConstant(context: Context, path: string, type: StringTypeIR): string {
  const owner = type.typeName ?? `${context.message.name}_${path}`;
  return addConstant(
    context,
    `${constantCase(owner)}_PATTERN`,
    'RegExp',
    `new RegExp(${quote(type.pattern ?? '')}, 'u')`,
  );
}

/** Fixed-size steps get one bounds check per run; variable-size steps check themselves. */
export type Step =
  | { readonly size: number; readonly path: string; readonly write: (at: (extra?: number) => string) => void }
  | { readonly size: null; readonly write: () => void };

/** Writes the steps in order, grouping consecutive fixed-size ones so a run of scalars costs one bounds check. */
export function flush(context: Context, w: CodeBlockWriter, cursor: Cursor, steps: readonly Step[]): void {
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
    if (run > 0) {
      // The framing's length prefix was checked by the frame decoder; name the field after it instead.
      const runSteps = steps.slice(index, end) as { size: number; path: string }[];
      const first = runSteps.find((candidate) => candidate.size !== 0 && candidate.path !== '(length)') ?? runSteps[0]!;
      w.writeLine(
        `if (frame.length < ${cursor.at(run)}) throw fail.truncated({ ${where(context, first.path)}, needed: ${run}, offset: ${cursor.at()}, frameBytes: frame.length });`,
      );
    }
    for (; index < end; index += 1) {
      const fixed = steps[index]!;
      if (fixed.size === null) continue;
      fixed.write((extra = 0) => cursor.at(extra));
      cursor.skip(fixed.size);
    }
  }
}

/** How the encoder reads a field of `message`: with its default when the caller left it out. */
export function fieldValue(field: FieldIR): string {
  // A presence flag is whether the field it reports was given.
  if (field.presence !== undefined) return `(${access('message', field.presence)} !== undefined)`;
  const value = access('message', field.name);
  const fallback = defaultLiteral(field);
  return fallback === null ? value : `(${value} ?? ${fallback})`;
}

/** A field's default as a TypeScript value of its type (`0`, `0n`, `false`, `'plain'`), or null without one. */
export function defaultLiteral(field: FieldIR): string | null {
  const value = field.default;
  if (value === undefined) return null;
  switch (field.type.kind) {
    case 'bits':
      return field.type.width === 1 ? String(value === 1) : String(value);
    case 'int':
    case 'varint':
      return field.type.bits === 64 ? `${value}n` : String(value);
    case 'enum':
      // The IR keeps an enum's default as its code; the TypeScript value is its name.
      return quote(field.type.values.find((named) => named.value === value)!.name);
    default:
      return null;
  }
}

/** The integer a constant int, enum or bool field is read and written as. */
export function constantInt(type: TypeIR): IntTypeIR {
  if (type.kind === 'int') return type;
  if (type.kind === 'enum' || type.kind === 'flags') return type.base;
  return { kind: 'int', bits: 8, signed: false, endian: 'big' };
}

/** Bytes a value adds to the frame: a constant plus run-time terms. */
export interface Size {
  constant: number;
  readonly terms: string[];
}

export function sizeExpression(size: Size): string {
  return size.terms.length === 0
    ? String(size.constant)
    : [...(size.constant === 0 ? [] : [String(size.constant)]), ...size.terms].join(' + ');
}
