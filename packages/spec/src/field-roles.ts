import { describePath } from './describe.js';
import { didYouMean } from './diagnostics.js';
import type { ChecksumAlgorithm, ChecksumIR, ConstantIR, ConstantValueIR, TypeIR } from './ir.js';
import { isRecord } from './records.js';
import type { SpecPath } from './source.js';
import { constantBytes, describeKind, intRange, type TypeContext, varintRange } from './types.js';

type Definition = Record<string, unknown>;

/**
 * What a field may be besides its type: a constant (per sender, for header
 * fields), a default, a checksum. Each is checked against the field's
 * resolved type; null after reporting.
 */
export class FieldRoles {
  readonly #ctx: TypeContext;

  constructor(ctx: TypeContext) {
    this.#ctx = ctx;
  }

  /** A field's `checksum:`: the algorithm fits the field's width; `from` is checked once all fields are known. */
  checksum(type: TypeIR, def: Definition, path: SpecPath, inHeader: boolean, topLevel: boolean): ChecksumIR | null {
    const { report } = this.#ctx;
    const where = describePath(path);
    const raw = def.checksum;
    const algorithm = (isRecord(raw) ? raw.algorithm : raw) as ChecksumAlgorithm;
    const from = isRecord(raw) && typeof raw.from === 'string' ? raw.from : null;
    const clash = ['const', 'default', 'optional', ...(inHeader ? ['discriminator', 'correlation'] : [])].find(
      (key) => def[key] !== undefined && def[key] !== false,
    );
    if (!topLevel || clash !== undefined) {
      report.error(
        'checksum-not-applicable',
        [...path, 'checksum'],
        clash !== undefined
          ? `${where} has both 'checksum' and '${clash}'`
          : `'checksum' in ${where}: checksums are header or message fields`,
        clash !== undefined
          ? `keep one of 'checksum' and '${clash}'`
          : 'move the checksum to a header or message field',
        'key',
      );
      return null;
    }
    const bits = CHECKSUM_BITS[algorithm];
    if (type.kind !== 'int' || type.signed || type.bits !== bits) {
      report.error(
        'checksum-width',
        [...path, 'checksum'],
        `${algorithm} is ${bits} bits, but ${where} is ${describeKind(type)}`,
        `make it type: u${bits}`,
      );
      return null;
    }
    return { algorithm, from };
  }

  /** A field's `default:`, checked against its type and place; null after reporting. */
  default(type: TypeIR, def: Definition, path: SpecPath, inHeader: boolean, topLevel: boolean): number | null {
    const { report } = this.#ctx;
    const where = describePath(path);
    const defaultPath = [...path, 'default'];
    const clash = ['const', 'optional', ...(inHeader ? ['discriminator', 'correlation'] : [])].find(
      (key) => def[key] !== undefined && def[key] !== false,
    );
    if (
      !topLevel ||
      clash !== undefined ||
      (type.kind !== 'int' && type.kind !== 'bits' && type.kind !== 'varint' && type.kind !== 'enum')
    ) {
      report.error(
        'default-not-applicable',
        defaultPath,
        clash !== undefined
          ? `${where} has both 'default' and '${clash}'`
          : !topLevel
            ? `'default' in ${where}: defaults are for header and message fields`
            : `'default' in ${where} needs an integer or enum field, but it is ${describeKind(type)}`,
        clash !== undefined ? `keep one of 'default' and '${clash}'` : "remove 'default'",
        'key',
      );
      return null;
    }
    if (type.kind === 'enum') {
      // Kept as the value's code, as enum constants are; a name or a code may be written.
      const named = type.values.find((v) => v.name === def.default || v.value === def.default);
      if (named === undefined) {
        report.error(
          'default-out-of-range',
          defaultPath,
          `the default ${JSON.stringify(def.default)} of ${where} is none of its values`,
          `pick one of ${type.values.map((v) => v.name).join(', ')}`,
        );
        return null;
      }
      return named.value;
    }
    if (typeof def.default !== 'number') {
      report.error(
        'default-out-of-range',
        defaultPath,
        `the default ${JSON.stringify(def.default)} of ${where} is not a number, but it is ${describeKind(type)}`,
        'write an integer',
      );
      return null;
    }
    const value = def.default;
    const [min, max] =
      type.kind === 'bits' ? [0, 2 ** type.width - 1] : type.kind === 'varint' ? varintRange(type) : intRange(type);
    if (value < min || value > max) {
      report.error(
        'default-out-of-range',
        defaultPath,
        `the default ${value} of ${where} does not fit ${describeKind(type)} (${min} to ${max})`,
        'pick a value in range or a wider integer type',
      );
      return null;
    }
    return value;
  }

