import { describePath } from './describe.js';
import type { TypeIR, ValueIR } from './ir.js';
import type { Reporter } from './report.js';
import type { SpecPath, SpecSource } from './source.js';
import { describeKind, intRange, intRangeBig } from './types.js';

const encoder = new TextEncoder();

/**
 * Checks a literal from a greeting or reply against the field's type and
 * converts it to its IR form. Reports and returns null when it does not fit.
 */
export function literalValue(
  type: TypeIR,
  raw: unknown,
  path: SpecPath,
  source: SpecSource,
  report: Reporter,
): ValueIR | null {
  const where = describePath(path);
  const wrong = (expected: string, hint: string | null = null): null => {
    report.error(
      'invalid-literal',
      path,
      `${where} must be ${expected} for ${describeKind(type)} field, got ${describeRaw(raw)}`,
      hint,
    );
    return null;
  };
  switch (type.kind) {
    case 'optional':
      return literalValue(type.value, raw, path, source, report);
    case 'int': {
      if (typeof raw !== 'number' || !Number.isInteger(raw)) return wrong('an integer');
      if (type.bits === 64) {
        // JavaScript numbers lose digits past 2^53; read the digits the author wrote.
        const text = source.scalarSource(path) ?? String(raw);
        const big = /^[-+]?\d+$/.test(text) ? BigInt(text) : BigInt(raw);
        const [min, max] = intRangeBig(type);
        if (big < min || big > max) {
          report.error(
            'invalid-literal',
            path,
            `${where} must be an integer from ${min} to ${max} for ${describeKind(type)} field, got ${text}`,
            null,
          );
          return null;
        }
        return { kind: 'literal', value: big.toString() };
      }
      const [min, max] = intRange(type);
      if (raw < min || raw > max) return wrong(`an integer from ${min} to ${max}`);
      return { kind: 'literal', value: raw };
    }
    case 'float':
      if (typeof raw !== 'number') return wrong('a number');
      return { kind: 'literal', value: raw };
    case 'bool':
      if (typeof raw !== 'boolean') return wrong('true or false');
      return { kind: 'literal', value: raw };
    case 'string':
    case 'bytes': {
      if (typeof raw !== 'string') return wrong('a string', typeof raw === 'number' ? `quote it: '${raw}'` : null);
      const bytes = encoder.encode(raw).length;
      if (bytes > type.maxBytes) {
        return wrong(`at most ${type.maxBytes} bytes`, `shorten it (it is ${bytes} bytes as UTF-8)`);
      }
      if (type.kind === 'string' && type.pattern !== null && !new RegExp(type.pattern, 'u').test(raw)) {
        return wrong(`a string matching /${type.pattern}/`);
      }
      return { kind: 'literal', value: raw };
    }
    case 'enum': {
      const byName = type.values.find((v) => v.name === raw);
      if (byName !== undefined) return { kind: 'literal', value: byName.value };
      const byValue = type.values.find((v) => v.value === raw);
      if (byValue !== undefined) return { kind: 'literal', value: byValue.value };
      return wrong(`one of ${type.values.map((v) => v.name).join(', ')}`);
    }
    case 'timestamp':
      if (type.representation === 'unix-seconds' || type.representation === 'unix-millis') {
        if (typeof raw === 'number' && Number.isSafeInteger(raw)) return { kind: 'literal', value: raw };
        return wrong(`an integer (${type.representation})`, "or '$now' for the current time");
      }
      if (type.representation === 'iso8601' && typeof raw === 'string' && !Number.isNaN(Date.parse(raw))) {
        return { kind: 'literal', value: raw };
      }
      return wrong(
        type.representation === 'iso8601' ? 'an ISO 8601 date' : "'$now'",
        "use '$now' for the current time",
      );
    default:
      report.error(
        'unsupported-literal',
        path,
        `${where} is ${describeKind(type)}, which cannot be given as a literal`,
        "copy it from the request with '$request.<field>', or let a handler compose the message",
      );
      return null;
  }
}

function describeRaw(raw: unknown): string {
  if (typeof raw === 'string') return `'${raw}'`;
  return String(raw);
}

/**
 * Whether a value of type `from` (a request field) always fits a field of
 * type `to`. Returns a reason when not; `warn` marks fits that may fail only
 * for some values (a longer maximum length).
 */
export function compatibility(from: TypeIR, to: TypeIR): { ok: true } | { ok: false; warn: boolean; reason: string } {
  if (to.kind === 'optional' && from.kind !== 'optional') return compatibility(from, to.value);
  if (from.kind !== to.kind) {
    return { ok: false, warn: false, reason: `${describeKind(from)} cannot fill ${describeKind(to)} field` };
  }
  switch (from.kind) {
    case 'int': {
      const t = to as typeof from;
      const [fmin, fmax] = intRangeBig(from);
      const [tmin, tmax] = intRangeBig(t);
      return fmin >= tmin && fmax <= tmax
        ? { ok: true }
        : {
            ok: false,
            warn: false,
            reason: `${describeKind(from).replace(/^an? /, '')} values do not all fit ${describeKind(t)}`,
          };
    }
    case 'float':
      return from.bits <= (to as typeof from).bits
        ? { ok: true }
        : { ok: false, warn: false, reason: 'an f64 does not fit an f32' };
    case 'string':
    case 'bytes': {
      const t = to as typeof from;
      if (from.maxBytes > t.maxBytes) {
        return {
          ok: false,
          warn: true,
          reason: `it may hold ${from.maxBytes} bytes, but the target allows ${t.maxBytes}`,
        };
      }
      return { ok: true };
    }
    case 'enum': {
      const t = to as typeof from;
      const missing = from.values.filter((v) => !t.values.some((w) => w.value === v.value));
      return missing.length === 0
        ? { ok: true }
        : { ok: false, warn: false, reason: `the target enum lacks ${missing.map((v) => v.name).join(', ')}` };
    }
    case 'bool':
    case 'timestamp':
      return { ok: true };
    case 'optional':
      return compatibility(from.value, (to as typeof from).value);
    default:
      return JSON.stringify(stripNames(from)) === JSON.stringify(stripNames(to))
        ? { ok: true }
        : { ok: false, warn: false, reason: `the two ${describeKind(from).replace(/^an? /, '')} types differ` };
  }
}

function stripNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNames);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'typeName')
      .map(([k, v]) => [k, stripNames(v)]),
  );
}
