import { describePath } from './describe.js';
import { didYouMean } from './diagnostics.js';
import type { FieldRoles } from './field-roles.js';
import type {
  BytesTypeIR,
  Endian,
  FieldIR,
  IntTypeIR,
  LengthEncodingIR,
  StringTypeIR,
  StructTypeIR,
  TypeIR,
  VarintTypeIR,
} from './ir.js';
import type { Reporter } from './report.js';
import { BUILTIN_TYPE_NAMES, type BuiltinTypeName } from './schema.js';
import type { BrokenPaths } from './shape.js';
import type { SpecPath } from './source.js';
import { type DeclaredSwitch, expandSwitch } from './switch-fields.js';
import { parseLineTemplate } from './template.js';

export interface TypeContext {
  readonly encoding: 'text' | 'binary';
  readonly byteOrder: Endian;
  /** Which end of a byte run the first bit field takes. */
  readonly bitOrder: Endian;
  /** Most bytes a single value can take: the frame's payload limit. */
  readonly valueLimit: number;
  readonly report: Reporter;
  readonly broken: BrokenPaths;
}

type Definition = Record<string, unknown>;

const MAX_BITS_VALUE: Record<1 | 2 | 4 | 8, number> = {
  1: 0xff,
  2: 0xffff,
  4: 0xffff_ffff,
  8: Number.MAX_SAFE_INTEGER,
};

/** Types a part of a line can take: each has one text form. */
const LINE_PART_KINDS: ReadonlySet<TypeIR['kind']> = new Set(['int', 'float', 'bool', 'string', 'timestamp', 'enum']);

/** Whether a value of this type can be a part of a line template (a string or bytes only when it takes the rest of the part). */
export function isLinePartType(type: TypeIR): boolean {
  if ((type.kind === 'string' || type.kind === 'bytes') && type.length.kind !== 'rest') return false;
  return LINE_PART_KINDS.has(type.kind);
}

const PREFIX_BYTES: Record<string, 1 | 2 | 4 | 8> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** `b1` … `b32`: bit fields. */
const BITS_TYPE = /^b([1-9]|[12][0-9]|3[0-2])$/;

/** Keys a type definition may carry for each kind of type, besides the universal ones. */
const KIND_KEYS: Record<TypeIR['kind'], readonly string[]> = {
  int: ['endian', 'values', 'flags', 'const', 'default', 'checksum'],
  bits: ['const', 'default', 'presence'],
  varint: ['maxBytes', 'default'],
  float: ['endian'],
  bool: ['const'],
  string: ['maxBytes', 'pattern', 'length', 'terminator', 'endian', 'const'],
  bytes: ['maxBytes', 'length', 'terminator', 'endian', 'const'],
  timestamp: ['format', 'endian'],
  enum: ['const', 'default'],
  flags: [],
  array: ['items', 'count', 'maxCount', 'endian'],
  struct: ['fields', 'length', 'line'],
  optional: [],
  messages: [],
};
const UNIVERSAL_KEYS = new Set(['type', 'description', 'optional', 'when', 'discriminator', 'correlation']);
const BINARY_ONLY_KEYS = new Set([
  'endian',
  'length',
  'terminator',
  'count',
  'const',
  'default',
  'checksum',
  'when',
  'presence',
]);
const KEY_OWNERS: Record<string, string> = {
  endian: 'integer, float, timestamp and list types',
  values: 'integer types (it makes an enum)',
  flags: 'integer types (it makes bit flags)',
  maxBytes: 'string, bytes and varint types',
  pattern: 'string types',
  length: 'string and bytes types',
  terminator: "string and bytes types with length 'terminated'",
  format: 'timestamp types',
  items: 'lists',
  count: 'lists',
  maxCount: 'lists',
  fields: 'structs',
  line: 'structs in text protocols (a struct written as one line)',
  const: 'integer, enum, bool, string and bytes fields',
  default: 'integer and enum header and message fields',
  checksum: 'u8, u16 and u32 header and message fields',
  presence: 'b1 message fields',
};

/**
 * Resolves type references (built-in names, names from `types:`, inline
 * definitions) to TypeIR, filling every default. Named types are resolved
 * once and shared; a name met again while it is being resolved is a cycle.
 */
export class TypeResolver {
  readonly #ctx: TypeContext;
  readonly #definitions: ReadonlyMap<string, unknown>;
  readonly #resolved = new Map<string, TypeIR | null>();
  readonly #resolving: string[] = [];
  readonly used = new Set<string>();
  /** Constants, defaults and checksums: what a field is besides its type. */
  readonly #roles: FieldRoles;

  constructor(ctx: TypeContext, definitions: ReadonlyMap<string, unknown>, roles: FieldRoles) {
    this.#ctx = ctx;
    this.#definitions = definitions;
    this.#roles = roles;
  }

