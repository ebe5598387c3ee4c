import { didYouMean, listNames } from './diagnostics.js';
import type { PassContext } from './framing-pass.js';
import type { FieldIR, FramingIR, LineTemplateIR, TransportKind, TypeIR } from './ir.js';
import { type MessageInfo, serverReceives, serverSends } from './pass-types.js';
import { isRecord } from './records.js';
import type { SpecPath } from './source.js';
import { parseLineTemplate } from './template.js';
import { describeKind, isLinePartType, type TypeResolver } from './types.js';

const DATAGRAM_TRANSPORTS: readonly TransportKind[] = ['udp', 'udp6', 'unix-dgram'];

/**
 * Text messages: line templates and what follows a line. A field that is a
 * part of the template is text between literals; a field that is not
 * follows the line, in declaration order: bytes with `length: { field }`
 * (`PUB subject 5\r\nhello\r\n`), bytes with a length line of their own
 * (`length: { line: '${length}' }`, RESP's `$5\r\nhello\r\n`), or a list of
 * those or of whole messages with `count: { field }` (RESP arrays).
 */
export class TextPass {
  readonly #ctx: PassContext;
  readonly #framing: FramingIR | null;

  constructor(ctx: PassContext, framing: FramingIR | null) {
    this.#ctx = ctx;
    this.#framing = framing;
  }