  constNotAllowed(path: SpecPath, where: string): void {
    this.#ctx.report.error(
      'const-not-allowed-here',
      path,
      `'const' in ${where}: constants are header or message fields`,
      'declare the constant on a field under header or a message’s fields (a struct or list element would repeat it in every value)',
      'key',
    );
  }

  /** The wire value of a field's `const:`, checked against its type; null after reporting. */
  constant(type: TypeIR, def: Definition, path: SpecPath, inHeader: boolean): ConstantIR | null {
    const { report } = this.#ctx;
    const raw = def.const;
    const constPath = [...path, 'const'];
    const where = describePath(path);
    for (const role of ['discriminator', 'correlation'] as const) {
      if (inHeader && def[role] === true) {
        report.error(
          'const-with-role',
          constPath,
          `${where} is both a constant and the ${role}, but the ${role} changes from frame to frame`,
          role === 'discriminator'
            ? "give each message its 'code' instead, or make another header field the constant"
            : "remove 'const': the client assigns correlation ids",
          'key',
        );
        return null;
      }
    }
    if (!isRecord(raw)) return this.constantValue(type, raw, constPath, where);
    // `const: { client: 0x80, server: 0x81 }`: who sends the frame decides (memcached's magic).
    if (!inHeader || (type.kind !== 'int' && type.kind !== 'enum' && type.kind !== 'bool' && type.kind !== 'bits')) {
      report.error(
        'const-by-sender-not-applicable',
        constPath,
        `${where} has a constant per sender, which only an integer, enum or bool header field can have`,
        'write one constant, or move the field to the header',
      );
      return null;
    }
    const client =
      raw.client === undefined ? null : this.constantValue(type, raw.client, [...constPath, 'client'], where);
    const server =
      raw.server === undefined ? null : this.constantValue(type, raw.server, [...constPath, 'server'], where);
    if ((raw.client !== undefined && client === null) || (raw.server !== undefined && server === null)) return null;
    return { kind: 'by-sender', client, server };
  }

  constantValue(type: TypeIR, raw: unknown, constPath: SpecPath, where: string): ConstantValueIR | null {
    const { report } = this.#ctx;
    const mismatch = (expected: string): null => {
      report.error(
        'const-type-mismatch',
        constPath,
        `the constant of ${where} must be ${expected}, since the field is ${describeKind(type)}; got ${JSON.stringify(raw)}`,
        `write ${expected}, or change the field's type`,
      );
      return null;
    };
    switch (type.kind) {
      case 'int': {
        if (typeof raw !== 'number' || !Number.isInteger(raw)) return mismatch('an integer');
        const [min, max] = intRange(type);
        if (raw < min || raw > max) {
          report.error(
            'const-out-of-range',
            constPath,
            `the constant ${raw} of ${where} does not fit ${describeKind(type)} (${min} to ${max})`,
            'pick a value in range or a wider integer type',
          );
          return null;
        }
        return { kind: 'int', value: raw, display: String(raw) };
      }
      case 'enum': {
        const names = type.values.map((value) => value.name);
        const found = type.values.find((value) => value.name === raw);
        if (found !== undefined) return { kind: 'int', value: found.value, display: found.name };
        if (typeof raw !== 'string') return mismatch(`the name of one of its values (${names.join(', ')})`);
        report.error(
          'const-unknown-enum-value',
          constPath,
          `the constant '${raw}' of ${where} is not one of its values`,
          didYouMean(raw, names) ?? `its values are ${names.join(', ')}`,
        );
        return null;
      }
      case 'bool':
        if (typeof raw !== 'boolean') return mismatch('true or false');
        return { kind: 'int', value: raw ? 1 : 0, display: String(raw) };
      case 'bits': {
        if (type.width === 1 && typeof raw === 'boolean')
          return { kind: 'int', value: raw ? 1 : 0, display: String(raw) };
        if (typeof raw !== 'number' || !Number.isInteger(raw))
          return mismatch(type.width === 1 ? 'true or false' : 'an integer');
        const max = 2 ** type.width - 1;
        if (raw < 0 || raw > max) {
          report.error(
            'const-out-of-range',
            constPath,
            `the constant ${raw} of ${where} does not fit ${describeKind(type)} (0 to ${max})`,
            'pick a value in range or more bits',
          );
          return null;
        }
        return { kind: 'int', value: raw, display: String(raw) };
      }
      case 'string':
      case 'bytes': {
        const bytes = constantBytes(type.kind, raw);
        if (bytes === null) return mismatch('a string or a list of byte values');
        if (typeof bytes === 'string') {
          report.error(
            'const-not-bytes',
            constPath,
            `the constant of ${where} ${bytes}`,
            'write the byte as \\xNN (up to \\xff), or make the field a string (UTF-8)',
          );
          return null;
        }
        if (
          type.kind === 'string' &&
          type.pattern !== null &&
          !new RegExp(type.pattern, 'u').test(new TextDecoder().decode(new Uint8Array(bytes)))
        ) {
          report.error(
            'const-type-mismatch',
            constPath,
            `the constant of ${where} does not match its pattern /${type.pattern}/`,
            'change the constant or remove the pattern',
          );
          return null;
        }
        return { kind: 'bytes', bytes, display: displayBytes(bytes) };
      }
      case 'optional':
        report.error(
          'const-optional',
          constPath,
          `${where} is both a constant and optional`,
          "a constant is always present: remove 'optional' or 'const'",
          'key',
        );
        return null;
      default:
        // float, timestamp, flags, lists and structs were refused by the key check.
        return null;
    }
  }
}

/** How wide each checksum is. */
const CHECKSUM_BITS: Record<ChecksumAlgorithm, 8 | 16 | 32> = {
  crc32: 32,
  'crc16-ccitt': 16,
  adler32: 32,
  sum8: 8,
  xor8: 8,
};

/** `PK\x03\x04`: printable ASCII as itself, every other byte as \xNN. */
export function displayBytes(bytes: readonly number[]): string {
  return bytes
    .map((b) =>
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
}