  get names(): readonly string[] {
    return [...this.#definitions.keys()];
  }

  /** Resolves a named type by its declaration (used to check every entry of `types:`). */
  resolveNamed(name: string, from: SpecPath | null): TypeIR | null {
    const cached = this.#resolved.get(name);
    if (cached !== undefined) return cached;
    const cycleStart = this.#resolving.indexOf(name);
    if (cycleStart >= 0) {
      const chain = [...this.#resolving.slice(cycleStart), name];
      for (const member of chain) this.#resolved.set(member, null);
      this.#ctx.report.error(
        'type-cycle',
        from ?? ['types', name],
        `type '${name}' contains itself: ${chain.join(' → ')}`,
        'a type cannot contain itself; break the cycle with a list or a separate message',
      );
      return null;
    }
    const path = ['types', name];
    if (!this.#ctx.broken.ok(path)) {
      this.#resolved.set(name, null);
      return null;
    }
    this.#resolving.push(name);
    let ir: TypeIR | null;
    try {
      ir = this.resolve(this.#definitions.get(name), path, false);
    } finally {
      this.#resolving.pop();
    }
    // A cycle found deeper down already marked this name; keep that verdict.
    if (this.#resolved.get(name) === null) return null;
    const definition = this.#definitions.get(name);
    if (ir !== null && isDefinition(definition) && definition.const !== undefined) {
      this.#roles.constNotAllowed([...path, 'const'], `type '${name}'`);
      ir = null;
    }
    if (ir !== null && isDefinition(definition) && definition.default !== undefined) {
      this.#ctx.report.error(
        'default-not-applicable',
        [...path, 'default'],
        `'default' in type '${name}': defaults are for header and message fields`,
        "write 'default' on the field that uses the type",
        'key',
      );
      ir = null;
    }
    const named = ir === null ? null : ({ ...ir, typeName: name } as TypeIR);
    this.#resolved.set(name, named);
    return named;
  }

  /**
   * Resolves the type reference at `path` (a type name or a definition).
   * Returns null after reporting when it cannot be resolved.
   */
  resolve(ref: unknown, path: SpecPath, inHeader: boolean): TypeIR | null {
    if (typeof ref === 'string') return this.#resolveName(ref, path);
    if (ref === null || typeof ref !== 'object' || Array.isArray(ref)) return null;
    return this.#resolveDefinition(ref as Definition, path, inHeader);
  }

  /**
   * Resolves the fields of a mapping `name -> type reference`, in declaration
   * order. `constants`: header and message fields may be constants; struct
   * fields may not (issue 8 keeps constants where a byte table puts them).
   */
  resolveFields(
    map: unknown,
    path: SpecPath,
    inHeader: boolean,
    constants = false,
    switches: DeclaredSwitch[] | null = null,
  ): FieldIR[] | null {
    if (map === undefined) return [];
    if (map === null || typeof map !== 'object') return null;
    const fields: FieldIR[] = [];
    let ok = true;
    for (const [name, ref] of Object.entries(map)) {
      const fieldPath = [...path, name];
      if (!this.#ctx.broken.ok(fieldPath)) {
        ok = false;
        continue;
      }
      if (isDefinition(ref) && ref.switch !== undefined) {
        const expanded = this.#switch(name, ref, fieldPath, map, inHeader, constants, switches);
        if (expanded === null) {
          ok = false;
          continue;
        }
        switches?.push({ ir: expanded.ir, at: fields.length, path: fieldPath });
        fields.push(...expanded.fields);
        continue;
      }
      const type = this.resolve(ref, fieldPath, inHeader);
      if (type === null) {
        ok = false;
        continue;
      }
      const description = isDefinition(ref) && typeof ref.description === 'string' ? ref.description : '';
      if (isDefinition(ref) && ref.checksum !== undefined) {
        const checksum = this.#roles.checksum(type, ref, fieldPath, inHeader, constants);
        if (checksum === null) {
          ok = false;
          continue;
        }
        fields.push({ name, type, description, checksum });
        continue;
      }
      if (isDefinition(ref) && typeof ref.presence === 'string') {
        // Checked against the field it reports once every field is known (computed.ts).
        if (inHeader || !constants || type.kind !== 'bits' || type.width !== 1 || ref.default !== undefined) {
          this.#ctx.report.error(
            'presence-not-applicable',
            [...fieldPath, 'presence'],
            `'presence' makes ${describePath(fieldPath)} a flag the encoder sets, which only a b1 message field without a default can be`,
            inHeader
              ? 'move the flag to the messages that have the optional field'
              : 'make it a b1 field and remove its default',
          );
          ok = false;
          continue;
        }
        fields.push({ name, type, description, presence: ref.presence });
        continue;
      }
      if (isDefinition(ref) && ref.default !== undefined) {
        const value = this.#roles.default(type, ref, fieldPath, inHeader, constants);
        if (value === null) {
          ok = false;
          continue;
        }
        fields.push({ name, type, description, default: value });
        continue;
      }
      if (isDefinition(ref) && ref.const !== undefined) {
        if (!constants) {
          this.#roles.constNotAllowed([...fieldPath, 'const'], describePath(fieldPath));
          ok = false;
          continue;
        }
        const constant = this.#roles.constant(type, ref, fieldPath, inHeader);
        if (constant === null) {
          ok = false;
          continue;
        }
        fields.push({ name, type, description, constant });
        continue;
      }
      fields.push({ name, type, description });
    }
    return ok ? fields : null;
  }

  /** A `switch:` among the fields at `path`: only message fields of binary protocols take one. */
  #switch(
    name: string,
    definition: Definition,
    path: SpecPath,
    siblings: object,
    inHeader: boolean,
    constants: boolean,
    switches: DeclaredSwitch[] | null,
  ): ReturnType<typeof expandSwitch> {
    if (switches === null || this.#ctx.encoding === 'text') {
      this.#ctx.report.error(
        'switch-not-applicable',
        [...path, 'switch'],
        `${describePath(path)} is a switch, but ${
          this.#ctx.encoding === 'text'
            ? 'a text protocol chooses its layout by line template'
            : inHeader
              ? 'every message has the whole header'
              : constants
                ? 'a case cannot hold another switch'
                : 'only a message field can be a switch'
        }`,
        this.#ctx.encoding === 'text'
          ? 'declare one message per layout, each with its own line'
          : inHeader
            ? 'move the switch to the messages whose layout it chooses'
            : constants
              ? "flatten the inner switch into the outer one's cases"
              : 'move the switch to the message fields, or give each layout its own message',
        'key',
      );
      return null;
    }
    const names = new Set(Object.keys(siblings).filter((key) => key !== name));
    return expandSwitch(
      name,
      definition,
      path,
      names,
      (map, casePath) => this.resolveFields(map, casePath, false, true),
      this.#ctx.report,
    );
  }

  #resolveName(name: string, path: SpecPath): TypeIR | null {
    if ((BUILTIN_TYPE_NAMES as readonly string[]).includes(name)) return this.builtin(name as BuiltinTypeName, null);
    const bits = BITS_TYPE.exec(name);
    if (bits !== null) return { kind: 'bits', width: Number(bits[1]), bitOrder: this.#ctx.bitOrder };
    if (this.#definitions.has(name)) {
      this.used.add(name);
      return this.resolveNamed(name, path);
    }
    this.#ctx.report.error(
      'unknown-type',
      path,
      `unknown type '${name}' in ${describePath(typePathOwner(path))}`,
      didYouMean(name, [...BUILTIN_TYPE_NAMES, ...this.#definitions.keys()]) ??
        `use a built-in type (${BUILTIN_TYPE_NAMES.join(', ')}) or declare '${name}' under 'types'`,
    );
    return null;
  }

  /** A built-in type with every default filled. */
  builtin(name: BuiltinTypeName, endian: Endian | null): TypeIR {
    const { byteOrder, encoding, valueLimit } = this.#ctx;
    const order = endian ?? byteOrder;
    const int = /^([ui])(8|16|32|64)$/.exec(name);
    if (int !== null) {
      return { kind: 'int', bits: Number(int[2]) as 8 | 16 | 32 | 64, signed: int[1] === 'i', endian: order };
    }
    switch (name) {
      case 'varint':
      case 'varint64':
      case 'zigzag':
      case 'zigzag64': {
        const bits = name.endsWith('64') ? 64 : 32;
        return { kind: 'varint', bits, zigzag: name.startsWith('zigzag'), maxBytes: bits === 64 ? 10 : 5 };
      }
      case 'f32':
        return { kind: 'float', bits: 32, endian: order };
      case 'f64':
        return { kind: 'float', bits: 64, endian: order };
      case 'bool':
        return { kind: 'bool' };
      case 'timestamp':
        return { kind: 'timestamp', representation: encoding === 'text' ? 'ctime' : 'unix-millis', endian: order };
      case 'string':
      case 'bytes': {
        const length: LengthEncodingIR =
          encoding === 'text' ? { kind: 'rest' } : { kind: 'prefixed', bytes: 2, endian: order };
        const maxBytes = defaultMaxBytes(length, valueLimit);
        return name === 'string'
          ? { kind: 'string', encoding: 'utf8', length, maxBytes, pattern: null }
          : { kind: 'bytes', length, maxBytes };
      }
    }
    throw new Error(`unreachable built-in type ${name}`);
  }

  #resolveDefinition(def: Definition, path: SpecPath, inHeader: boolean): TypeIR | null {
    const { report } = this.#ctx;
    const where = describePath(typePathOwner(path));
    let ok = true;

    for (const key of ['discriminator', 'correlation']) {
      if (def[key] !== undefined && !inHeader) {
        report.error(
          'header-only-key',
          [...path, key],
          `'${key}' in ${where} is only allowed on header fields`,
          `move the field to 'header' or remove '${key}'`,
          'key',
        );
        ok = false;
      }
    }
    if (this.#ctx.encoding === 'text') {
      for (const key of Object.keys(def)) {
        if (BINARY_ONLY_KEYS.has(key) && !textAllows(key, def[key])) {
          report.error(
            'binary-only-key',
            [...path, key],
            `'${key}' in ${where} has no meaning in a text protocol`,
            `remove '${key}'; text fields are written as text`,
            'key',
          );
          ok = false;
        }
      }
    }

    let base: TypeIR | null;
    // A struct written as a line (`{ line: '{name}: {value}' }`) may leave out `fields`: its parts are strings.
    const shapeKeys = ['items', def.fields === undefined ? 'line' : 'fields', 'messages'].filter(
      (k) => def[k] !== undefined,
    );
    if (shapeKeys.length > 0) {
      const conflicting = [...(def.type !== undefined ? ['type'] : []), ...shapeKeys];
      if (conflicting.length > 1) {
        report.error(
          'conflicting-type-keys',
          [...path, conflicting[1]!],
          `${where} uses both ${conflicting.map((k) => `'${k}'`).join(' and ')}`,
          "use 'items' for a list, 'fields' for a struct, 'messages' for a message list element, or 'type' for anything else — only one",
          'key',
        );
        return null;
      }
      base =
        shapeKeys[0] === 'items'
          ? this.#array(def, path)
          : shapeKeys[0] === 'messages'
            ? this.#messageChoice(def, path)
            : this.#struct(def, path);
      if (base === null) return null;
    } else if (typeof def.type === 'string') {
      base = this.#resolveName(def.type, [...path, 'type']);
      if (base === null) return null;
    } else if (def.type === undefined && (typeof def.const === 'string' || Array.isArray(def.const))) {
      // `magic: { const: "PK\x03\x04" }`: the bytes say everything, the type is implied.
      base = this.builtin('bytes', null);
    } else if (def.type === undefined && typeof def.const === 'boolean') {
      base = this.builtin('bool', null);
    } else {
      report.error(
        'missing-type',
        path,
        `${where} has no 'type'`,
        typeof def.const === 'number'
          ? `add 'type:' with the constant's width on the wire, such as type: u8 or type: u16`
          : "add 'type:' with a built-in or named type ('items' makes a list, 'fields' a struct)",
      );
      return null;
    }

    // Keys that refine the base type; anything not listed for its kind is a mistake.
    const refinements = Object.keys(def).filter((k) => !UNIVERSAL_KEYS.has(k) && def[k] !== undefined);
    const allowed = KIND_KEYS[base.kind];
    for (const key of refinements) {
      if (
        allowed.includes(key) ||
        key === 'messages' ||
        (this.#ctx.encoding === 'text' && BINARY_ONLY_KEYS.has(key) && !textAllows(key, def[key]))
      )
        continue;
      // A key no type takes was already reported as 'unknown-key' by the shape pass: one problem, one error.
      if (!(key in KEY_OWNERS)) continue;
      report.error(
        'type-key-not-applicable',
        [...path, key],
        `'${key}' does not apply to ${describeKind(base)} in ${where}`,
        `'${key}' applies to ${KEY_OWNERS[key] ?? 'other types'}`,
        'key',
      );
      ok = false;
    }
    if (!ok) return null;

    let type = this.#refine(base, def, path, where);
    if (type === null) return null;
    // const and a struct's size field leave the TypeScript type as it is: the name stays.
    const renames = (k: string): boolean =>
      k !== 'items' &&
      k !== 'fields' &&
      k !== 'messages' &&
      k !== 'const' &&
      !(k === 'length' && base.kind === 'struct');
    if (refinements.some(renames) && 'typeName' in type) {
      // A refined named type is a new, anonymous type.
      const { typeName: _dropped, ...rest } = type;
      type = rest as TypeIR;
    }
    if (def.optional === true && def.when !== undefined) {
      report.error(
        'conflicting-type-keys',
        [...path, 'when'],
        `${where} uses both 'optional' and 'when'`,
        "'optional' marks presence with a byte, 'when' with an earlier field: keep one",
        'key',
      );
      return null;
    }
    if (def.optional === true) type = { kind: 'optional', value: type };
    if (isDefinition(def.when)) {
      // Checked against the fields before it once every field is known (computed.ts).
      const [field, value] = Object.entries(def.when)[0]!;
      const values = (Array.isArray(value) ? value : [value]) as (string | number | boolean)[];
      type = { kind: 'optional', value: type, when: { field, values } };
    }
    return type;
  }

  #refine(base: TypeIR, def: Definition, path: SpecPath, where: string): TypeIR | null {
    const { report, encoding } = this.#ctx;
    const endian = typeof def.endian === 'string' ? (def.endian as Endian) : null;
    switch (base.kind) {
      case 'int': {
        const int: IntTypeIR = endian === null ? base : { ...base, endian };
        if (def.values !== undefined && def.flags !== undefined) {
          report.error(
            'conflicting-type-keys',
            [...path, 'flags'],
            `${where} uses both 'values' and 'flags'`,
            "an integer is either an enum ('values') or bit flags ('flags'), not both",
            'key',
          );
          return null;
        }
        if (def.values !== undefined) return this.#enum(stripName(int), def.values as Record<string, number>, path);
        if (def.flags !== undefined) return this.#flags(stripName(int), def.flags as Record<string, number>, path);
        return int;
      }
      case 'float':
        return endian === null ? base : { ...base, endian };
      case 'timestamp': {
        const format = typeof def.format === 'string' ? (def.format as typeof base.representation) : null;
        const representation = format ?? base.representation;
        if (encoding === 'binary' && (representation === 'ctime' || representation === 'iso8601')) {
          report.error(
            'timestamp-format-binary',
            [...path, format === null ? 'type' : 'format'],
            `timestamp format '${representation}' in ${where} is text; binary protocols carry timestamps as integers`,
            "use format 'unix-millis' or 'unix-seconds', or a string field",
          );
          return null;
        }
        return { ...base, representation, endian: endian ?? base.endian };
      }
      case 'string':
      case 'bytes':
        return this.#variableSize(base, def, path, where);
      case 'struct':
        return def.length === undefined ? base : this.#structSize(base, def, path);
      case 'varint': {
        if (typeof def.maxBytes !== 'number') return base;
        const most = base.bits === 64 ? 10 : 5;
        if (def.maxBytes < 1 || def.maxBytes > most) {
          report.error(
            'varint-max-bytes',
            [...path, 'maxBytes'],
            `maxBytes ${def.maxBytes} of ${where} does not fit a ${base.bits}-bit varint (1 to ${most} bytes)`,
            `pick 1 to ${most} (MQTT's remaining length: 4)`,
          );
          return null;
        }
        return { ...base, maxBytes: def.maxBytes };
      }
      default:
        return base;
    }
  }

  #variableSize(
    base: StringTypeIR | BytesTypeIR,
    def: Definition,
    path: SpecPath,
    where: string,
  ): StringTypeIR | BytesTypeIR | null {
    const { report, byteOrder, valueLimit } = this.#ctx;
    const endian = typeof def.endian === 'string' ? (def.endian as Endian) : byteOrder;
    let length: LengthEncodingIR = base.length;
    const spec = def.length;
    const constant = def.const === undefined ? null : constantBytes(base.kind, def.const);
    if (constant !== null && typeof constant !== 'string') {
      // A constant has one size: its own. A declared length must agree with it.
      const fixed = isDefinition(spec) && typeof spec.fixed === 'number' ? spec.fixed : null;
      if (spec !== undefined && fixed !== constant.length) {
        report.error(
          'const-length-mismatch',
          [...path, 'length'],
          `${where} is the constant of ${constant.length} bytes, but its length is ${describeLengthSpec(spec)}`,
          `remove 'length' (a constant is written as exactly its ${constant.length} bytes), or make it { fixed: ${constant.length} }`,
        );
        return null;
      }
      return base.kind === 'bytes'
        ? { ...base, length: { kind: 'fixed', bytes: constant.length }, maxBytes: constant.length }
        : { ...base, length: { kind: 'fixed', bytes: constant.length }, maxBytes: constant.length };
    }
    if (typeof spec === 'string') {
      if (spec in PREFIX_BYTES) length = { kind: 'prefixed', bytes: PREFIX_BYTES[spec]!, endian };
      else if (spec === 'terminated') {
        length = { kind: 'terminated', terminator: typeof def.terminator === 'number' ? def.terminator : 0 };
      } else if (spec === 'rest') length = { kind: 'rest' };
    } else if (spec !== null && typeof spec === 'object' && typeof (spec as { fixed?: unknown }).fixed === 'number') {
      length = { kind: 'fixed', bytes: (spec as { fixed: number }).fixed };
    } else if (isDefinition(spec) && typeof spec.field === 'string') {
      // Checked against the named field, and maxBytes capped to what it holds, once every field is known.
      length = { kind: 'field', field: spec.field };
    } else if (isDefinition(spec) && typeof spec.line === 'string') {
      const line = this.#lengthLine(spec.line, [...path, 'length', 'line'], where);
      if (line === null) return null;
      length = line;
    } else if (isDefinition(spec) && typeof spec.from === 'string') {
      // The list, its element's fields and the field's place are checked by TextPass, which sees the whole message.
      const equals = isDefinition(spec.where) ? Object.entries(spec.where)[0] : undefined;
      length = {
        kind: 'lookup',
        lookup: {
          list: spec.from,
          where: { field: equals?.[0] ?? '', equals: String(equals?.[1] ?? '') },
          ignoreCase: spec.ignoreCase === true,
          value: typeof spec.value === 'string' ? spec.value : '',
        },
      };
    } else if (def.endian !== undefined && length.kind === 'prefixed') {
      length = { ...length, endian };
    }
    // 0x80-0xF7 occur inside multi-byte UTF-8 characters, so a string could not be cut there; 0xF8-0xFF never do.
    if (
      base.kind === 'string' &&
      length.kind === 'terminated' &&
      length.terminator >= 0x80 &&
      length.terminator <= 0xf7
    ) {
      report.error(
        'terminator-inside-utf8',
        [...path, 'terminator'],
        `terminator 0x${length.terminator.toString(16)} of ${where} can occur inside a UTF-8 character, so the string could end in the middle of one`,
        'use an ASCII byte (0x00-0x7F, usually 0) or one that UTF-8 never uses (0xF8-0xFF)',
      );
      return null;
    }
    if (def.terminator !== undefined && length.kind !== 'terminated') {
      report.error(
        'type-key-not-applicable',
        [...path, 'terminator'],
        `'terminator' in ${where} needs length 'terminated'`,
        "add length: terminated, or remove 'terminator'",
        'key',
      );
      return null;
    }
    const capacity = lengthCapacity(length);
    let maxBytes: number;
    if (typeof def.maxBytes === 'number') {
      maxBytes = def.maxBytes;
      if (capacity !== null && maxBytes > capacity) {
        report.error(
          'max-bytes-exceeds-length-field',
          [...path, 'maxBytes'],
          `maxBytes ${maxBytes} of ${where} does not fit its length (${describeLength(length)} holds at most ${capacity})`,
          length.kind === 'fixed'
            ? `lower maxBytes to ${capacity} or raise the fixed length`
            : `use a wider length prefix or lower maxBytes to ${capacity}`,
        );
        return null;
      }
      if (maxBytes > valueLimit) {
        report.warning(
          'max-bytes-exceeds-frame',
          [...path, 'maxBytes'],
          `maxBytes ${maxBytes} of ${where} is more than a frame can carry (${valueLimit} bytes)`,
          `lower maxBytes to ${valueLimit} or raise framing maxFrameBytes`,
        );
      }
    } else if (base.length === length && def.length === undefined) {
      maxBytes = base.maxBytes;
    } else {
      maxBytes = defaultMaxBytes(length, valueLimit);
    }
    if (base.kind === 'bytes') return { ...base, length, maxBytes };
    let pattern = base.pattern;
    if (typeof def.pattern === 'string') {
      try {
        new RegExp(def.pattern, 'u');
        pattern = def.pattern;
      } catch (error) {
        report.error(
          'invalid-pattern',
          [...path, 'pattern'],
          `pattern of ${where} is not a valid regular expression: ${(error as Error).message}`,
          'patterns are JavaScript regular expressions with the u flag',
        );
        return null;
      }
    }
    return { ...base, length, maxBytes, pattern };
  }

  #enum(base: IntTypeIR, values: Record<string, number>, path: SpecPath): TypeIR | null {
    const { report } = this.#ctx;
    const [min, max] = intRange(base);
    const seen = new Map<number, string>();
    let ok = true;
    for (const [name, value] of Object.entries(values)) {
      if (value < min || value > max) {
        report.error(
          'enum-value-out-of-range',
          [...path, 'values', name],
          `enum value ${name} = ${value} of ${describePath(typePathOwner(path))} does not fit ${describeKind(base)} (${min} to ${max})`,
          'pick a value in range or a wider integer type',
        );
        ok = false;
      } else if (seen.has(value)) {
        report.error(
          'duplicate-enum-value',
          [...path, 'values', name],
          `enum values ${seen.get(value)} and ${name} of ${describePath(typePathOwner(path))} are both ${value}`,
          'give every enum value its own number',
        );
        ok = false;
      }
      seen.set(value, name);
    }
    if (!ok) return null;
    return { kind: 'enum', base, values: Object.entries(values).map(([name, value]) => ({ name, value })) };
  }

  #flags(base: IntTypeIR, flags: Record<string, number>, path: SpecPath): TypeIR | null {
    const { report } = this.#ctx;
    const seen = new Map<number, string>();
    let ok = true;
    for (const [name, bit] of Object.entries(flags)) {
      if (bit >= base.bits) {
        report.error(
          'flag-bit-out-of-range',
          [...path, 'flags', name],
          `flag ${name} uses bit ${bit}, but ${describeKind(base)} has bits 0 to ${base.bits - 1}`,
          'pick a lower bit or a wider integer type',
        );
        ok = false;
      } else if (seen.has(bit)) {
        report.error(
          'duplicate-flag-bit',
          [...path, 'flags', name],
          `flags ${seen.get(bit)} and ${name} of ${describePath(typePathOwner(path))} both use bit ${bit}`,
          'give every flag its own bit',
        );
        ok = false;
      }
      seen.set(bit, name);
    }
    if (!ok) return null;
    return { kind: 'flags', base, flags: Object.entries(flags).map(([name, bit]) => ({ name, bit })) };
  }

  #array(def: Definition, path: SpecPath): TypeIR | null {
    const { byteOrder, valueLimit, report } = this.#ctx;
    const element = this.resolve(def.items, [...path, 'items'], false);
    if (element === null) return null;
    if (isDefinition(def.count) && typeof def.count.field === 'string') {
      // Checked against the named field, and maxCount capped to what it holds, once every field is known.
      const maxCount = typeof def.maxCount === 'number' ? def.maxCount : valueLimit;
      return { kind: 'array', element, count: { kind: 'field', field: def.count.field }, maxCount };
    }
    if (isDefinition(def.count) && typeof def.count.until === 'string') return this.#untilList(def, element, path);
    if (def.count === 'rest') {
      if (fixedSize(element) === 0) {
        report.error(
          'rest-list-empty-element',
          [...path, 'items'],
          `the elements of ${describePath(typePathOwner(path))} take no bytes, so a list that runs to the end of the frame would never end`,
          'give the elements at least one field, or count them (count: u8)',
        );
        return null;
      }
      const maxCount = typeof def.maxCount === 'number' ? def.maxCount : valueLimit;
      return { kind: 'array', element, count: { kind: 'rest' }, maxCount };
    }
    const bytes = typeof def.count === 'string' ? (PREFIX_BYTES[def.count] as 1 | 2 | 4) : 2;
    const endian = typeof def.endian === 'string' ? (def.endian as Endian) : byteOrder;
    const capacity = MAX_BITS_VALUE[bytes];
    let maxCount = Math.min(capacity, valueLimit);
    if (typeof def.maxCount === 'number') {
      if (def.maxCount > capacity) {
        report.error(
          'max-count-exceeds-count-field',
          [...path, 'maxCount'],
          `maxCount ${def.maxCount} of ${describePath(typePathOwner(path))} does not fit its u${bytes * 8} count (at most ${capacity})`,
          `use a wider count ('count: u${bytes === 1 ? 16 : 32}') or lower maxCount to ${capacity}`,
        );
        return null;
      }
      maxCount = def.maxCount;
    }
    return { kind: 'array', element, count: { kind: 'prefixed', bytes, endian }, maxCount };
  }

  /** `count: { until: '' }`: one line struct per line until the terminator line (HTTP's headers). */
  #untilList(def: Definition, element: TypeIR, path: SpecPath): TypeIR | null {
    const { report, encoding, valueLimit } = this.#ctx;
    const until = (def.count as { until: string }).until;
    if (encoding !== 'text') {
      report.error(
        'until-list-binary',
        [...path, 'count', 'until'],
        `${describePath(typePathOwner(path))} runs until a line, but this is a binary protocol`,
        'count the elements (count: u16, { field: <earlier integer field> }) or run them to the end of the frame (count: rest)',
      );
      return null;
    }
    if (element.kind !== 'struct' || element.line === undefined) {
      report.error(
        'until-list-element',
        [...path, 'items'],
        `the elements of ${describePath(typePathOwner(path))} run until the line ${JSON.stringify(until)}, so each must be one line, but they are ${describeKind(element)}`,
        "make the element a struct with a line template, such as items: { line: '{name}: {value}' }",
      );
      return null;
    }
    const maxCount = typeof def.maxCount === 'number' ? def.maxCount : Math.min(valueLimit, 1024);
    return { kind: 'array', element, count: { kind: 'until', line: until }, maxCount };
  }

  /** `messages: [A, B]`: a list element that is one of these messages (text protocols; the names are checked by TextPass). */
  #messageChoice(def: Definition, path: SpecPath): TypeIR | null {
    if (this.#ctx.encoding !== 'text') {
      this.#ctx.report.error(
        'messages-element-binary',
        [...path, 'messages'],
        `${describePath(typePathOwner(path))} is one of several messages, but only a text protocol writes a message inside another`,
        "use a struct ('fields') for a list element of a binary protocol",
        'key',
      );
      return null;
    }
    return { kind: 'messages', names: (def.messages as string[]).slice() };
  }

  /** `length: { line: '${length}' }`: a line of its own before the value, whose one part is the value's byte length. */
  #lengthLine(source: string, path: SpecPath, where: string): LengthEncodingIR | null {
    const { report, encoding } = this.#ctx;
    if (encoding !== 'text') {
      report.error(
        'length-line-binary',
        path,
        `${where} is preceded by a line giving its length, but this is a binary protocol`,
        'use a length prefix (length: u32) or { field: <earlier integer field> }',
      );
      return null;
    }
    const parsed = parseLineTemplate(source);
    const parts = parsed.parts.filter((part) => part.kind === 'field');
    const problem = parsed.problems[0];
    if (problem !== undefined || parts.length !== 1 || parts[0]?.name !== 'length') {
      report.error(
        'invalid-length-line',
        path,
        problem !== undefined
          ? `the length line of ${where}: ${problem.message}`
          : `the length line '${source}' of ${where} must have exactly one part, '{length}', but it has ${parts.length === 0 ? 'none' : parts.map((part) => `'{${part.kind === 'field' ? part.name : ''}}'`).join(', ')}`,
        problem?.hint ?? "write the line with one '{length}' part, such as '${length}' (RESP's bulk strings)",
      );
      return null;
    }
    return { kind: 'line', template: { source, parts: parsed.parts } };
  }

  #struct(def: Definition, path: SpecPath): TypeIR | null {
    if (typeof def.line === 'string') return this.#lineStruct(def, def.line, path);
    const fields = this.resolveFields(def.fields, [...path, 'fields'], false);
    return fields === null ? null : { kind: 'struct', fields };
  }

  /**
   * `{ line: '{name}: {value}' }`: a struct written as one line, its fields
   * the template's parts (a part with no entry in `fields` is a string).
   */
  #lineStruct(def: Definition, source: string, path: SpecPath): TypeIR | null {
    const { report, encoding } = this.#ctx;
    const where = describePath(typePathOwner(path));
    if (encoding !== 'text') {
      report.error(
        'line-struct-binary',
        [...path, 'line'],
        `${where} is written as a line, but this is a binary protocol`,
        "remove 'line' and declare the struct's fields in wire order",
      );
      return null;
    }
    const parsed = parseLineTemplate(source);
    for (const problem of parsed.problems) {
      report.error(problem.code, [...path, 'line'], `line template of ${where}: ${problem.message}`, problem.hint);
    }
    if (parsed.problems.length > 0) return null;
    const overrides = isDefinition(def.fields) ? def.fields : {};
    const names = parsed.parts.flatMap((part) => (part.kind === 'field' ? [part.name] : []));
    let ok = true;
    for (const key of Object.keys(overrides)) {
      if (names.includes(key)) continue;
      ok = false;
      report.error(
        'field-not-in-template',
        [...path, 'fields', key],
        `field '${key}' of ${where} is not a part of its line template '${source}'`,
        didYouMean(key, names) ?? `add '{${key}}' to the template, or remove the field`,
        'key',
      );
    }
    const fields: FieldIR[] = [];
    for (const name of names) {
      const ref = Object.hasOwn(overrides, name) ? overrides[name] : 'string';
      const type = this.resolve(ref, [...path, 'fields', name], false);
      if (type === null) {
        ok = false;
        continue;
      }
      if (!isLinePartType(type)) {
        ok = false;
        report.error(
          'text-type-unsupported',
          [...path, 'fields', name],
          `field '${name}' of ${where} is ${describeKind(type)}, which has no text form for a line template`,
          'use a string, integer, float, bool, enum or timestamp',
        );
        continue;
      }
      const description = isDefinition(ref) && typeof ref.description === 'string' ? ref.description : '';
      fields.push({ name, type, description });
    }
    return ok ? { kind: 'struct', fields, line: { source, parts: parsed.parts } } : null;
  }

  /** `length: { field }` on a struct (inline or named): the field that holds its fixed size. */
  #structSize(base: StructTypeIR, def: Definition, path: SpecPath): TypeIR | null {
    if (!isDefinition(def.length) || typeof def.length.field !== 'string') {
      this.#ctx.report.error(
        'struct-length',
        [...path, 'length'],
        `${describePath(typePathOwner(path))} is a struct, whose size is the sum of its fields; its 'length' can only name the field that holds that size`,
        'write length: { field: <earlier integer field> }, or remove it',
      );
      return null;
    }
    return { ...base, size: { kind: 'field', field: def.length.field } };
  }
}

