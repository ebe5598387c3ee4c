import type { FieldIR, IntTypeIR, LinePartIR } from '@sockspec/spec';
import type { CodeBlockWriter } from 'ts-morph';
import { failureSite, quote } from './names.js';

/** Python's time.ctime(): `Mon Nov  3 09:05:03 2026` (day of month space-padded). */
export const CTIME_PATTERN =
  '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3]\\d \\d{2}:\\d{2}:\\d{2} [1-9]\\d{3}';

/** `Date.prototype.toISOString()` in UTC, milliseconds optional; years past 9999 or before 0 take six digits and a sign. */
const ISO8601_PATTERN = '(?:[+-]\\d{6}|\\d{4})-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,3})?Z';

/** A decimal number as JavaScript's Number() reads it and String() writes it. */
const FLOAT_PATTERN = '-?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?';

/** Escapes text so a RegExp matches it literally (only syntax characters, so the `u` flag would accept it too). */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** The RegExp group for a part of this type; null for a string (lazy or greedy by position). */
function typedPartPattern(field: FieldIR | undefined): string | null {
  const type = field?.type;
  switch (type?.kind) {
    case 'timestamp':
      if (type.representation === 'ctime') return CTIME_PATTERN;
      if (type.representation === 'iso8601') return ISO8601_PATTERN;
      return '-?\\d+';
    case 'int':
      return type.signed ? '-?\\d+' : '\\d+';
    case 'float':
      return FLOAT_PATTERN;
    case 'bool':
      return 'true|false';
    case 'enum':
      return type.values.map((value) => escapeRegExp(value.name)).join('|');
    default:
      return null;
  }
}

/**
 * The RegExp source of a line template. Named parts take the shortest text
 * that lets the rest match, except the last, which takes the rest of the
 * line; typed parts (ctime, integers, numbers, bools, enums) match only
 * their own text form.
 */
export function templatePattern(parts: readonly LinePartIR[], fields: readonly FieldIR[]): string {
  const lastField = parts.reduce((last, part, index) => (part.kind === 'field' ? index : last), -1);
  const source = parts
    .map((part, index) => {
      if (part.kind === 'literal') return escapeRegExp(part.text);
      const typed = typedPartPattern(fields.find((candidate) => candidate.name === part.name));
      if (typed !== null) return `(${typed})`;
      return index === lastField ? '([^]*)' : '([^]*?)';
    })
    .join('');
  return `^${source}$`;
}

/** Whether a field's type is written as text a template can hold (a string, or a typed part). */
export function isPartType(field: FieldIR): boolean {
  return field.type.kind === 'string' || typedPartPattern(field) !== null;
}

function intBounds(type: IntTypeIR): [string, string] {
  if (type.bits === 64) {
    const span = 2n ** 64n;
    return type.signed ? [`${-span / 2n}n`, `${span / 2n - 1n}n`] : ['0n', `${span - 1n}n`];
  }
  const span = 2 ** type.bits;
  return type.signed ? [String(-span / 2), String(span / 2 - 1)] : ['0', String(span - 1)];
}

function context(message: string, field: string): string {
  return `{ protocol: PROTOCOL.name, message: ${quote(message)}, field: ${quote(field)} }`;
}

/**
 * The expression for a typed part's value, read from the matched text
 * `raw`; null for strings, which the caller checks itself.
 */
export function decodeTypedPart(message: string, field: FieldIR, raw: string, writer: CodeBlockWriter): string | null {
  const { type } = field;
  switch (type.kind) {
    case 'timestamp':
      if (type.representation === 'ctime') {
        return `parseCtime(${raw}, ${quote(field.name)})`;
      }
      if (type.representation === 'iso8601') {
        const local = `${field.name}Time`;
        writer.writeLine(`const ${local} = new Date(${raw});`);
        writer.writeLine(
          `if (Number.isNaN(${local}.getTime())) throw fail.invalid({ ${failureSite(message, field.name)}, expected: 'an ISO 8601 time', got: previewText(${raw}) });`,
        );
        return local;
      }
      return type.representation === 'unix-seconds'
        ? `new Date(parseTextInt(${raw}, -8640000000000, 8640000000000, ${context(message, field.name)}) * 1000)`
        : `new Date(parseTextInt(${raw}, -8640000000000000, 8640000000000000, ${context(message, field.name)}))`;
    case 'int': {
      const [min, max] = intBounds(type);
      const parse = type.bits === 64 ? 'parseTextBigInt' : 'parseTextInt';
      return `${parse}(${raw}, ${min}, ${max}, ${context(message, field.name)})`;
    }
    case 'float':
      return `Number(${raw})`;
    case 'bool':
      return `${raw} === 'true'`;
    case 'enum':
      return `${raw} as ${type.values.map((value) => quote(value.name)).join(' | ')}`;
    default:
      return null;
  }
}

/**
 * The text of a typed part for a line, from `value`; null for strings.
 * Typed text never holds a delimiter, so only its range is checked.
 */
export function encodeTypedPart(message: string, field: FieldIR, value: string): string | null {
  const { type } = field;
  switch (type.kind) {
    case 'timestamp':
      if (type.representation === 'ctime') {
        return `formatCtime(${value}, ${quote(field.name)})`;
      }
      if (type.representation === 'iso8601') return `${value}.toISOString()`;
      return type.representation === 'unix-seconds'
        ? `String(Math.floor(${value}.getTime() / 1000))`
        : `String(${value}.getTime())`;
    case 'int': {
      const [min, max] = intBounds(type);
      return `formatTextInt(${value}, ${min}, ${max}, ${context(message, field.name)})`;
    }
    case 'float':
      return `formatTextFloat(${value}, ${context(message, field.name)})`;
    case 'bool':
      return `(${value} ? 'true' : 'false')`;
    case 'enum':
      return value;
    default:
      return null;
  }
}

export { context as textFieldContext };