  /** A text message's fields (parts first, then what follows the line) and its template; null fields after reporting. */
  message(
    name: string,
    m: Record<string, unknown>,
    resolver: TypeResolver,
  ): { fields: FieldIR[] | null; line: LineTemplateIR } | null {
    const report = this.#ctx.report;
    const path = ['messages', name];
    const source = m.line as string;
    const parsed = parseLineTemplate(source);
    for (const problem of parsed.problems) {
      report.error(
        problem.code,
        [...path, 'line'],
        `line template of message '${name}': ${problem.message}`,
        problem.hint,
      );
    }
    if (parsed.problems.length > 0) return null;
    const line = { source, parts: parsed.parts };
    let ok = this.#checkLiterals(line, [...path, 'line'], 'line template', `message '${name}'`);
    const partNames = parsed.parts.flatMap((p) => (p.kind === 'field' ? [p.name] : []));
    const overrides = isRecord(m.fields) ? m.fields : {};
    const fields: FieldIR[] = [];
    for (const part of partNames) {
      const fieldPath = [...path, 'fields', part];
      if (!Object.hasOwn(overrides, part)) {
        fields.push({ name: part, type: resolver.builtin('string', null), description: '' });
        continue;
      }
      const field = this.#resolveField(part, overrides[part], fieldPath, resolver);
      if (field === null) {
        ok = false;
        continue;
      }
      const { type } = field;
      if (!isLinePartType(type)) {
        ok = false;
        const following = type.kind === 'array' || type.kind === 'string' || type.kind === 'bytes';
        report.error(
          'text-type-unsupported',
          fieldPath,
          following
            ? `field '${part}' of message '${name}' is ${describeKind(type)} with a length or count, so it follows the line, but the template '${source}' has it as a part`
            : `field '${part}' of message '${name}' is ${describeKind(type)}, which has no text form for a line template`,
          following
            ? `remove '{${part}}' from the template: a field that follows the line is not a part of it`
            : 'use a string, integer, float, bool, enum or timestamp',
        );
        continue;
      }
      fields.push(field);
    }
    for (const key of Object.keys(overrides)) {
      if (partNames.includes(key)) continue;
      const fieldPath = [...path, 'fields', key];
      const field = this.#resolveField(key, overrides[key], fieldPath, resolver);
      if (field === null) {
        ok = false;
        continue;
      }
      if (!followsLine(field.type)) {
        ok = false;
        report.error(
          'field-not-in-template',
          fieldPath,
          ['string', 'bytes', 'array'].includes(field.type.kind)
            ? `field '${key}' of message '${name}' is not a part of its line template '${source}', and ${describeKind(field.type)} can follow the line only with ${field.type.kind === 'array' ? 'count: { field: <integer part> }' : "length: { field: <integer part> } or { line: '...{length}' }"}`
            : `field '${key}' of message '${name}' is not a part of its line template '${source}'`,
          didYouMean(key, partNames) ??
            (field.type.kind === 'array'
              ? 'give it count: { field: <an integer part of the line> }, and items with a length line or messages'
              : `add '{${key}}' to the template, or give it length: { field: <integer part of the line> } (bytes that follow the line)`),
          'key',
        );
        continue;
      }
      if (!this.#checkFollowingLines(field.type, fieldPath, `field '${key}' of message '${name}'`)) ok = false;
      fields.push(field);
    }
    if (ok && !this.#checkLookups(name, path, fields, partNames)) ok = false;
    return { fields: ok ? fields : null, line };
  }

  #resolveField(name: string, ref: unknown, path: SpecPath, resolver: TypeResolver): FieldIR | null {
    if (!this.#ctx.ok(path)) return null;
    const type = resolver.resolve(ref, path, false);
    if (type === null) return null;
    const description = isRecord(ref) && typeof ref.description === 'string' ? ref.description : '';
    return { name, type, description };
  }

  /**
   * A `length: { from }` names a list declared just before it in the same
   * message (its bytes follow that list's end line), and fields of the
   * list's line structs: one to compare, one holding the length.
   */
  #checkLookups(message: string, path: SpecPath, fields: readonly FieldIR[], parts: readonly string[]): boolean {
    const report = this.#ctx.report;
    let ok = true;
    fields.forEach((field, index) => {
      const { type } = field;
      if ((type.kind !== 'string' && type.kind !== 'bytes') || type.length.kind !== 'lookup') return;
      const { lookup } = type.length;
      const at = [...path, 'fields', field.name, 'length'];
      const owner = `field '${field.name}' of message '${message}'`;
      const previous = fields[index - 1];
      const list = fields.find((candidate) => candidate.name === lookup.list);
      if (list === undefined || list.type.kind !== 'array' || list.type.count.kind !== 'until') {
        ok = false;
        const lists = fields.flatMap((f) => (f.type.kind === 'array' && f.type.count.kind === 'until' ? [f.name] : []));
        report.error(
          'unknown-lookup-list',
          [...at, 'from'],
          `${owner} takes its length from '${lookup.list}', which is not ${list === undefined ? 'a field' : "a list with count: { until: '...' }"} of the message`,
          didYouMean(lookup.list, lists) ??
            (lists.length > 0
              ? `lists it can name: ${listNames(lists)}`
              : "declare the list first, such as headers: { items: Header, count: { until: '' } }"),
        );
        return;
      }
      if (previous !== list || parts.includes(list.name)) {
        ok = false;
        report.error(
          'lookup-not-after-list',
          [...path, 'fields', field.name],
          `${owner} takes its length from list '${list.name}', so its bytes follow that list's end line, but it is not declared right after '${list.name}'`,
          `move '${field.name}' to just after '${list.name}' in fields`,
          'key',
        );
        return;
      }
      const element = list.type.element;
      const elementFields = element.kind === 'struct' ? element.fields : [];
      const names = elementFields.map((f) => f.name);
      for (const [key, wanted] of [
        ['where', lookup.where.field],
        ['value', lookup.value],
      ] as const) {
        const found = elementFields.find((f) => f.name === wanted);
        if (found === undefined) {
          ok = false;
          report.error(
            'unknown-lookup-field',
            key === 'where' ? [...at, 'where', wanted] : [...at, 'value'],
            `${owner} looks at field '${wanted}' of the '${list.name}' elements, but they have ${listNames(names)}`,
            didYouMean(wanted, names) ?? `fields of '${list.name}' elements: ${listNames(names)}`,
            key === 'where' ? 'key' : 'value',
          );
          continue;
        }
        if (found.type.kind !== 'string') {
          ok = false;
          report.error(
            'lookup-field-type',
            key === 'where' ? [...at, 'where', wanted] : [...at, 'value'],
            `${owner} reads field '${wanted}' of the '${list.name}' elements as ${key === 'where' ? 'text to compare' : 'a byte count'}, but it is ${describeKind(found.type)}`,
            key === 'where'
              ? 'compare a string field'
              : 'take the length from a string field (its text is checked to be decimal digits)',
          );
        }
      }
    });
    return ok;
  }

  /** Length lines and line structs of values that follow the line: the delimiter may not occur in them either. */
  #checkFollowingLines(type: TypeIR, path: SpecPath, owner: string): boolean {
    if (type.kind === 'array') return this.#checkFollowingLines(type.element, [...path, 'items'], owner);
    if (type.kind === 'struct' && type.line !== undefined) {
      return this.#checkLiterals(type.line, [...path, 'items', 'line'], 'line template', owner);
    }
    if ((type.kind === 'string' || type.kind === 'bytes') && type.length.kind === 'line') {
      return this.#checkLiterals(type.length.template, [...path, 'length', 'line'], 'length line', owner);
    }
    return true;
  }