/** The path of the field or type that owns a (possibly nested) type key, for messages. */
function typePathOwner(path: SpecPath): SpecPath {
  const last = path[path.length - 1];
  return last === 'type' || last === 'items' ? path.slice(0, -1) : path;
}

function stripName<T extends TypeIR>(type: T): T {
  if (!('typeName' in type)) return type;
  const { typeName: _dropped, ...rest } = type;
  return rest as T;
}

export function intRange(type: IntTypeIR): [number, number] {
  if (type.bits === 64)
    return type.signed ? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : [0, Number.MAX_SAFE_INTEGER];
  const span = 2 ** type.bits;
  return type.signed ? [-span / 2, span / 2 - 1] : [0, span - 1];
}

/** The values a varint of `maxBytes` can carry (as safe numbers, for defaults and checks). */
export function varintRange(type: VarintTypeIR): [number, number] {
  const unsigned = Math.min(2 ** (7 * type.maxBytes) - 1, type.bits === 64 ? Number.MAX_SAFE_INTEGER : 0xffff_ffff);
  if (!type.zigzag) return [0, unsigned];
  const half = Math.floor(unsigned / 2);
  return [-half - 1, half];
}

export function intRangeBig(type: IntTypeIR): [bigint, bigint] {
  const span = 1n << BigInt(type.bits);
  return type.signed ? [-span / 2n, span / 2n - 1n] : [0n, span - 1n];
}

