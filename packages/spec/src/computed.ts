import { didYouMean } from './diagnostics.js';
import type { ArrayTypeIR, BytesTypeIR, FieldIR, StringTypeIR, StructTypeIR, TypeIR } from './ir.js';
import { constantFor, type Direction } from './ir.js';
import type { Reporter } from './report.js';
import type { SpecPath } from './source.js';
import type { DeclaredSwitch } from './switch-fields.js';
import { describeKind, fixedSize } from './types.js';

/** The fields of one message (or of the header) as resolved, with where they are declared. */
export interface FieldList {
  readonly path: SpecPath;
  readonly fields: readonly FieldIR[];
  /** Who sends the message (absent for the header): which header constants it has. */
  readonly from?: Direction;
  /** The message's `switch:` fields; their cases' fields are in `fields`. */
  readonly switches?: readonly DeclaredSwitch[];
}

export interface ComputedScope {
  readonly header: FieldList;
  readonly messages: ReadonlyMap<string, FieldList>;
  /** Header fields with a role the frame fills another way. */
  readonly discriminator: string | null;
  readonly correlation: string | null;
  /** Whether the spec wrote maxBytes / maxCount for the field at this path (else the default may be capped). */
  readonly declaresLimit: (path: SpecPath, key: 'maxBytes' | 'maxCount') => boolean;
}

export interface ComputedResult {
  readonly header: FieldIR[];
  readonly messages: Map<string, FieldIR[]>;
}

type SizedByField = (StringTypeIR | BytesTypeIR) & {
  readonly length: { readonly kind: 'field'; readonly field: string };
};
type CountedByField = ArrayTypeIR & { readonly count: { readonly kind: 'field'; readonly field: string } };
type StructSizedByField = StructTypeIR & { readonly size: { readonly kind: 'field'; readonly field: string } };

/** The widest field a length may come from: 32 bits keeps every length a plain number. */
const MAX_LENGTH_FIELD_BITS = 32;

function sizedByField(type: TypeIR): type is SizedByField | CountedByField | StructSizedByField {
  if (type.kind === 'string' || type.kind === 'bytes') return type.length.kind === 'field';
  if (type.kind === 'struct') return type.size !== undefined;
  return type.kind === 'array' && type.count.kind === 'field';
}

/** Whether a `when` hides inside a struct, list element or optional. */
function nestedWhen(type: TypeIR, top: boolean): boolean {
  if (type.kind === 'optional' && type.when !== undefined && !top) return true;
  switch (type.kind) {
    case 'struct':
      return type.fields.some((field) => nestedWhen(field.type, false));
    case 'array':
      return nestedWhen(type.element, false);
    case 'optional':
      return nestedWhen(type.value, false);
    default:
      return false;
  }
}

/** A top-level field present `when` another says so is sized like its value. */
function unwrapWhen(type: TypeIR): TypeIR {
  return type.kind === 'optional' && type.when !== undefined ? type.value : type;
}

/** Whether a `{ field }` length or count hides inside a struct, list element or optional. */
function nestedFieldReference(type: TypeIR, top: boolean): boolean {
  if (top && type.kind === 'optional' && type.when !== undefined) return nestedFieldReference(type.value, true);
  if (!top && sizedByField(type)) return true;
  switch (type.kind) {
    case 'struct':
      return type.fields.some((field) => nestedFieldReference(field.type, false));
    case 'array':
      return nestedFieldReference(type.element, false);
    case 'optional':
      return nestedFieldReference(type.value, false);
    default:
      return false;
  }
}

/**
 * Lengths and counts taken from other fields (issue 8: memcached's key and
 * extras lengths in its header). Checks every `{ field: name }` against the
 * fields the decoder has read by then, caps the limit to what that field can
 * say, and marks the named fields `computed`, so the encoder fills them and
 * callers never pass them. Null after reporting.
 */