  /**
   * A literal holding the delimiter would be cut there by the receiver's
   * frame decoder (issue 8: `delimiter: ";"` with `line: 'SET;{key}'` gave a
   * client and server that could not talk).
   */
  #checkLiterals(line: LineTemplateIR, path: SpecPath, what: string, owner: string): boolean {
    const framing = this.#framing;
    if (framing?.kind !== 'delimited') return true;
    const encoder = new TextEncoder();
    for (const part of line.parts) {
      if (part.kind !== 'literal') continue;
      const at = indexOfBytes(encoder.encode(part.text), framing.delimiter);
      if (at < 0) continue;
      const shown = JSON.stringify(String.fromCharCode(...framing.delimiter));
      this.#ctx.report.error(
        'template-contains-delimiter',
        path,
        `the ${what} '${line.source}' of ${owner} contains the delimiter ${shown}, so the receiver would cut the line there`,
        'a line cannot hold its delimiter: remove it from the template, and declare what follows the line as fields (bytes with length: { field }, or a list with count: { field })',
      );
      return false;
    }
    return true;
  }

  /**
   * What follows lines needs every message named in a list element to
   * exist, and a frame decoder that can count bytes after a line: an exact
   * delimiter on a byte stream.
   */
  checkFollowing(
    messages: ReadonlyMap<string, MessageInfo | null>,
    transports: readonly TransportKind[] | null,
  ): boolean {
    const report = this.#ctx.report;
    let ok = true;
    let first: { name: string; field: string; path: SpecPath } | null = null;
    for (const m of messages.values()) {
      if (m?.wireFields == null || m.line === null) continue;
      const parts = new Set(m.line.parts.flatMap((p) => (p.kind === 'field' ? [p.name] : [])));
      for (const field of m.wireFields) {
        if (parts.has(field.name)) continue;
        const path = [...m.path, 'fields', field.name];
        first ??= { name: m.name, field: field.name, path };
        for (const { name, at } of elementMessages(field.type, path)) {
          if (messages.has(name)) continue;
          ok = false;
          report.error(
            'unknown-element-message',
            at,
            `field '${field.name}' of message '${m.name}' holds '${name}' messages, but no message is called that`,
            didYouMean(name, messages.keys()) ?? `messages: ${listNames([...messages.keys()])}`,
          );
        }
      }
    }
    if (first === null) return ok;
    const framing = this.#framing;
    const where = `field '${first.field}' of message '${first.name}' follows its line`;
    if (framing?.kind === 'delimited' && (framing.stripCarriageReturn || framing.keepDelimiter)) {
      ok = false;
      report.error(
        'following-needs-exact-delimiter',
        ['framing', 'kind'],
        `${where}, but ${framing.stripCarriageReturn ? "framing 'lines' accepts a line ending with or without '\\r'" : 'framing keeps the delimiter in frames'}, so the end of the bytes after a line would be ambiguous`,
        `use framing kind: delimited with the protocol's exact line ending, such as delimiter: "\\r\\n"`,
      );
    }
    (transports ?? []).forEach((transport, index) => {
      if (!DATAGRAM_TRANSPORTS.includes(transport)) return;
      ok = false;
      report.error(
        'following-over-datagram',
        ['transports', index],
        `${where}, so a frame is several lines, but transport '${transport}' carries each datagram as one line`,
        `remove '${transport}', or put the message in one line`,
      );
    });
    return ok;
  }

  /**
   * Text messages are matched in order, so a template that matches every
   * line hides the ones after it. Only the obvious cases are detected: a
   * lone string part, or two templates of the same shape.
   */
  checkTemplatesReachable(messages: ReadonlyMap<string, MessageInfo | null>): void {
    for (const receives of [serverReceives, serverSends]) {
      const earlier: MessageInfo[] = [];
      for (const m of messages.values()) {
        if (m === null || m.line === null || m.fields === null || !receives(m.from)) continue;
        const shadow = earlier.find((e) => matchesEveryLine(e) || templateShape(e) === templateShape(m));
        if (shadow !== undefined) {
          this.#ctx.report.warning(
            'unreachable-template',
            [...m.path, 'line'],
            `message '${m.name}' can never be matched: message '${shadow.name}' comes first and its template '${shadow.line!.source}' matches the same lines`,
            `declare '${m.name}' before '${shadow.name}' (templates are tried in order), or make the templates differ in literal text`,
          );
        }
        earlier.push(m);
      }
    }
  }
}

/** Whether a field not in the template can follow the line. */
function followsLine(type: TypeIR): boolean {
  if (type.kind === 'string' || type.kind === 'bytes')
    return type.length.kind === 'field' || type.length.kind === 'line' || type.length.kind === 'lookup';
  if (type.kind !== 'array') return false;
  const element = type.element;
  if (type.count.kind === 'until') return element.kind === 'struct' && element.line !== undefined;
  if (type.count.kind !== 'field') return false;
  if (element.kind === 'messages') return true;
  return (element.kind === 'string' || element.kind === 'bytes') && element.length.kind === 'line';
}

function elementMessages(type: TypeIR, path: SpecPath): { name: string; at: SpecPath }[] {
  if (type.kind !== 'array' || type.element.kind !== 'messages') return [];
  return type.element.names.map((name, index) => ({ name, at: [...path, 'items', 'messages', index] }));
}

function indexOfBytes(haystack: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

function matchesEveryLine(m: MessageInfo): boolean {
  const parts = m.line?.parts ?? [];
  const only = parts[0];
  if (parts.length !== 1 || only?.kind !== 'field') return false;
  const type = m.fields?.[0]?.type;
  return type?.kind === 'string' && type.pattern === null;
}

/** A template with its field names erased and field types kept: two equal shapes match the same lines. */
function templateShape(m: MessageInfo): string {
  return JSON.stringify(
    (m.line?.parts ?? []).map((p) =>
      p.kind === 'literal'
        ? p.text
        : JSON.stringify({ ...(m.fields?.find((f) => f.name === p.name)?.type ?? {}), typeName: null }),
    ),
  );
}