/** How many bytes a length encoding can describe; null when only the frame limits it. */
function lengthCapacity(length: LengthEncodingIR): number | null {
  switch (length.kind) {
    case 'prefixed':
      return MAX_BITS_VALUE[length.bytes];
    case 'fixed':
      return length.bytes;
    default:
      return null;
  }
}

function defaultMaxBytes(length: LengthEncodingIR, valueLimit: number): number {
  switch (length.kind) {
    case 'prefixed':
      return Math.min(MAX_BITS_VALUE[length.bytes], valueLimit);
    case 'fixed':
      return length.bytes;
    case 'terminated':
      // The terminator byte shares the frame with the value.
      return Math.max(0, valueLimit - 1);
    case 'rest':
    case 'field':
    case 'line':
    case 'lookup':
      return valueLimit;
  }
}

function describeLength(length: LengthEncodingIR): string {
  switch (length.kind) {
    case 'prefixed':
      return `a u${length.bytes * 8} length prefix`;
    case 'fixed':
      return `a fixed length of ${length.bytes}`;
    case 'terminated':
      return 'a terminator';
    case 'rest':
      return 'the rest of the frame';
    case 'field':
      return `the value of field '${length.field}'`;
    case 'line':
      return `the line '${length.template.source}' before it`;
    case 'lookup':
      return `the '${length.lookup.value}' of the '${length.lookup.list}' element whose '${length.lookup.where.field}' is '${length.lookup.where.equals}'`;
  }
}