export function resolveComputedLengths(scope: ComputedScope, report: Reporter): ComputedResult | null {
  let ok = true;
  const computedHeader = new Set<string>();
  const resolveList = (list: FieldList, before: readonly FieldIR[], isHeader: boolean): FieldIR[] => {
    const used = new Map<string, string>();
    const out: FieldIR[] = [];
    const computedHere = new Set<string>();
    /**
     * A condition on an earlier value field (`when: { field: value }`, or a
     * switch's case values), compared with values of its kind. `subject`
     * opens each error ("field 'x' is present when"); `never` says a value
     * does not fit the field.
     */
    const checkCondition = (
      subject: (on: string) => string,
      never: (kind: string, value: string) => string,
      on: string,
      values: readonly (string | number | boolean)[],
      path: SpecPath,
      earlier: readonly FieldIR[],
    ): boolean => {
      const source = earlier.find((candidate) => candidate.name === on);
      if (source === undefined) {
        const names = earlier.map((candidate) => candidate.name);
        report.error(
          'when-field-unknown',
          path,
          `${subject(on)}, but no header field or earlier field of this message is called that`,
          didYouMean(on, names) ??
            (names.length === 0 ? 'declare that field before it' : `fields before it: ${names.join(', ')}`),
        );
        return false;
      }
      const filled =
        source.name === scope.discriminator ||
        source.name === scope.correlation ||
        source.computed === true ||
        source.checksum !== undefined ||
        (list.from !== undefined ? constantFor(source, list.from) !== null : source.constant !== undefined);
      const kind = source.type.kind;
      const fits = (value: string | number | boolean): boolean =>
        (kind === 'enum' &&
          source.type.kind === 'enum' &&
          typeof value === 'string' &&
          source.type.values.some((v) => v.name === value)) ||
        ((kind === 'int' || kind === 'varint') && typeof value === 'number') ||
        (kind === 'bits' &&
          source.type.kind === 'bits' &&
          (source.type.width === 1 ? typeof value === 'boolean' : typeof value === 'number')) ||
        (kind === 'bool' && typeof value === 'boolean');
      const wrong = values.find((value) => !fits(value));
      if (filled || wrong !== undefined) {
        report.error(
          'when-field-type',
          path,
          filled
            ? `${subject(on)}, but the encoder fills '${on}' in itself (the discriminator, correlation id, a constant, length or checksum), so it cannot say`
            : never(describeKind(source.type), JSON.stringify(wrong)),
          filled
            ? 'make the condition a field the caller gives'
            : kind === 'enum' && source.type.kind === 'enum'
              ? `compare with its values: ${source.type.values.map((v) => v.name).join(', ')}`
              : 'compare an integer with numbers, a bool or b1 with true or false, an enum with its value names',
        );
        return false;
      }
      return true;
    };
    const inSwitch = new Set((list.switches ?? []).flatMap((declared) => declared.ir.cases.flatMap((c) => c.fields)));
    /** `when: { field: value }` on a field of its own (a switch's case fields are checked with their switch). */
    const checkWhen = (field: FieldIR, index: number): boolean => {
      const path = [...list.path, field.name];
      if (nestedWhen(field.type, true)) {
        report.error(
          'when-nested',
          path,
          `a 'when' inside field '${field.name}': only a header or message field can be present on another's say-so`,
          "use 'optional: true' (a presence byte) inside structs and lists",
        );
        return false;
      }
      const when = field.type.kind === 'optional' ? field.type.when : undefined;
      if (when === undefined || inSwitch.has(field.name)) return true;
      const whenPath = [...path, 'when', when.field];
      if (isHeader) {
        report.error(
          'when-in-header',
          whenPath,
          `header field '${field.name}' has 'when', but every message has the whole header`,
          "move the field to the messages that have it, or remove 'when'",
        );
        return false;
      }
      return checkCondition(
        (on) => `field '${field.name}' is present when '${on}' says so`,
        (kind, value) =>
          `field '${field.name}' is present when '${when.field}' (${kind}) is ${value}, which it can never be`,
        when.field,
        when.values,
        whenPath,
        [...before, ...list.fields.slice(0, index)],
      );
    };
    /** A switch: its field is a value read before it, each case names a value it can take, once. */
    const checkSwitch = (declared: DeclaredSwitch): boolean => {
      const { ir, path, at } = declared;
      const named = ir.cases.flatMap((c) => c.values ?? []);
      const duplicate = named.find((value, index) => named.indexOf(value) !== index);
      if (duplicate !== undefined) {
        report.error(
          'switch-case-duplicate',
          [...path, 'cases'],
          `switch '${ir.name}' has two cases for ${JSON.stringify(duplicate)}`,
          'merge their fields into one case',
        );
        return false;
      }
      // Within one switch, and against the message's own fields, names were checked where the cases were read
      // (switch-fields.ts); what is left is two switches of one message declaring the same case field.
      const switches = list.switches ?? [];
      const earlierSwitch = (name: string) =>
        switches
          .slice(0, switches.indexOf(declared))
          .find((other) => other.ir.cases.some((c) => c.fields.includes(name)));
      const clash = ir.cases.flatMap((c) => c.fields).find((name) => earlierSwitch(name) !== undefined);
      if (clash !== undefined) {
        report.error(
          'switch-field-name',
          path,
          `switch '${ir.name}' has a case field '${clash}' that switch '${earlierSwitch(clash)!.ir.name}' also declares, but a case's fields become the message's properties`,
          'give each case field a name of its own',
          'key',
        );
        return false;
      }
      const earlier = [...before, ...list.fields.slice(0, at).filter((field) => !inSwitch.has(field.name))];
      return checkCondition(
        (on) => `switch '${ir.name}' chooses its case by '${on}'`,
        (kind, value) =>
          `switch '${ir.name}' has a case for '${ir.on}' (${kind}) being ${value}, which it can never be`,
        ir.on,
        named,
        [...path, 'switch'],
        earlier,
      );
    };
    for (const declared of list.switches ?? []) if (!checkSwitch(declared)) ok = false;
    list.fields.forEach((field, index) => {
      const path = [...list.path, field.name];
      if (field.presence !== undefined) {
        const target = list.fields.slice(index + 1).find((candidate) => candidate.name === field.presence);
        const when = target?.type.kind === 'optional' ? target.type.when : undefined;
        if (when === undefined || when.field !== field.name || when.values.length !== 1 || when.values[0] !== true) {
          ok = false;
          const names = list.fields.slice(index + 1).map((candidate) => candidate.name);
          report.error(
            'presence-field',
            [...path, 'presence'],
            target === undefined
              ? `flag '${field.name}' says whether '${field.presence}' is present, but no later field of this message has that name`
              : `flag '${field.name}' says whether '${field.presence}' is present, but '${field.presence}' is not declared present when: { ${field.name}: true }`,
            target === undefined
              ? (didYouMean(field.presence, names) ?? `later fields: ${names.join(', ') || 'none'}`)
              : `declare '${field.presence}' with when: { ${field.name}: true }`,
          );
        }
      }
      if (nestedFieldReference(field.type, true)) {
        ok = false;
        report.error(
          'length-field-nested',
          path,
          `a length or count inside field '${field.name}' names another field, but only a top-level field can take its length from one`,
          'give the nested value a length or count prefix (length: u16, count: u16)',
        );
      }
      if (!checkWhen(field, index)) ok = false;
      const checksumFrom = field.checksum?.from ?? null;
      if (checksumFrom !== null) {
        const earlier = [...before, ...list.fields.slice(0, index)];
        if (!earlier.some((candidate) => candidate.name === checksumFrom)) {
          ok = false;
          const names = earlier.map((candidate) => candidate.name);
          report.error(
            'checksum-from-unknown',
            [...path, 'checksum', 'from'],
            list.fields.slice(index + 1).some((candidate) => candidate.name === checksumFrom)
              ? `the checksum '${field.name}' starts at field '${checksumFrom}', which comes after it, but a checksum covers the bytes before it`
              : `the checksum '${field.name}' starts at field '${checksumFrom}', but no header field or earlier field of this message has that name`,
            didYouMean(checksumFrom, names) ??
              (names.length === 0
                ? "remove 'from' (the checksum then starts at the frame's first byte)"
                : `fields before it: ${names.join(', ')}`),
          );
        }
      }
      const sized = unwrapWhen(field.type);
      if (!sizedByField(sized)) {
        out.push(field);
        return;
      }
      const type = sized;
      // A field present on another's say-so keeps that wrapper around its narrowed type.
      const rewrap = (inner: TypeIR): TypeIR =>
        field.type.kind === 'optional' && field.type.when !== undefined ? { ...field.type, value: inner } : inner;
      const key = type.kind === 'array' ? 'count' : 'length';
      const wanted =
        type.kind === 'array' ? type.count.field : type.kind === 'struct' ? type.size.field : type.length.field;
      if (type.kind === 'struct' && fixedSize(type) === null) {
        ok = false;
        report.error(
          'length-field-struct-size',
          [...path, 'length'],
          `struct field '${field.name}' takes its length from '${wanted}', but its size varies, so the encoder could not say it`,
          'give every field of the struct a fixed size, or use bytes for the variable part',
        );
        out.push(field);
        return;
      }
      const keyPath = [...path, key];
      const scopeFields = [...before, ...list.fields.slice(0, index)];
      const source = scopeFields.find((candidate) => candidate.name === wanted);
      if (source === undefined) {
        ok = false;
        const later = list.fields.slice(index + 1).some((candidate) => candidate.name === wanted);
        const candidates = scopeFields.filter((candidate) => candidate.type.kind === 'int').map((c) => c.name);
        report.error(
          later ? 'length-field-after' : 'length-field-unknown',
          keyPath,
          later
            ? `field '${field.name}' takes its ${key} from '${wanted}', which comes after it, but the decoder must read the ${key} first`
            : `field '${field.name}' takes its ${key} from '${wanted}', but no header field or earlier field of this message has that name`,
          later
            ? `move '${wanted}' before '${field.name}'`
            : (didYouMean(wanted, candidates) ??
                (candidates.length === 0
                  ? `declare an integer field such as ${wanted}: u16 before '${field.name}'`
                  : `integer fields before it: ${candidates.join(', ')}`)),
        );
        out.push(field);
        return;
      }
      const inHeader = scope.header.fields.includes(source);
      const role =
        source.constant !== undefined
          ? 'a constant'
          : inHeader && source.name === scope.discriminator
            ? 'the discriminator'
            : inHeader && source.name === scope.correlation
              ? 'the correlation id'
              : null;
      const intType = source.type.kind === 'int' && !source.type.signed ? source.type : null;
      if (role !== null || intType === null || intType.bits > MAX_LENGTH_FIELD_BITS) {
        ok = false;
        report.error(
          'length-field-type',
          keyPath,
          `field '${field.name}' takes its ${key} from '${wanted}', which is ${role ?? describeKind(source.type)}, but a ${key} comes from a u8, u16 or u32 field the encoder can fill in`,
          role === null
            ? `make '${wanted}' a u8, u16 or u32`
            : `declare a separate u8, u16 or u32 field for the ${key}`,
        );
        out.push(field);
        return;
      }
      const previous = used.get(wanted);
      if (previous !== undefined) {
        ok = false;
        report.error(
          'length-field-shared',
          keyPath,
          `fields '${previous}' and '${field.name}' both take their size from '${wanted}', so the encoder could not fill it in for both`,
          `give '${field.name}' its own ${key} field`,
        );
        out.push(field);
        return;
      }
      used.set(wanted, field.name);
      const capacity = 2 ** intType.bits - 1;
      const limitKey = type.kind === 'array' ? 'maxCount' : 'maxBytes';
      const limit =
        type.kind === 'array' ? type.maxCount : type.kind === 'struct' ? (fixedSize(type) ?? 0) : type.maxBytes;
      let capped = limit;
      if (limit > capacity) {
        if (scope.declaresLimit(path, limitKey)) {
          ok = false;
          report.error(
            type.kind === 'array' ? 'max-count-exceeds-count-field' : 'max-bytes-exceeds-length-field',
            [...path, limitKey],
            `${limitKey} ${limit} of field '${field.name}' does not fit '${wanted}' (a u${intType.bits} holds at most ${capacity})`,
            `lower ${limitKey} to ${capacity}, or make '${wanted}' wider`,
          );
        }
        capped = capacity;
      }
      // A header field is marked once for the whole protocol; a message's own field in its list.
      if (inHeader && !isHeader) computedHeader.add(wanted);
      else computedHere.add(wanted);
      if (type.kind === 'struct' && limit > capacity) {
        ok = false;
        report.error(
          'max-bytes-exceeds-length-field',
          keyPath,
          `struct field '${field.name}' is ${limit} bytes, more than '${wanted}' (a u${intType.bits}) can say`,
          `make '${wanted}' wider`,
        );
      }
      const narrowed =
        type.kind === 'array'
          ? { ...type, maxCount: capped }
          : type.kind === 'struct'
            ? type
            : ({ ...type, maxBytes: capped } as TypeIR);
      out.push({ ...field, type: rewrap(narrowed) });
    });
    return out.map((field) => (computedHere.has(field.name) ? { ...field, computed: true } : field));
  };

  const header = resolveList(scope.header, [], true);
  const messages = new Map<string, FieldIR[]>();
  for (const [name, list] of scope.messages) messages.set(name, resolveList(list, scope.header.fields, false));
  if (!ok) return null;
  return {
    header: header.map((field) => (computedHeader.has(field.name) ? { ...field, computed: true } : field)),
    messages,
  };
}
