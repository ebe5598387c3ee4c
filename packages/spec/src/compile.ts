import { readFile } from 'node:fs/promises';
import { checkBitRuns } from './bit-runs.js';
import { type FieldList, resolveComputedLengths } from './computed.js';
import { describePath } from './describe.js';
import { type Diagnostic, didYouMean, hasErrors, listNames, sortDiagnostics } from './diagnostics.js';
import { FramingPass } from './framing-pass.js';
import { checkGeneratedNames } from './generated-names.js';
import {
  type BehaviorIR,
  type BroadcastIR,
  type BroadcastTargetIR,
  type ComposedMessageIR,
  type ConstantValueIR,
  constantFor,
  type Direction,
  type Endian,
  type ErrorsIR,
  type FieldIR,
  type FramingIR,
  type HandlerBehaviorIR,
  IR_VERSION,
  type LineTemplateIR,
  type ManyRepliesIR,
  type MessageBehaviorIR,
  type MessageIR,
  type ProtocolIR,
  type StreamIR,
  type TypeIR,
  type ValueIR,
} from './ir.js';
import { isRecord } from './records.js';
import { checkReplySizes } from './reply-sizes.js';
import { Reporter } from './report.js';
import { MAX_SIZE } from './schema.js';
import { BrokenPaths, checkShape } from './shape.js';
import { type SpecPath, SpecSource } from './source.js';
import { parseLineTemplate } from './template.js';
import { describeKind, intRange, MAX_NESTING_DEPTH, nestingDepth, TypeResolver } from './types.js';
import { compatibility, literalValue } from './values.js';

export interface CompileResult {
  /** The normalized IR; null when any error diagnostic was reported. */
  readonly ir: ProtocolIR | null;
  /** Every problem found, errors and warnings, in file order. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Compiles spec text to IR. `file` is the path printed in diagnostics and
 * stored as `ir.sourceFile` (workspace-relative, e.g. `specs/echo.protocol.yaml`).
 * Never throws for bad input: every problem is a diagnostic.
 */
export function compileSpec(text: string, file: string): CompileResult {
  try {
    return compileUnchecked(String(text), file);
  } catch (error) {
    // A bug in the compiler must still not print a stack trace at a spec author.
    return {
      ir: null,
      diagnostics: [
        {
          code: 'internal-error',
          severity: 'error',
          file,
          line: 1,
          col: 1,
          message: `the spec compiler failed on this file: ${error instanceof Error ? error.message : String(error)}`,
          hint: 'this is a bug in sockspec; please report it with the spec file',
        },
      ],
    };
  }
}

/** Reads and compiles a spec file; an unreadable file is a diagnostic too. */
export async function loadSpecFile(path: string, options: { displayPath?: string } = {}): Promise<CompileResult> {
  const file = options.displayPath ?? path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return {
      ir: null,
      diagnostics: [
        {
          code: 'read-failed',
          severity: 'error',
          file,
          line: 1,
          col: 1,
          message: `cannot read the spec file (${reason})`,
          hint: 'check the path and its permissions',
        },
      ],
    };
  }
  return compileSpec(text, file);
}

function compileUnchecked(text: string, file: string): CompileResult {
  const parsed = SpecSource.parse(text, file);
  if (parsed.source === null) return { ir: null, diagnostics: sortDiagnostics(parsed.diagnostics) };
  const source = parsed.source;
  const report = new Reporter(source);
  const broken = new BrokenPaths();
  checkShape(source.data, report, broken, behaviorKeyIsKnown(source.data));
  const ir = isRecord(source.data) ? new SemanticPass(source, report, broken).run() : null;
  if (ir !== null) {
    checkReplySizes(ir, report);
    checkGeneratedNames(ir, report);
  }
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...report.diagnostics]);
  return { ir: hasErrors(diagnostics) ? null : ir, diagnostics };
}

/**
 * Behavior keys that name no message are reported once as unknown by the
 * semantic pass; checking their shape as a message behavior would only add
 * noise about a key the author mistyped.
 */
function behaviorKeyIsKnown(data: unknown): (key: string) => boolean {
  const messages = isRecord(data) && isRecord(data.messages) ? data.messages : {};
  return (key) => BEHAVIOR_KEYS.includes(key) || Object.hasOwn(messages, key);
}

/** Keys of `behavior:` that are not message names. */
const BEHAVIOR_KEYS: readonly string[] = ['greeting', 'errors', 'idleTimeoutMs'];

/** The field name in a `$request.<field>` expression, or null when `raw` is not one. */
function requestFieldOf(raw: unknown): string | null {
  const match = typeof raw === 'string' ? /^\$request\.(.+)$/.exec(raw) : null;
  return match === null ? null : match[1]!;
}

const TEXT_KINDS = new Set<TypeIR['kind']>(['int', 'float', 'bool', 'string', 'timestamp', 'enum']);

/** What later checks need to know about a message; `fields` is null when they could not be resolved. */
interface MessageInfo {
  readonly name: string;
  readonly path: SpecPath;
  readonly from: Direction;
  readonly code: number | null;
  readonly description: string;
  /** The fields a message value has: what behavior values fill and `$request.<field>` reads (no constants). */
  readonly fields: FieldIR[] | null;
  /** Every field on the wire, constants included: what the IR carries. */
  readonly wireFields: FieldIR[] | null;
  readonly line: LineTemplateIR | null;
  /** As written; checked once every message is known. */
  readonly stream: { chunk: string; end: string } | null;
}

interface CodesBySender {
  readonly client: Map<number, string>;
  readonly server: Map<number, string>;
}

interface HeaderInfo {
  readonly fields: FieldIR[] | null;
  readonly discriminator: { name: string; type: TypeIR } | null;
  readonly correlation: string | null;
}

const serverReceives = (from: Direction) => from === 'client' || from === 'both';

/** The fields a message value carries: not constants, not lengths, counts and checksums the encoder fills in. */
function valueFields(fields: readonly FieldIR[]): FieldIR[] {
  return fields.filter(
    (field) => field.constant === undefined && field.computed === undefined && field.checksum === undefined,
  );
}

/** Whether a header field is the discriminator or the correlation id (the engine fills both). */
function isHeaderRole(spec: Record<string, unknown>, name: string): boolean {
  const header = isRecord(spec.header) ? spec.header[name] : undefined;
  return isRecord(header) && (header.discriminator === true || header.correlation === true);
}

/** The raw spec value at `path`, or undefined. */
function lookup(root: unknown, path: SpecPath): unknown {
  let node = root;
  for (const key of path) {
    if (!isRecord(node)) return undefined;
    node = node[String(key)];
  }
  return node;
}
const serverSends = (from: Direction) => from === 'server' || from === 'both';

/** Resolves names and checks meaning, building the IR as it goes. */
class SemanticPass {
  readonly #source: SpecSource;
  readonly #report: Reporter;
  readonly #broken: BrokenPaths;
  readonly #spec: Record<string, unknown>;

  constructor(source: SpecSource, report: Reporter, broken: BrokenPaths) {
    this.#source = source;
    this.#report = report;
    this.#broken = broken;
    this.#spec = source.data as Record<string, unknown>;
  }

  /** The resolved header, once known: behavior checks read which of its fields a caller must pass. */
  #headerFields: readonly FieldIR[] = [];
  /** The barrier of the first quiet request: one client sends one kind of barrier. */
  #quietBarrier: string | null = null;