/** "a u8", "a string", "a list", … */
export function describeKind(type: TypeIR): string {
  switch (type.kind) {
    case 'int':
      return `${type.signed ? 'an i' : 'a u'}${type.bits}`;
    case 'bits':
      return `a b${type.width}`;
    case 'varint':
      return `a ${type.zigzag ? 'zigzag' : 'varint'}${type.bits === 64 ? '64' : ''}`;
    case 'float':
      return `an f${type.bits}`;
    case 'bool':
      return 'a bool';
    case 'string':
      return 'a string';
    case 'bytes':
      return 'bytes';
    case 'timestamp':
      return 'a timestamp';
    case 'enum':
      return 'an enum';
    case 'flags':
      return 'flags';
    case 'array':
      return 'a list';
    case 'struct':
      return 'a struct';
    case 'optional':
      return `an optional ${describeKind(type.value).replace(/^an? /, '')}`;
    case 'messages':
      return type.names.length === 1 ? `a ${type.names[0]} message` : `one of the messages ${type.names.join(', ')}`;
  }
}

/**
 * How deep structs, lists and optionals may nest. A spec has no cycles, so
 * the depth is known when compiling; the limit keeps generated code and a
 * decoder's work per byte bounded (8 covers every protocol in the gallery twice).
 */
export const MAX_NESTING_DEPTH = 8;

