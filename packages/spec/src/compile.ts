import { readFile } from 'node:fs/promises';
import { BehaviorPass } from './behavior-pass.js';
import { checkBitRuns } from './bit-runs.js';
import { type FieldList, resolveComputedLengths } from './computed.js';
import { type Diagnostic, didYouMean, hasErrors, listNames, sortDiagnostics } from './diagnostics.js';
import { FieldRoles } from './field-roles.js';
import { FramingPass } from './framing-pass.js';
import { checkGeneratedNames } from './generated-names.js';
import {
  type ConstantValueIR,
  type Direction,
  type Endian,
  type FieldIR,
  type FramingIR,
  IR_VERSION,
  type LineTemplateIR,
  type MessageIR,
  type ProtocolIR,
  type SwitchIR,
  type TypeIR,
} from './ir.js';
import {
  BEHAVIOR_KEYS,
  type HeaderInfo,
  type MessageInfo,
  serverReceives,
  serverSends,
  valueFields,
} from './pass-types.js';
import { isRecord } from './records.js';
import { checkReplySizes } from './reply-sizes.js';
import { Reporter } from './report.js';
import { MAX_SIZE } from './schema.js';
import { BrokenPaths, checkShape } from './shape.js';
import { type SpecPath, SpecSource } from './source.js';
import { type DeclaredSwitch, endsItsLayout } from './switch-fields.js';
import { TextPass } from './text-pass.js';
import { describeKind, intRange, MAX_NESTING_DEPTH, nestingDepth, type TypeContext, TypeResolver } from './types.js';

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

interface CodesBySender {
  readonly client: Map<number, string>;
  readonly server: Map<number, string>;
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

/** Resolves names and checks meaning, building the IR as it goes. */
class SemanticPass {
  readonly #source: SpecSource;
  readonly #report: Reporter;
  readonly #broken: BrokenPaths;
  readonly #spec: Record<string, unknown>;
  /** Line templates and what follows lines; set once the framing is known. */
  #text: TextPass | null = null;
  /** Constants, defaults and checksums; also reads a message's own header values. */
  #roles: FieldRoles | null = null;