  #ok(path: SpecPath): boolean {
    return this.#broken.ok(path);
  }

  /** The spec value at a top-level key, or undefined when it failed the shape check. */
  #section(key: string): unknown {
    return this.#ok([key]) ? this.#spec[key] : undefined;
  }

  run(): ProtocolIR | null {
    const spec = this.#spec;
    const rawMessages = isRecord(spec.messages) ? spec.messages : {};
    const encoding = Object.values(rawMessages).some((m) => isRecord(m) && m.line !== undefined) ? 'text' : 'binary';
    const byteOrder: Endian = spec.byteOrder === 'little' ? 'little' : 'big';
    const bitOrder: Endian = spec.bitOrder === 'little' ? 'little' : 'big';

    const framingPass = new FramingPass({
      report: this.#report,
      spec: this.#spec,
      ok: (path) => this.#ok(path),
      section: (key) => this.#section(key),
    });
    const framing = framingPass.framing();
    const transports = framingPass.transports(framing);
    const valueLimit = framing === null ? MAX_SIZE : payloadLimit(framing);
    if (encoding === 'text' && framing !== null && framing.kind !== 'delimited') {
      this.#report.error(
        'text-framing-mismatch',
        ['framing', 'kind'],
        `messages use line templates, so this is a text protocol, but framing kind '${String((spec.framing as Record<string, unknown>).kind)}' does not cut lines`,
        "use framing kind 'lines' or 'delimited'",
      );
    }

    // Broken entries stay in the map so references to them are not reported as unknown.
    const typeDefinitions = new Map<string, unknown>(isRecord(spec.types) ? Object.entries(spec.types) : []);
    const resolver = new TypeResolver(
      { encoding, byteOrder, bitOrder, valueLimit, report: this.#report, broken: this.#broken },
      typeDefinitions,
    );
    for (const name of typeDefinitions.keys()) resolver.resolveNamed(name, null);

    let header = this.#header(encoding, resolver);
    if (framing?.kind === 'length-prefixed' && header.fields !== null) {
      framingPass.checkLengthPlacement(framing, header.fields);
      framingPass.checkDiscriminatorBeforeVarint(framing, header);
    }
    const messages = this.#messages(rawMessages, encoding, header, resolver);
    if (encoding === 'binary') header = this.#bitRuns(this.#computedLengths(header, messages), messages);
    this.#headerFields = header.fields ?? [];
    const streams = this.#streams(messages, header);
    const behavior = streams === null ? null : this.#behavior(messages, streams);

    for (const name of typeDefinitions.keys()) {
      if (!resolver.used.has(name) && this.#ok(['types', name])) {
        this.#report.warning(
          'unused-type',
          ['types', name],
          `type '${name}' is declared but never used`,
          'use it in a field or remove it',
          'key',
        );
      }
    }

    if (framing === null || transports === null || header.fields === null || behavior === null || streams === null) {
      return null;
    }
    const messageIRs: MessageIR[] = [];
    for (const m of messages.values()) {
      if (m === null || m.wireFields === null) return null;
      messageIRs.push({
        name: m.name,
        code: m.code,
        from: m.from,
        description: m.description,
        fields: m.wireFields,
        line: m.line,
        stream: streams.get(m.name) ?? null,
      });
    }
    return {
      irVersion: IR_VERSION,
      name: String(spec.protocol),
      version: String(spec.version),
      description: typeof spec.description === 'string' ? spec.description : '',
      sourceFile: this.#source.file,
      transports,
      byteOrder,
      encoding,
      framing,
      header: header.fields,
      discriminator: header.discriminator?.name ?? null,
      correlation: header.correlation,
      messages: messageIRs,
      behavior,
      limits: { maxFrameBytes: framing.maxFrameBytes },
    };
  }

  // -------------------------------------------------------------------------
  // Header and messages

  #header(encoding: 'text' | 'binary', resolver: TypeResolver): HeaderInfo {
    const raw = this.#spec.header;
    if (raw === undefined) return { fields: [], discriminator: null, correlation: null };
    if (encoding === 'text') {
      this.#report.error(
        'header-in-text-protocol',
        ['header'],
        'a text protocol (its messages use line templates) cannot have a binary header',
        "remove 'header', or remove the 'line' templates to make the protocol binary",
        'key',
      );
      return { fields: null, discriminator: null, correlation: null };
    }
    if (!isRecord(raw) || !this.#ok(['header'])) return { fields: null, discriminator: null, correlation: null };
    const fields = resolver.resolveFields(raw, ['header'], true, true);
    let discriminator: HeaderInfo['discriminator'] = null;
    let correlation: string | null = null;
    let ok = fields !== null;
    for (const [name, def] of Object.entries(raw)) {
      if (!isRecord(def)) continue;
      const type = fields?.find((f) => f.name === name)?.type;
      for (const role of ['discriminator', 'correlation'] as const) {
        if (def[role] !== true) continue;
        const path = ['header', name, role];
        const current = role === 'discriminator' ? discriminator?.name : correlation;
        if (current !== undefined && current !== null) {
          ok = false;
          this.#report.error(
            `multiple-${role === 'discriminator' ? 'discriminators' : 'correlations'}`,
            path,
            `header fields '${current}' and '${name}' are both marked '${role}: true'`,
            `a header has at most one ${role} field; remove '${role}: true' from one of them`,
            'key',
          );
          continue;
        }
        // A discriminator may be a bit field (MQTT's packet type nibble); a correlation id is a whole integer.
        if (type !== undefined && type.kind !== 'int' && !(role === 'discriminator' && type.kind === 'bits')) {
          ok = false;
          this.#report.error(
            `${role}-not-integer`,
            ['header', name],
            `${role} header field '${name}' is ${describeKind(type)}, but must be an integer type`,
            role === 'discriminator' ? 'use u8, u16, u32 or a bit field such as b4' : 'use u8, u16 or u32',
          );
          continue;
        }
        if (role === 'discriminator' && type !== undefined) discriminator = { name, type };
        if (role === 'correlation') correlation = name;
      }
    }
    for (const field of fields ?? []) {
      if (containsRest(field.type)) {
        ok = false;
        this.#report.error(
          'rest-not-last',
          ['header', field.name],
          `header field '${field.name}' uses length 'rest', but message fields follow the header`,
          'use a length prefix or a fixed length in the header',
        );
      }
    }
    return { fields: ok ? fields : null, discriminator, correlation };
  }

  #messages(
    raw: Record<string, unknown>,
    encoding: 'text' | 'binary',
    header: HeaderInfo,
    resolver: TypeResolver,
  ): Map<string, MessageInfo | null> {
    const messages = new Map<string, MessageInfo | null>();
    if (!isRecord(this.#spec.messages)) return messages;
    // Codes tell apart the messages one side sends: a request and its reply may share one (memcached's opcodes).
    const codes: CodesBySender = { client: new Map(), server: new Map() };
    const firstTextMessage = Object.keys(raw).find((n) => isRecord(raw[n]) && raw[n].line !== undefined);
    for (const [name, m] of Object.entries(raw)) {
      const path = ['messages', name];
      if (!this.#ok(path) || !isRecord(m)) {
        messages.set(name, null);
        continue;
      }
      const from = m.from as Direction;
      const code = this.#messageCode(name, m, encoding, header, codes);
      let fields: FieldIR[] | null;
      let line: LineTemplateIR | null = null;
      if (encoding === 'binary') {
        fields = resolver.resolveFields(m.fields, [...path, 'fields'], false, true);
        if (fields !== null) fields = this.#checkBinaryFields(name, fields, header) ? fields : null;
      } else if (typeof m.line !== 'string') {
        this.#report.error(
          'missing-line-template',
          path,
          `message '${name}' has no 'line' template, but this is a text protocol (message '${firstTextMessage}' has one)`,
          "add a template such as line: '{text}'",
          'key',
        );
        fields = null;
      } else {
        const text = this.#textMessage(name, m, resolver);
        fields = text?.fields ?? null;
        line = text?.line ?? null;
      }
      messages.set(name, {
        name,
        path,
        from,
        code: code === undefined ? null : code,
        description: typeof m.description === 'string' ? m.description : '',
        fields: fields === null ? null : valueFields(fields),
        wireFields: fields,
        line,
        stream:
          isRecord(m.stream) && this.#ok([...path, 'stream']) ? (m.stream as { chunk: string; end: string }) : null,
      });
    }
    for (const info of messages.values()) if (info !== null) this.#checkSenderConstants(info, header);
    // A header that failed to resolve may have held the discriminator: one problem, one error.
    if (encoding === 'binary' && header.discriminator === null && header.fields !== null) {
      this.#checkDirectionsUnambiguous(messages);
    }
    if (encoding === 'text') this.#checkTemplatesReachable(messages);
    return messages;
  }

  /** A message both sides send has one layout, so a constant per sender must be the same for both. */
  #checkSenderConstants(info: MessageInfo, header: HeaderInfo): void {
    if (info.from !== 'both') return;
    for (const field of header.fields ?? []) {
      const constant = field.constant;
      if (constant?.kind !== 'by-sender') continue;
      if (constant.client !== null && constant.server !== null && constant.client.display === constant.server.display) {
        continue;
      }
      const side = (value: ConstantValueIR | null) => (value === null ? 'a value' : value.display);
      this.#report.error(
        'const-by-sender-both',
        [...info.path, 'from'],
        `message '${info.name}' is sent by both sides, but header field '${field.name}' is ${side(constant.client)} when the client sends and ${side(constant.server)} when the server does`,
        'declare a client message and a server message instead (they may share a code)',
      );
    }
  }

  /** Bit fields fill whole bytes, run by run; a list that breaks the rule generates no IR. */
  #bitRuns(header: HeaderInfo, messages: Map<string, MessageInfo | null>): HeaderInfo {
    if (header.fields === null) return header;
    const headerOk = checkBitRuns(['header'], header.fields, this.#report);
    for (const [name, info] of messages) {
      if (info?.wireFields && !checkBitRuns([...info.path, 'fields'], info.wireFields, this.#report)) {
        messages.set(name, { ...info, fields: null, wireFields: null });
      }
    }
    return headerOk ? header : { ...header, fields: null };
  }

  /**
   * Lengths and counts that name another field: checked once every field is
   * known; the named fields become `computed` (the encoder fills them in).
   */
  #computedLengths(header: HeaderInfo, messages: Map<string, MessageInfo | null>): HeaderInfo {
    if (header.fields === null) return header;
    const lists = new Map<string, FieldList>();
    for (const [name, info] of messages) {
      if (info?.wireFields)
        lists.set(name, { path: [...info.path, 'fields'], fields: info.wireFields, from: info.from });
    }
    const raw = this.#spec;
    const result = resolveComputedLengths(
      {
        header: { path: ['header'], fields: header.fields },
        messages: lists,
        discriminator: header.discriminator?.name ?? null,
        correlation: header.correlation,
        declaresLimit: (path, key) => {
          let definition = lookup(raw, path);
          if (typeof definition === 'string' && isRecord(raw.types)) definition = raw.types[definition];
          return isRecord(definition) && definition[key] !== undefined;
        },
      },
      this.#report,
    );
    if (result === null) {
      for (const [name, info] of messages)
        if (info !== null) messages.set(name, { ...info, fields: null, wireFields: null });
      return { ...header, fields: null };
    }
    for (const [name, fields] of result.messages) {
      const info = messages.get(name);
      if (info) messages.set(name, { ...info, fields: valueFields(fields), wireFields: fields });
    }
    return { ...header, fields: result.header };
  }

  /** The message's code, undefined when it has none or it is wrong (after reporting). */
  #messageCode(
    name: string,
    m: Record<string, unknown>,
    encoding: 'text' | 'binary',
    header: HeaderInfo,
    codes: CodesBySender,
  ): number | undefined {
    const path = ['messages', name];
    const code = typeof m.code === 'number' ? m.code : undefined;
    const discriminator = header.discriminator;
    if (discriminator === null) {
      if (code !== undefined && header.fields !== null) {
        this.#report.error(
          'code-without-discriminator',
          [...path, 'code'],
          encoding === 'text'
            ? `message '${name}' has a code, but text protocols tell messages apart by their line templates`
            : `message '${name}' has a code, but no header field is marked 'discriminator: true' to carry it`,
          encoding === 'text'
            ? "remove 'code'"
            : "add a header field such as type: { type: u8, discriminator: true }, or remove 'code'",
          'key',
        );
      }
      return undefined;
    }
    const type = discriminator.type;
    if (type.kind !== 'int' && type.kind !== 'bits') return undefined;
    const [min, max] = type.kind === 'bits' ? [0, 2 ** type.width - 1] : intRange(type);
    if (code === undefined) {
      this.#report.error(
        'missing-code',
        path,
        `message '${name}' has no 'code', but the header field '${discriminator.name}' selects messages by code`,
        `add 'code:' with a value of ${describeKind(type)} (${min} to ${max}) that no other message uses`,
        'key',
      );
      return undefined;
    }
    if (code < min || code > max) {
      this.#report.error(
        'code-out-of-range',
        [...path, 'code'],
        `code ${code} of message '${name}' does not fit the discriminator '${discriminator.name}' (${describeKind(type)}, ${min} to ${max})`,
        `pick a code from ${min} to ${max}, or widen '${discriminator.name}'`,
      );
      return undefined;
    }
    const from = m.from as Direction;
    const senders = (['client', 'server'] as const).filter((side) => from === side || from === 'both');
    for (const side of senders) {
      const other = codes[side].get(code);
      if (other === undefined) continue;
      this.#report.error(
        'duplicate-code',
        [...path, 'code'],
        `code ${code} of message '${name}' is already used by message '${other}', which the ${side} also sends, so the receiver could not tell them apart`,
        'give every message one side sends its own code (a client message and a server message may share one)',
      );
      return undefined;
    }
    for (const side of senders) codes[side].set(code, name);
    return code;
  }

  #checkBinaryFields(message: string, fields: readonly FieldIR[], header: HeaderInfo): boolean {
    let ok = true;
    fields.forEach((field, index) => {
      const path = ['messages', message, 'fields', field.name];
      const isLast = index === fields.length - 1;
      const direct =
        field.type.kind === 'string' || field.type.kind === 'bytes' ? field.type.length.kind === 'rest' : false;
      if ((direct && !isLast) || (!direct && containsRest(field.type))) {
        ok = false;
        this.#report.error(
          'rest-not-last',
          path,
          `field '${field.name}' of message '${message}' uses length 'rest', which only the last field of a message can use`,
          direct
            ? `move '${field.name}' to the end of the message, or give it a length prefix`
            : "give the nested value a length prefix; 'rest' is only for a message's last top-level field",
        );
      }
      if (nestingDepth(field.type) > MAX_NESTING_DEPTH) {
        ok = false;
        this.#report.error(
          'nesting-too-deep',
          path,
          `field '${field.name}' of message '${message}' nests structs, lists and optionals ${nestingDepth(field.type)} levels deep, more than the ${MAX_NESTING_DEPTH} a spec may use`,
          'flatten the innermost levels into their parent struct',
        );
      }
      if (header.fields?.some((h) => h.name === field.name)) {
        ok = false;
        this.#report.error(
          'field-shadows-header',
          path,
          `field '${field.name}' of message '${message}' has the same name as a header field`,
          'rename the field; header fields are part of every message',
          'key',
        );
      }
    });
    return ok;
  }

  #textMessage(
    name: string,
    m: Record<string, unknown>,
    resolver: TypeResolver,
  ): { fields: FieldIR[] | null; line: LineTemplateIR } | null {
    const path = ['messages', name];
    const source = m.line as string;
    const parsed = parseLineTemplate(source);
    for (const problem of parsed.problems) {
      this.#report.error(
        problem.code,
        [...path, 'line'],
        `line template of message '${name}': ${problem.message}`,
        problem.hint,
      );
    }
    if (parsed.problems.length > 0) return null;
    const partNames = parsed.parts.flatMap((p) => (p.kind === 'field' ? [p.name] : []));
    const overrides = isRecord(m.fields) ? m.fields : {};
    let ok = true;
    for (const key of Object.keys(overrides)) {
      if (partNames.includes(key)) continue;
      ok = false;
      this.#report.error(
        'field-not-in-template',
        [...path, 'fields', key],
        `field '${key}' of message '${name}' is not a part of its line template '${source}'`,
        didYouMean(key, partNames) ??
          (partNames.length > 0 ? `the template's parts are ${listNames(partNames)}` : 'the template has no parts'),
        'key',
      );
    }
    const fields: FieldIR[] = [];
    for (const part of partNames) {
      const fieldPath = [...path, 'fields', part];
      if (!Object.hasOwn(overrides, part)) {
        fields.push({ name: part, type: resolver.builtin('string', null), description: '' });
        continue;
      }
      if (!this.#ok(fieldPath)) {
        ok = false;
        continue;
      }
      const ref = overrides[part];
      const type = resolver.resolve(ref, fieldPath, false);
      if (type === null) {
        ok = false;
        continue;
      }
      if (!TEXT_KINDS.has(type.kind)) {
        ok = false;
        this.#report.error(
          'text-type-unsupported',
          fieldPath,
          `field '${part}' of message '${name}' is ${describeKind(type)}, which has no text form for a line template`,
          'use a string, integer, float, bool, enum or timestamp',
        );
        continue;
      }
      const description = isRecord(ref) && typeof ref.description === 'string' ? ref.description : '';
      fields.push({ name: part, type, description });
    }
    return { fields: ok ? fields : null, line: { source, parts: parsed.parts } };
  }

  /** Without a discriminator, a receiver can only decode messages if one kind travels each way. */
  #checkDirectionsUnambiguous(messages: Map<string, MessageInfo | null>): void {
    // A message from 'both' travels both ways; report each message once even if it clashes in both.
    const reported = new Set<string>();
    for (const [receives, sender] of [
      [serverReceives, 'client'],
      [serverSends, 'server'],
    ] as const) {
      let first: MessageInfo | null = null;
      for (const m of messages.values()) {
        if (m === null || !receives(m.from)) continue;
        if (first === null) {
          first = m;
          continue;
        }
        if (reported.has(m.name)) continue;
        reported.add(m.name);
        this.#report.error(
          'ambiguous-messages',
          [...m.path, 'from'],
          `messages '${first.name}' and '${m.name}' are both sent by the ${sender}, and without a discriminator the receiver cannot tell them apart`,
          "add a header field such as type: { type: u8, discriminator: true } and give each message a 'code'",
        );
      }
    }
  }

  /**
   * Text messages are matched in order, so a template that matches every
   * line hides the ones after it. Only the obvious cases are detected: a
   * lone string part, or two templates of the same shape.
   */
  #checkTemplatesReachable(messages: Map<string, MessageInfo | null>): void {
    for (const receives of [serverReceives, serverSends]) {
      const earlier: MessageInfo[] = [];
      for (const m of messages.values()) {
        if (m === null || m.line === null || m.fields === null || !receives(m.from)) continue;
        const shadow = earlier.find((e) => matchesEveryLine(e) || templateShape(e) === templateShape(m));
        if (shadow !== undefined) {
          this.#report.warning(
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

  // -------------------------------------------------------------------------
  // Behavior

  /**
   * Checks each `stream:` and returns the streams by opening message, or
   * null after reporting a problem.
   */
  #streams(messages: Map<string, MessageInfo | null>, header: HeaderInfo): Map<string, StreamIR> | null {
    const streams = new Map<string, StreamIR>();
    let ok = true;
    const sends = (from: Direction, sender: Direction) => from === sender || from === 'both';
    for (const m of messages.values()) {
      if (m === null || m.stream === null) continue;
      const path = [...m.path, 'stream'];
      if (header.correlation === null) {
        ok = false;
        this.#report.error(
          'stream-without-correlation',
          path,
          `message '${m.name}' opens a stream, but no header field is marked 'correlation: true' to tie its chunks to it`,
          'add a header field such as id: { type: u32, correlation: true }',
          'key',
        );
        continue;
      }
      if (m.from === 'both') {
        ok = false;
        this.#report.error(
          'stream-opener-direction',
          [...m.path, 'from'],
          `message '${m.name}' opens a stream, so it needs one sender, but it is from: both`,
          'set from: client (the client streams) or from: server (the server streams)',
        );
        continue;
      }
      const parts: StreamIR = { chunk: m.stream.chunk, end: m.stream.end };
      for (const role of ['chunk', 'end'] as const) {
        const name = parts[role];
        const part = messages.get(name);
        if (!messages.has(name)) {
          ok = false;
          this.#report.error(
            'unknown-message',
            [...path, role],
            `the stream of '${m.name}' names message '${name}' as its ${role}, but no such message is declared`,
            didYouMean(name, [...messages.keys()]) ?? `declared messages: ${[...messages.keys()].join(', ')}`,
          );
        } else if (part !== null && part !== undefined && !sends(part.from, m.from)) {
          ok = false;
          this.#report.error(
            'stream-part-direction',
            [...path, role],
            `the stream of '${m.name}' is sent by the ${m.from}, but its ${role} '${name}' is from: ${part.from}`,
            `set from: ${m.from} or both on '${name}'`,
          );
        } else if (name === m.name) {
          ok = false;
          this.#report.error(
            'stream-part-is-opener',
            [...path, role],
            `message '${m.name}' cannot be the ${role} of its own stream`,
            'declare separate chunk and end messages',
          );
        }
      }
      if (parts.chunk === parts.end) {
        ok = false;
        this.#report.error(
          'stream-chunk-is-end',
          [...path, 'end'],
          `the stream of '${m.name}' uses '${parts.end}' both as chunk and as end, so its end could not be told apart`,
          'declare a separate end message (it may have no fields)',
        );
      }
      streams.set(m.name, parts);
    }
    return ok ? streams : null;
  }

  #behavior(messages: Map<string, MessageInfo | null>, streams: Map<string, StreamIR>): BehaviorIR | null {
    const raw = this.#spec.behavior;
    const entries = isRecord(raw) ? raw : {};
    let ok = raw === undefined || (isRecord(raw) && this.#ok(['behavior']));
    const names = [...messages.keys()];

    let greeting: ComposedMessageIR | null = null;
    const session = this.#sessionFields(entries, messages);
    if (entries.greeting !== undefined) {
      greeting = this.#composed(entries.greeting, ['behavior', 'greeting'], null, messages, 'greeting', session);
      if (greeting === null) ok = false;
    }
    const idleTimeoutMs = typeof entries.idleTimeoutMs === 'number' ? entries.idleTimeoutMs : null;
    let errors: ErrorsIR | null = null;
    if (entries.errors !== undefined) {
      errors = this.#errors(entries.errors, messages);
      if (errors === null) ok = false;
    }
    // Chunks and ends of client streams go to their stream, never to behavior of their own.
    const streamParts = new Map<string, string>();
    for (const [opener, stream] of streams) {
      if (messages.get(opener)?.from !== 'client') continue;
      streamParts.set(stream.chunk, opener);
      streamParts.set(stream.end, opener);
    }

    const declared = new Map<string, MessageBehaviorIR | null>();
    for (const [key, entry] of Object.entries(entries)) {
      if (BEHAVIOR_KEYS.includes(key)) continue;
      const path = ['behavior', key];
      if (!messages.has(key)) {
        ok = false;
        this.#report.error(
          'unknown-behavior-message',
          path,
          `behavior for '${key}', which is not a message`,
          didYouMean(key, [...names, ...BEHAVIOR_KEYS]) ??
            `behavior keys are ${BEHAVIOR_KEYS.map((k) => `'${k}'`).join(', ')}, or names of messages the server receives`,
          'key',
        );
        continue;
      }
      const message = messages.get(key);
      if (message === null || message === undefined || !this.#ok(path) || !isRecord(entry)) {
        ok = false;
        continue;
      }
      if (!serverReceives(message.from)) {
        ok = false;
        this.#report.error(
          'behavior-on-server-message',
          path,
          `behavior for message '${key}', which the server sends but never receives (from: ${message.from})`,
          'behavior says what the server does with a message it receives; set from: client or both, or remove this entry',
          'key',
        );
        continue;
      }
      const opener = streamParts.get(key);
      if (opener !== undefined) {
        ok = false;
        this.#report.error(
          'behavior-on-stream-part',
          path,
          `behavior for message '${key}', which is part of the stream opened by '${opener}' and goes to that stream`,
          `remove this entry; the handler of '${opener}' receives the stream`,
          'key',
        );
        continue;
      }
      const ir = this.#messageBehavior(message, entry, path, messages, session, errors);
      if (ir === null) ok = false;
      declared.set(key, ir);
    }

    const onMessage: MessageBehaviorIR[] = [];
    for (const message of messages.values()) {
      if (message === null || !serverReceives(message.from) || streamParts.has(message.name)) continue;
      const ir = declared.get(message.name);
      if (ir === null) continue;
      onMessage.push(ir ?? { kind: 'handler', message: message.name, replies: [] });
    }
    return ok ? { greeting, idleTimeoutMs, onMessage, errors, session: [...session.values()] } : null;
  }

  #errors(raw: unknown, messages: Map<string, MessageInfo | null>): ErrorsIR | null {
    const path = ['behavior', 'errors'];
    if (!isRecord(raw) || !this.#ok(path)) return null;
    const name = String(raw.message);
    if (!this.#checkSentByServer(name, [...path, 'message'], messages, 'the errors entry')) return null;
    const message = messages.get(name);
    if (message === null || message === undefined || message.fields === null) return null;
    const fieldNames = message.fields.map((f) => f.name);
    const field = (key: 'reason' | 'text', kind: 'enum' | 'string') => {
      const wanted = String(raw[key]);
      const found = message.fields?.find((f) => f.name === wanted);
      if (found === undefined) {
        this.#report.error(
          'unknown-errors-field',
          [...path, key],
          `errors.${key} names field '${wanted}', but message '${name}' has no such field`,
          didYouMean(wanted, fieldNames) ?? `its fields are ${listNames(fieldNames)}`,
        );
        return null;
      }
      if (found.type.kind !== kind) {
        this.#report.error(
          'errors-field-type',
          [...path, key],
          `errors.${key} field '${wanted}' must be ${kind === 'enum' ? 'an enum' : 'a string'}, but it is ${describeKind(found.type)}`,
          kind === 'enum'
            ? 'give it an integer type with values: { name: number, ... }'
            : 'make it a string with a maxBytes',
        );
        return null;
      }
      return found;
    };
    const reason = field('reason', 'enum');
    const text = field('text', 'string');
    if (reason === null || text === null || reason.type.kind !== 'enum') return null;
    const valueNames = reason.type.values.map((v) => v.name);
    let ok = true;
    for (const key of ['badRequest', 'internal'] as const) {
      const wanted = String(raw[key]);
      if (valueNames.includes(wanted)) continue;
      ok = false;
      this.#report.error(
        'unknown-errors-reason',
        [...path, key],
        `errors.${key} is '${wanted}', which is not a value of '${reason.name}'`,
        didYouMean(wanted, valueNames) ?? `its values are ${listNames(valueNames)}`,
      );
    }
    if (message.fields.length !== 2) {
      // The engine fills the errors message from a reason and a text alone.
      const extra = fieldNames.filter((f) => f !== reason.name && f !== text.name);
      ok = false;
      this.#report.error(
        'errors-message-fields',
        [...path, 'message'],
        `the errors message '${name}' must have only the reason and text fields, but it also has ${listNames(extra)}`,
        `remove ${listNames(extra)} from '${name}'`,
      );
    }
    return ok
      ? {
          message: name,
          reasonField: reason.name,
          textField: text.name,
          badRequest: String(raw.badRequest),
          internal: String(raw.internal),
        }
      : null;
  }

  /**
   * The session values every message's `session:` declares, typed after the
   * request field each one copies. Collected first so that any message may
   * read a value another message remembers.
   */
  #sessionFields(entries: Record<string, unknown>, messages: Map<string, MessageInfo | null>): Map<string, FieldIR> {
    const session = new Map<string, FieldIR>();
    for (const [key, entry] of Object.entries(entries)) {
      const message = messages.get(key);
      if (message === null || message === undefined || message.fields === null) continue;
      if (!isRecord(entry) || !isRecord(entry.session) || !this.#ok(['behavior', key, 'session'])) continue;
      for (const [name, raw] of Object.entries(entry.session)) {
        const path = ['behavior', key, 'session', name];
        const wanted = requestFieldOf(raw);
        const from = wanted === null ? undefined : message.fields.find((f) => f.name === wanted);
        if (from === undefined) {
          this.#report.error(
            'invalid-session-value',
            path,
            `session value '${name}' of message '${key}' must copy a field of '${key}' ('$request.<field>'), got ${JSON.stringify(raw)}`,
            `its fields are ${listNames(message.fields.map((f) => f.name))}`,
          );
          continue;
        }
        const earlier = session.get(name);
        if (earlier !== undefined) {
          const fit = compatibility(from.type, earlier.type);
          if (!fit.ok && !fit.warn) {
            this.#report.error(
              'session-type-conflict',
              path,
              `session value '${name}' is set from '${key}.${from.name}' here, but an earlier message stores a different type: ${fit.reason}`,
              'copy fields of the same type into one session value, or use two names',
            );
          }
          continue;
        }
        session.set(name, { name, type: from.type, description: from.description });
      }
    }
    return session;
  }

  /**
   * `many: { until | through: { field: value } }`: the request is answered by
   * a sequence of its one reply message, ended by the reply that matches.
   * Undefined when not declared; null after reporting.
   */
  #manyReplies(
    handler: Record<string, unknown>,
    path: SpecPath,
    replies: readonly string[],
    messages: Map<string, MessageInfo | null>,
  ): ManyRepliesIR | undefined | null {
    const raw = handler.many;
    if (!isRecord(raw)) return undefined;
    const manyPath = [...path, 'many'];
    const keys = ['until', 'through'].filter((key) => raw[key] !== undefined);
    if (keys.length !== 1) {
      this.#report.error(
        'many-end',
        manyPath,
        keys.length === 0
          ? 'many replies need the reply that ends them'
          : "many replies end either 'until' a reply (which is not one of them) or 'through' it, not both",
        "write until: { <field>: <value> } (memcached STAT: until: { key: '' }) or through: { <field>: <value> }",
        'key',
      );
      return null;
    }
    if (replies.length !== 1) {
      this.#report.error(
        'many-replies-message',
        [...path, 'replies'],
        `many replies are all one message, but the handler lists ${replies.length === 0 ? 'none' : listNames(replies)}`,
        'list exactly one reply message',
      );
      return null;
    }
    const reply = messages.get(replies[0]!);
    if (reply === null || reply === undefined || reply.fields === null) return null;
    const key = keys[0] as 'until' | 'through';
    const match = raw[key] as Record<string, unknown>;
    const end: { field: string; value: string | number | boolean }[] = [];
    let ok = true;
    for (const [name, value] of Object.entries(match)) {
      const field = reply.fields.find((candidate) => candidate.name === name);
      const kind = field?.type.kind;
      const fits =
        (typeof value === 'string' && (kind === 'string' || kind === 'enum')) ||
        (typeof value === 'number' && (kind === 'int' || kind === 'bits')) ||
        (typeof value === 'boolean' && (kind === 'bool' || kind === 'bits'));
      if (field === undefined || !fits) {
        ok = false;
        this.#report.error(
          'many-end-field',
          [...manyPath, key, name],
          field === undefined
            ? `the end of the replies names field '${name}', but message '${reply.name}' has no such field`
            : `the end of the replies compares field '${name}' (${describeKind(field.type)}) with ${JSON.stringify(value)}`,
          field === undefined
            ? (didYouMean(
                name,
                reply.fields.map((f) => f.name),
              ) ?? `its fields are ${listNames(reply.fields.map((f) => f.name))}`)
            : 'compare a string or enum with a string, an integer with a number, a bool with true or false',
        );
        continue;
      }
      end.push({ field: name, value: value as string | number | boolean });
    }
    return ok ? { end, endIncluded: key === 'through' } : null;
  }

  /** `quiet: { barrier }`: the barrier must be a request the client sends that gets a reply. */
  #quietRequest(
    handler: Record<string, unknown>,
    path: SpecPath,
    message: MessageInfo,
    messages: Map<string, MessageInfo | null>,
  ): { barrier: string } | undefined | null {
    const raw = handler.quiet;
    if (!isRecord(raw)) return undefined;
    const barrier = String(raw.barrier);
    const target = messages.get(barrier);
    const behavior = isRecord(this.#spec.behavior) ? this.#spec.behavior[barrier] : undefined;
    const answered =
      isRecord(behavior) &&
      isRecord(behavior.handler) &&
      Array.isArray(behavior.handler.replies) &&
      behavior.handler.replies.length > 0 &&
      !isRecord(behavior.handler.quiet) &&
      !isRecord(behavior.handler.many);
    if (
      target === undefined ||
      target === null ||
      !serverReceives(target.from) ||
      !answered ||
      barrier === message.name
    ) {
      this.#report.error(
        'quiet-barrier',
        [...path, 'quiet', 'barrier'],
        target === undefined
          ? `the barrier of quiet '${message.name}' is '${barrier}', which is not a message`
          : `the barrier of quiet '${message.name}' must be another request that always gets one reply, and '${barrier}' is not`,
        'name a request with handler: { replies: [...] } (memcached: barrier: Noop)',
      );
      return null;
    }
    // The client sends the barrier itself, so it must need nothing from the caller.
    const required = [
      ...this.#headerFields.filter(
        (field) =>
          constantFor(field, 'client') === null &&
          field.computed === undefined &&
          field.checksum === undefined &&
          field.default === undefined &&
          !isHeaderRole(this.#spec, field.name),
      ),
      ...(target.fields ?? []).filter((field) => field.default === undefined),
    ].map((field) => field.name);
    if (required.length > 0) {
      this.#report.error(
        'quiet-barrier',
        [...path, 'quiet', 'barrier'],
        `the client sends the barrier '${barrier}' of quiet '${message.name}' itself, but it has fields a caller must give: ${listNames(required)}`,
        'use a barrier request whose fields all have a default (memcached: Noop)',
      );
      return null;
    }
    if (this.#quietBarrier !== null && this.#quietBarrier !== barrier) {
      this.#report.error(
        'quiet-barriers-differ',
        [...path, 'quiet', 'barrier'],
        `quiet '${message.name}' ends with barrier '${barrier}', but another quiet request ends with '${this.#quietBarrier}'`,
        `use one barrier for every quiet request ('${this.#quietBarrier}')`,
      );
      return null;
    }
    this.#quietBarrier = barrier;
    return { barrier };
  }

  #messageBehavior(
    message: MessageInfo,
    entry: Record<string, unknown>,
    path: SpecPath,
    messages: Map<string, MessageInfo | null>,
    session: Map<string, FieldIR>,
    errors: ErrorsIR | null,
  ): MessageBehaviorIR | null {
    const keys = Object.keys(entry);
    for (const alone of ['echo', 'handler'] as const) {
      if (entry[alone] === undefined || keys.length === 1) continue;
      const others = keys.filter((k) => k !== alone);
      this.#report.error(
        'behavior-combination',
        [...path, alone],
        `behavior of '${message.name}' combines '${alone}' with ${listNames(others)}, but ${alone === 'echo' ? 'echo sends the message back and nothing else' : 'a handler answers the message by itself'}`,
        alone === 'echo'
          ? `keep only 'echo', or replace it with declared steps`
          : `use 'guard: true' for application code that runs before declared steps, or keep only 'handler'`,
        'key',
      );
      return null;
    }
    if (isRecord(entry.echo)) {
      if (message.from !== 'both') {
        this.#report.error(
          'echo-direction',
          [...path, 'echo'],
          `echo on message '${message.name}' needs it to be from: both, since the server sends the same message back (it is from: ${message.from})`,
          `set from: both on '${message.name}', or use 'reply' with a message the server sends`,
          'key',
        );
        return null;
      }
      const prefix = typeof entry.echo.prefix === 'string' ? entry.echo.prefix : '';
      if (prefix === '') return { kind: 'echo', message: message.name, prefix, prefixField: null };
      if (message.fields === null) return null;
      const field = message.fields.find((f) => f.type.kind === 'string' || f.type.kind === 'bytes');
      if (field === undefined) {
        this.#report.error(
          'echo-prefix-without-text-field',
          [...path, 'echo', 'prefix'],
          `echo prefix for message '${message.name}' needs a string or bytes field to go in front of, and it has none`,
          "remove 'prefix', or add a string field to the message",
        );
        return null;
      }
      return { kind: 'echo', message: message.name, prefix, prefixField: field.name };
    }
    if (isRecord(entry.handler)) {
      const replies = Array.isArray(entry.handler.replies) ? (entry.handler.replies as string[]) : [];
      let ok = true;
      replies.forEach((reply, index) => {
        if (!this.#checkSentByServer(reply, [...path, 'handler', 'replies', index], messages, 'a handler reply')) {
          ok = false;
        }
      });
      if (!ok) return null;
      const base: HandlerBehaviorIR = { kind: 'handler', message: message.name, replies: [...new Set(replies)] };
      const many = this.#manyReplies(entry.handler, [...path, 'handler'], base.replies, messages);
      const quiet = this.#quietRequest(entry.handler, [...path, 'handler'], message, messages);
      if (many === null || quiet === null) return null;
      return { ...base, ...(many === undefined ? {} : { many }), ...(quiet === undefined ? {} : { quiet }) };
    }
    if (keys.length === 1 && isRecord(entry.reply)) {
      const reply = this.#composed(entry.reply, [...path, 'reply'], message, messages, 'reply', session);
      return reply === null ? null : { kind: 'reply', message: message.name, reply };
    }
    return this.#declared(message, entry, path, messages, session, errors);
  }

  #declared(
    message: MessageInfo,
    entry: Record<string, unknown>,
    path: SpecPath,
    messages: Map<string, MessageInfo | null>,
    session: Map<string, FieldIR>,
    errors: ErrorsIR | null,
  ): MessageBehaviorIR | null {
    let ok = true;
    const guard = entry.guard === true;
    const errorsDeclared = isRecord(this.#spec.behavior) && this.#spec.behavior.errors !== undefined;
    if (guard && errors === null) ok = false;
    if (guard && errors === null && !errorsDeclared) {
      this.#report.error(
        'guard-without-errors',
        [...path, 'guard'],
        `behavior of '${message.name}' has a guard, but the protocol declares no errors message for a guard to refuse with`,
        'add behavior.errors: { message, reason, text, badRequest, internal }',
        'key',
      );
    }
    const sessionValues: { name: string; value: ValueIR }[] = [];
    if (isRecord(entry.session)) {
      for (const [name, raw] of Object.entries(entry.session)) {
        const field = requestFieldOf(raw);
        if (field === null || !session.has(name)) {
          ok = false;
          continue;
        }
        sessionValues.push({ name, value: { kind: 'request-field', field } });
      }
    }
    const joins = this.#groupField(message, entry.joins, [...path, 'joins']);
    const leaves = this.#groupField(message, entry.leaves, [...path, 'leaves']);
    if (joins === undefined || leaves === undefined) ok = false;
    let reply: ComposedMessageIR | null = null;
    if (entry.reply !== undefined) {
      reply = this.#composed(entry.reply, [...path, 'reply'], message, messages, 'reply', session);
      if (reply === null) ok = false;
    }
    const broadcasts: BroadcastIR[] = [];
    if (Array.isArray(entry.broadcast)) {
      entry.broadcast.forEach((raw: unknown, index) => {
        const itemPath = [...path, 'broadcast', index];
        if (!isRecord(raw) || !this.#ok(itemPath)) {
          ok = false;
          return;
        }
        const to = this.#broadcastTarget(message, raw.to, [...itemPath, 'to']);
        const composed = this.#composed(
          { message: raw.message, values: raw.values },
          itemPath,
          message,
          messages,
          'broadcast',
          session,
        );
        if (to === null || composed === null) ok = false;
        else broadcasts.push({ message: composed, to });
      });
    }
    if (!ok || joins === undefined || leaves === undefined) return null;
    return {
      kind: 'declared',
      message: message.name,
      guard,
      session: sessionValues,
      joins,
      leaves,
      reply,
      broadcasts,
    };
  }

  /** The request's string field naming a group; null when absent, undefined after reporting a problem. */
  #groupField(message: MessageInfo, raw: unknown, path: SpecPath): string | null | undefined {
    if (raw === undefined) return null;
    const name = String(raw);
    const fields = message.fields ?? [];
    const field = fields.find((f) => f.name === name);
    if (field === undefined) {
      this.#report.error(
        'unknown-group-field',
        path,
        `${describePath(path)} names field '${name}', but message '${message.name}' has no such field`,
        didYouMean(
          name,
          fields.map((f) => f.name),
        ) ?? `its fields are ${listNames(fields.map((f) => f.name))}`,
      );
      return undefined;
    }
    if (field.type.kind !== 'string') {
      this.#report.error(
        'group-field-type',
        path,
        `groups are named by strings, but field '${name}' of '${message.name}' is ${describeKind(field.type)}`,
        'name the group with a string field',
      );
      return undefined;
    }
    return name;
  }

  #broadcastTarget(message: MessageInfo, raw: unknown, path: SpecPath): BroadcastTargetIR | null {
    if (raw === 'all' || raw === 'others') return { kind: raw };
    if (!isRecord(raw)) return null;
    const field = this.#groupField(message, raw.group, [...path, 'group']);
    if (field === null || field === undefined) return null;
    return { kind: 'group', field, exceptSender: raw.except === 'sender' };
  }

  /** True when `name` is a message the server sends; reports otherwise. */
  #checkSentByServer(name: string, path: SpecPath, messages: Map<string, MessageInfo | null>, role: string): boolean {
    if (!messages.has(name)) {
      this.#report.error(
        'unknown-message',
        path,
        `${role} names message '${name}', which is not declared`,
        didYouMean(name, [...messages.keys()]) ?? `declared messages: ${[...messages.keys()].join(', ')}`,
      );
      return false;
    }
    const message = messages.get(name);
    if (message === null || message === undefined) return false;
    if (!serverSends(message.from)) {
      this.#report.error(
        role === 'the greeting' ? 'greeting-not-sent-by-server' : 'reply-not-sent-by-server',
        path,
        `${role} uses message '${name}', but the server never sends it (it is from: ${message.from})`,
        `set from: server or both on '${name}', or pick a message the server sends`,
      );
      return false;
    }
    return true;
  }

  /** A greeting or reply: a message plus a value for each of its fields. */
  #composed(
    raw: unknown,
    path: SpecPath,
    request: MessageInfo | null,
    messages: Map<string, MessageInfo | null>,
    role: 'greeting' | 'reply' | 'broadcast',
    session: Map<string, FieldIR>,
  ): ComposedMessageIR | null {
    if (!isRecord(raw) || !this.#ok(path)) return null;
    const name = raw.message as string;
    const roleText =
      role === 'greeting'
        ? 'the greeting'
        : role === 'reply'
          ? `the reply to '${request?.name}'`
          : `the broadcast on '${request?.name}'`;
    if (!this.#checkSentByServer(name, [...path, 'message'], messages, roleText)) return null;
    const target = messages.get(name);
    if (target === null || target === undefined || target.fields === null) return null;
    if (request !== null && request.fields === null) return null;
    const values = isRecord(raw.values) ? raw.values : {};
    let ok = true;
    const fieldNames = target.fields.map((f) => f.name);
    for (const key of Object.keys(values)) {
      if (fieldNames.includes(key)) continue;
      ok = false;
      const wire = target.wireFields?.find((f) => f.name === key);
      if (wire?.computed === true) {
        this.#report.error(
          'value-for-computed',
          [...path, 'values', key],
          `${roleText} gives a value for '${key}', but another field of message '${name}' takes its size from it, so the encoder fills it in`,
          `remove '${key}' from 'values'`,
          'key',
        );
        continue;
      }
      const constant = wire === undefined ? null : constantFor(wire, target.from);
      if (constant !== null) {
        this.#report.error(
          'value-for-constant',
          [...path, 'values', key],
          `${roleText} gives a value for '${key}', but it is a constant of message '${name}' (${constant.display}), which the encoder always writes`,
          `remove '${key}' from 'values'`,
          'key',
        );
        continue;
      }
      this.#report.error(
        'unknown-value-field',
        [...path, 'values', key],
        `${roleText} gives a value for '${key}', but message '${name}' has no such field`,
        didYouMean(key, fieldNames) ?? `its fields are ${listNames(fieldNames)}`,
        'key',
      );
    }
    const missing = fieldNames.filter((f) => !Object.hasOwn(values, f));
    if (missing.length > 0) {
      ok = false;
      this.#report.error(
        'missing-values',
        raw.values === undefined ? path : [...path, 'values'],
        `${roleText} gives no value for ${missing.length === 1 ? 'field' : 'fields'} ${listNames(missing)} of message '${name}'`,
        "add them under 'values:' ($now for the current time, $request.<field> to copy from the request)",
        raw.values === undefined ? 'key' : 'value',
      );
    }
    const out: { field: string; value: ValueIR }[] = [];
    for (const field of target.fields) {
      if (!Object.hasOwn(values, field.name)) continue;
      const value = this.#value(field, values[field.name], [...path, 'values', field.name], request, roleText, session);
      if (value === null) ok = false;
      else out.push({ field: field.name, value });
    }
    return ok ? { message: name, values: out } : null;
  }

  #value(
    field: FieldIR,
    raw: unknown,
    path: SpecPath,
    request: MessageInfo | null,
    roleText: string,
    session: Map<string, FieldIR>,
  ): ValueIR | null {
    if (typeof raw === 'string' && raw.startsWith('$') && !raw.startsWith('$$')) {
      if (raw === '$now') {
        const inner = field.type.kind === 'optional' ? field.type.value : field.type;
        if (inner.kind !== 'timestamp') {
          this.#report.error(
            'now-on-non-timestamp',
            path,
            `'$now' in ${describePath(path)} needs a timestamp field, but '${field.name}' is ${describeKind(field.type)}`,
            'make the field a timestamp, or give a literal value',
          );
          return null;
        }
        return { kind: 'now' };
      }
      const sessionMatch = /^\$session\.(.+)$/.exec(raw);
      if (sessionMatch !== null)
        return this.#sessionValue(field, sessionMatch[1]!, raw, path, request, roleText, session);
      const wanted = requestFieldOf(raw);
      if (wanted !== null) {
        if (request === null) {
          this.#report.error(
            'request-value-in-greeting',
            path,
            `'${raw}' in ${describePath(path)} refers to a request, but ${roleText} is not sent in answer to one`,
            'use a literal value or $now',
          );
          return null;
        }
        const from = request.fields?.find((f) => f.name === wanted);
        if (from === undefined) {
          this.#report.error(
            'unknown-request-field',
            path,
            `'${raw}' in ${describePath(path)}: message '${request.name}' has no field '${wanted}'`,
            didYouMean(
              wanted,
              (request.fields ?? []).map((f) => f.name),
            ) ?? `its fields are ${listNames((request.fields ?? []).map((f) => f.name))}`,
          );
          return null;
        }
        const fit = compatibility(from.type, field.type);
        if (!fit.ok) {
          const message = `'${raw}' cannot fill field '${field.name}' of ${roleText}: ${fit.reason}`;
          if (fit.warn) {
            this.#report.warning('request-field-may-not-fit', path, message, "align the two fields' maxBytes");
          } else {
            this.#report.error('incompatible-request-field', path, message, 'copy a field of a matching type');
            return null;
          }
        }
        return { kind: 'request-field', field: wanted };
      }
      this.#report.error(
        'invalid-value-expression',
        path,
        `'${raw}' in ${describePath(path)} is not a known expression`,
        `use $now, $request.<field> or $session.<name>; write '$${raw}' for the literal text '${raw}'`,
      );
      return null;
    }
    const literal = typeof raw === 'string' && raw.startsWith('$$') ? raw.slice(1) : raw;
    return literalValue(field.type, literal, path, this.#source, this.#report);
  }
  #sessionValue(
    field: FieldIR,
    name: string,
    raw: string,
    path: SpecPath,
    request: MessageInfo | null,
    roleText: string,
    session: Map<string, FieldIR>,
  ): ValueIR | null {
    if (request === null) {
      this.#report.error(
        'session-value-in-greeting',
        path,
        `'${raw}' in ${describePath(path)} reads the session, but ${roleText} is sent before the client has sent anything`,
        'use a literal value or $now',
      );
      return null;
    }
    const stored = session.get(name);
    if (stored === undefined) {
      this.#report.error(
        'unknown-session-value',
        path,
        `'${raw}' in ${describePath(path)}: no message stores a session value '${name}'`,
        didYouMean(name, [...session.keys()]) ??
          "store it first with session: { <name>: $request.<field> } in another message's behavior",
      );
      return null;
    }
    const fit = compatibility(stored.type, field.type);
    if (!fit.ok) {
      const message = `'${raw}' cannot fill field '${field.name}' of ${roleText}: ${fit.reason}`;
      if (!fit.warn) {
        this.#report.error('incompatible-session-value', path, message, 'store a value of a matching type');
        return null;
      }
      this.#report.warning('session-value-may-not-fit', path, message, "align the two fields' maxBytes");
    }
    return { kind: 'session', name };
  }
}

/** Bytes available to one value: the frame minus its framing overhead. */
function payloadLimit(framing: FramingIR): number {
  switch (framing.kind) {
    case 'delimited':
      return framing.maxFrameBytes - framing.delimiter.length;
    case 'length-prefixed':
      return framing.maxFrameBytes - framing.lengthOffset - framing.lengthBytes;
    default:
      return framing.maxFrameBytes;
  }
}

function containsRest(type: TypeIR): boolean {
  switch (type.kind) {
    case 'string':
    case 'bytes':
      return type.length.kind === 'rest';
    case 'optional':
      return containsRest(type.value);
    case 'array':
      return containsRest(type.element);
    case 'struct':
      return type.fields.some((f) => containsRest(f.type));
    default:
      return false;
  }
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