/** Levels of struct, list and optional wrapping around the innermost scalar. */
export function nestingDepth(type: TypeIR): number {
  switch (type.kind) {
    case 'struct':
      return 1 + Math.max(0, ...type.fields.map((field) => nestingDepth(field.type)));
    case 'array':
      return 1 + nestingDepth(type.element);
    case 'optional':
      return 1 + nestingDepth(type.value);
    default:
      return 0;
  }
}

/** Bytes a value of this type takes on the wire, or null when it varies. */
export function fixedSize(type: TypeIR): number | null {
  switch (type.kind) {
    case 'int':
    case 'float':
      return type.bits / 8;
    case 'bits':
      // A fraction of a byte: a run of bit fields adds up to whole bytes (check insists).
      return type.width / 8;
    case 'bool':
      return 1;
    case 'timestamp':
      // Binary timestamps are signed 64-bit counts; text ones never reach a byte layout.
      return 8;
    case 'enum':
    case 'flags':
      return type.base.bits / 8;
    case 'string':
    case 'bytes':
      return type.length.kind === 'fixed' ? type.length.bytes : null;
    case 'struct': {
      let total = 0;
      for (const field of type.fields) {
        const size = fixedSize(field.type);
        if (size === null) return null;
        total += size;
      }
      return total;
    }
    default:
      return null;
  }
}