  constructor(source: SpecSource, report: Reporter, broken: BrokenPaths) {
    this.#source = source;
    this.#report = report;
    this.#broken = broken;
    this.#spec = source.data as Record<string, unknown>;
  }

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
      source: this.#source,
      spec: this.#spec,
      ok: (path) => this.#ok(path),
      section: (key) => this.#section(key),
    });
    const framing = framingPass.framing();
    const transports = framingPass.transports(framing);
    this.#text = new TextPass(framingPass.context, framing);
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
    const typeContext: TypeContext = {
      encoding,
      byteOrder,
      bitOrder,
      valueLimit,
      report: this.#report,
      broken: this.#broken,
    };
    this.#roles = new FieldRoles(typeContext);
    const resolver = new TypeResolver(typeContext, typeDefinitions, this.#roles);
    for (const name of typeDefinitions.keys()) resolver.resolveNamed(name, null);

    let header = this.#header(encoding, resolver);
    if (framing?.kind === 'length-prefixed' && header.fields !== null) {
      framingPass.checkLengthPlacement(framing, header.fields);
      framingPass.checkDiscriminatorBeforeVarint(framing, header);
    }
    const messages = this.#messages(rawMessages, encoding, header, resolver);
    if (encoding === 'binary') header = this.#bitRuns(this.#computedLengths(header, messages), messages);
    else {
      this.#computedLengths(header, messages);
      if (!this.#text!.checkFollowing(messages, transports)) {
        for (const [name, info] of messages) if (info !== null) messages.set(name, { ...info, wireFields: null });
      }
    }
    const behaviorPass = new BehaviorPass(framingPass.context, header.fields ?? []);
    const streams = behaviorPass.streams(messages, header);
    const behavior = streams === null ? null : behaviorPass.behavior(messages, streams);

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
        ...(m.headerValues === undefined ? {} : { headerValues: m.headerValues }),
        ...(m.switches.length === 0 ? {} : { switches: m.switches.map((declared) => declared.ir) }),
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
      let headerValues: Record<string, ConstantValueIR> | null | undefined;
      const switches: DeclaredSwitch[] = [];
      if (encoding === 'binary') {
        fields = resolver.resolveFields(m.fields, [...path, 'fields'], false, true, switches);
        if (fields !== null) {
          const declared = switches.map((s) => s.ir);
          fields = this.#checkBinaryFields(name, fields, header, declared) ? fields : null;
        }
        headerValues = this.#headerValues(name, m, header);
        if (headerValues === null) fields = null;
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
        if (m.header !== undefined) {
          this.#report.error(
            'header-in-text-protocol',
            [...path, 'header'],
            `message '${name}' fixes header fields, but a text protocol has no header`,
            "remove 'header' from the message",
            'key',
          );
        }
        const text = this.#text!.message(name, m, resolver);
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
        ...(headerValues ? { headerValues } : {}),
        switches,
      });
    }
    for (const info of messages.values()) if (info !== null) this.#checkSenderConstants(info, header);
    // A header that failed to resolve may have held the discriminator: one problem, one error.
    if (encoding === 'binary' && header.discriminator === null && header.fields !== null) {
      this.#checkDirectionsUnambiguous(messages);
    }
    if (encoding === 'text') this.#text!.checkTemplatesReachable(messages);
    return messages;
  }

  /**
   * `header: { qos: 1 }` on a message: header fields constant in this
   * message alone. Undefined when there are none, null after reporting.
   */
  #headerValues(
    name: string,
    m: Record<string, unknown>,
    header: HeaderInfo,
  ): Record<string, ConstantValueIR> | null | undefined {
    if (!isRecord(m.header) || header.fields === null) return undefined;
    const values: Record<string, ConstantValueIR> = {};
    let ok = true;
    for (const [key, raw] of Object.entries(m.header)) {
      const path = ['messages', name, 'header', key];
      const field = header.fields.find((candidate) => candidate.name === key);
      if (field === undefined) {
        ok = false;
        const names = header.fields.map((candidate) => candidate.name);
        this.#report.error(
          'unknown-header-value',
          path,
          `message '${name}' fixes header field '${key}', but the header has no field of that name`,
          didYouMean(key, names) ?? `header fields: ${listNames(names)}`,
          'key',
        );
        continue;
      }
      const role =
        key === header.discriminator?.name
          ? 'the discriminator (the message code says it)'
          : key === header.correlation
            ? 'the correlation id'
            : field.computed === true
              ? 'a length the encoder fills in'
              : field.checksum !== undefined
                ? 'a checksum'
                : field.constant !== undefined
                  ? 'a constant already'
                  : null;
      if (role !== null) {
        ok = false;
        this.#report.error(
          'header-value-role',
          path,
          `message '${name}' fixes header field '${key}', but it is ${role}`,
          `remove '${key}' from the message's 'header'`,
          'key',
        );
        continue;
      }
      const value = this.#roles!.constantValue(field.type, raw, path, `header field '${key}' in message '${name}'`);
      if (value === null) ok = false;
      else values[key] = value;
    }
    return ok ? values : null;
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
        lists.set(name, {
          path: [...info.path, 'fields'],
          fields: info.wireFields,
          from: info.from,
          switches: info.switches,
        });
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

  #checkBinaryFields(
    message: string,
    fields: readonly FieldIR[],
    header: HeaderInfo,
    switches: readonly SwitchIR[],
  ): boolean {
    let ok = true;
    fields.forEach((field, index) => {
      const path = ['messages', message, 'fields', field.name];
      const isLast = endsItsLayout(fields, index, switches);
      // Present `when` another field says so (a switch's cases too), the field is still a top-level one.
      const type = field.type.kind === 'optional' && field.type.when !== undefined ? field.type.value : field.type;
      const direct =
        type.kind === 'string' || type.kind === 'bytes'
          ? type.length.kind === 'rest'
          : type.kind === 'array' && type.count.kind === 'rest';
      if ((direct && !isLast) || (!direct && containsRest(type))) {
        ok = false;
        this.#report.error(
          'rest-not-last',
          path,
          `field '${field.name}' of message '${message}' uses 'rest' (it runs to the end of the frame), which only the last field of a message can use`,
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
      return type.count.kind === 'rest' || containsRest(type.element);
    case 'struct':
      return type.fields.some((f) => containsRest(f.type));
    default:
      return false;
  }
}