/**
 * Keys a text protocol reads, after the line: `length: { field }` (bytes
 * that follow the line), `length: { line }` (a length line of their own),
 * `length: { from }` (a length an element of an earlier list gives),
 * `count: { field }` (elements that follow the line) and `count: { until }`
 * (lines up to a terminator line).
 */
function textAllows(key: string, value: unknown): boolean {
  if (!isDefinition(value)) return false;
  if (key === 'length')
    return typeof value.field === 'string' || typeof value.line === 'string' || typeof value.from === 'string';
  return key === 'count' && (typeof value.field === 'string' || typeof value.until === 'string');
}

function isDefinition(value: unknown): value is Definition {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The bytes of a string or bytes constant: a list of byte values, a string's
 * UTF-8 (strings), or a string whose characters are bytes (bytes: "PK\x03\x04",
 * as YAML double quotes write them). A string reason when a character is not
 * a byte; null when the value is neither.
 */
export function constantBytes(kind: 'string' | 'bytes', raw: unknown): number[] | string | null {
  if (Array.isArray(raw)) return raw.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) ? (raw as number[]) : null;
  if (typeof raw !== 'string') return null;
  if (kind === 'string') return [...new TextEncoder().encode(raw)];
  const bytes: number[] = [];
  for (let index = 0; index < raw.length; index += 1) {
    const code = raw.charCodeAt(index);
    if (code > 0xff)
      return `has the character ${JSON.stringify(raw[index])} at ${index}, which is not a byte (bytes constants are \\x00-\\xff)`;
    bytes.push(code);
  }
  return bytes;
}

function describeLengthSpec(spec: unknown): string {
  if (typeof spec === 'string')
    return spec === 'rest' ? "'rest'" : spec === 'terminated' ? "'terminated'" : `a ${spec} prefix`;
  if (isDefinition(spec) && typeof spec.fixed === 'number') return `{ fixed: ${spec.fixed} }`;
  return JSON.stringify(spec);
}
