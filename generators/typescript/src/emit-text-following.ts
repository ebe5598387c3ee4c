import type { FieldIR, LinePartIR, LookupIR, StructTypeIR, TypeIR } from '@sockspec/spec';
import type { CodeBlockWriter } from 'ts-morph';
import { UnsupportedFeatureError } from './define.js';
import {
  type CodecWriter,
  type LineOwner,
  lineOf,
  textFraming,
  writeLineConstants,
  writeLinePieces,
  writePartValues,
} from './emit-text-codec.js';
import { type MessageModel, type ProtocolModel, tsType } from './model.js';
import { access, camelCase, constantCase, failureSite, pascalCase, propertyKey, quote } from './names.js';
import { escapeRegExp, textFieldContext } from './text-parts.js';

/** The largest length or count a line may announce before it is checked against its field's limit. */
const MAX_ANNOUNCED = 0xffff_ffff;

/**
 * What a field that follows its line is: raw bytes sized by a part, a list
 * counted by a part whose elements are values with a length line of their
 * own or whole messages, a list of line structs up to an end line (HTTP's
 * headers), or bytes sized by one of that list's elements (HTTP's body).
 */
type Following =
  | {
      readonly kind: 'sized';
      readonly field: FieldIR;
      readonly value: 'string' | 'bytes';
      readonly part: string;
      readonly maxBytes: number;
    }
  | {
      readonly kind: 'list';
      readonly field: FieldIR;
      readonly part: string;
      readonly maxCount: number;
      readonly element: Exclude<ElementKind, { kind: 'line' }>;
    }
  | {
      readonly kind: 'until';
      readonly field: FieldIR;
      readonly end: string;
      readonly maxCount: number;
      readonly element: Extract<ElementKind, { kind: 'line' }>;
    }
  | {
      readonly kind: 'lookup';
      readonly field: FieldIR;
      readonly value: 'string' | 'bytes';
      readonly maxBytes: number;
      readonly lookup: LookupIR;
      readonly list: Extract<Following, { kind: 'until' }>;
    };

/** A struct written as one line, as the codec's line functions see it. */
type LineStruct = LineOwner & { readonly struct: StructTypeIR };

/** A lookup as the element it reads sees it: which parts to compare and read. */
interface ElementLookup {
  readonly lookup: LookupIR;
  readonly maxBytes: number;
  /** The regex groups of the compared and the length parts in the element's line. */
  readonly whereGroup: number;
  readonly valueGroup: number;
  /** Where errors about the length point: the field the bytes land in. */
  readonly message: string;
  readonly field: string;
}

/** A kind of list element, numbered for the frame decoder (0 and 1 are whole frames). */
type ElementKind =
  | {
      readonly kind: 'counted';
      readonly id: number;
      readonly value: 'string' | 'bytes';
      readonly maxBytes: number;
      readonly line: readonly LinePartIR[];
      readonly source: string;
      readonly constant: string;
    }
  | { readonly kind: 'messages'; readonly id: number; readonly names: readonly string[] }
  | {
      readonly kind: 'line';
      readonly id: number;
      readonly owner: LineStruct;
      readonly lookups: ElementLookup[];
    };

/** Whether some message has fields after its line: frames are then several lines (RESP). */
export function followsLines(model: ProtocolModel): boolean {
  return model.messages.some((message) => followingFields(message).length > 0);
}

function partNames(message: MessageModel): Set<string> {
  return new Set((message.ir.line?.parts ?? []).flatMap((part) => (part.kind === 'field' ? [part.name] : [])));
}

function followingFields(message: MessageModel): FieldIR[] {
  const parts = partNames(message);
  return message.ir.fields.filter((field) => !parts.has(field.name));
}

class FollowingPlan {
  readonly elements: ElementKind[] = [];
  readonly #byMessage = new Map<string, Following[]>();

  constructor(
    private readonly model: ProtocolModel,
    out: CodecWriter,
  ) {
    for (const message of model.messages) {
      const list: Following[] = [];
      for (const field of followingFields(message)) list.push(this.#describe(message, field, list, out));
      this.#byMessage.set(message.name, list);
    }
  }

  of(message: MessageModel): readonly Following[] {
    return this.#byMessage.get(message.name) ?? [];
  }

  #describe(message: MessageModel, field: FieldIR, earlier: readonly Following[], out: CodecWriter): Following {
    const { type } = field;
    if ((type.kind === 'string' || type.kind === 'bytes') && type.length.kind === 'field') {
      return { kind: 'sized', field, value: type.kind, part: type.length.field, maxBytes: type.maxBytes };
    }
    if ((type.kind === 'string' || type.kind === 'bytes') && type.length.kind === 'lookup') {
      const { lookup } = type.length;
      const list = earlier.find((item) => item.kind === 'until' && item.field.name === lookup.list);
      if (list?.kind !== 'until') {
        throw new UnsupportedFeatureError(
          this.model.ir.sourceFile,
          `message ${message.name}, field ${field.name}`,
          'a length from a list that is not an earlier until list',
        );
      }
      const groups = list.element.owner.struct.line?.parts.filter((part) => part.kind === 'field') ?? [];
      const group = (name: string): number => groups.findIndex((part) => part.name === name) + 1;
      list.element.lookups.push({
        lookup,
        maxBytes: type.maxBytes,
        whereGroup: group(lookup.where.field),
        valueGroup: group(lookup.value),
        message: message.name,
        field: field.name,
      });
      return { kind: 'lookup', field, value: type.kind, maxBytes: type.maxBytes, lookup, list };
    }
    if (type.kind === 'array' && type.count.kind === 'until') {
      const element = this.#lineElement(message, field, type.element);
      return { kind: 'until', field, end: type.count.line, maxCount: type.maxCount, element };
    }
    if (type.kind === 'array' && type.count.kind === 'field') {
      const element = this.#element(message, field, type.element, out);
      return { kind: 'list', field, part: type.count.field, maxCount: type.maxCount, element };
    }
    throw new UnsupportedFeatureError(
      this.model.ir.sourceFile,
      `message ${message.name}, field ${field.name}`,
      'a field after the line without a length or count',
    );
  }

  /** The struct's line functions are written once per struct (HTTP's Header serves requests and responses). */
  readonly lineStructs = new Map<string, LineStruct>();

  #lineElement(message: MessageModel, field: FieldIR, type: TypeIR): Extract<ElementKind, { kind: 'line' }> {
    if (type.kind !== 'struct' || type.line === undefined) {
      throw new UnsupportedFeatureError(
        this.model.ir.sourceFile,
        `message ${message.name}, field ${field.name}`,
        'an until list whose elements are not line structs',
      );
    }
    const name = type.typeName ?? `${message.name}${pascalCase(field.name)}Item`;
    let owner = this.lineStructs.get(name);
    if (owner === undefined) {
      owner = { name, ir: { fields: type.fields, line: type.line }, struct: type };
      this.lineStructs.set(name, owner);
    }
    const element = { kind: 'line' as const, id: this.elements.length + 2, owner, lookups: [] };
    this.elements.push(element);
    return element;
  }

  #element(
    message: MessageModel,
    field: FieldIR,
    type: TypeIR,
    out: CodecWriter,
  ): Exclude<ElementKind, { kind: 'line' }> {
    const id = this.elements.length + 2;
    let element: Exclude<ElementKind, { kind: 'line' }>;
    if (type.kind === 'messages') {
      element = { kind: 'messages', id, names: type.names };
    } else if ((type.kind === 'string' || type.kind === 'bytes') && type.length.kind === 'line') {
      const constant = `${constantCase(message.name)}_${constantCase(field.name)}_LINE`;
      const line = type.length.template.parts;
      const pattern = line.map((part) => (part.kind === 'literal' ? escapeRegExp(part.text) : '(\\d+)')).join('');
      out.constants.push({
        name: constant,
        type: 'RegExp',
        initializer: `/^${pattern}$/`,
        docs: `Matches the line before each ${message.name}.${field.name} element: \`${type.length.template.source}\`.`,
      });
      element = {
        kind: 'counted',
        id,
        value: type.kind,
        maxBytes: type.maxBytes,
        line,
        source: type.length.template.source,
        constant,
      };
    } else {
      throw new UnsupportedFeatureError(
        this.model.ir.sourceFile,
        `message ${message.name}, field ${field.name}`,
        'a list element after the line that is neither a message nor a value with a length line',
      );
    }
    this.elements.push(element);
    return element;
  }
}

/**
 * The codec of a text protocol whose frames are several lines: per message
 * a `following…` function (what the frame decoder needs to find the end of
 * a frame), a `read…` and a `write…` (the line, then what follows it), and
 * encode/decode functions over whole frames.
 */
export function writeFollowingCodec(model: ProtocolModel, out: CodecWriter): void {
  const framing = textFraming(model);
  out.constants.push({
    name: 'DELIMITER_BYTES',
    type: 'Uint8Array',
    initializer: `new Uint8Array([${framing.delimiter.join(', ')}])`,
  });
  out.constants.push({
    name: 'LINE_ONLY',
    type: 'readonly FollowingStep[]',
    initializer: '[]',
    docs: 'What follows a line that is a whole message: nothing.',
  });
  const plan = new FollowingPlan(model, out);
  const lines = new Map<string, string>();
  for (const message of model.messages) {
    const parts = lineOf(model, message);
    lines.set(message.name, writeLineConstants(message, parts, out));
  }
  out.functions.push({
    name: 'following',
    exported: false,
    docs: 'What follows a line that starts an element of kind `element`: tells the frame decoder where frames end.',
    parameters: [
      { name: 'line', type: 'string' },
      { name: 'element', type: 'number' },
    ],
    returnType: 'readonly FollowingStep[] | null',
    body: (writer) => {
      writer.write('switch (element)').block(() => {
        const cases: [number, string][] = [
          [
            0,
            tryEach(
              model.clientMessages.map((m) => m.name),
              (name) => `following${name}(line)`,
            ),
          ],
          [
            1,
            tryEach(
              model.serverMessages.map((m) => m.name),
              (name) => `following${name}(line)`,
            ),
          ],
        ];
        for (const element of plan.elements) {
          cases.push([
            element.id,
            element.kind === 'messages'
              ? tryEach(element.names, (name) => `following${name}(line)`)
              : element.kind === 'line'
                ? `followingElement${element.id}(line)`
                : `followingLengthLine(${element.constant}.exec(line), ${element.maxBytes})`,
          ]);
        }
        for (const [id, expression] of cases) {
          writer.writeLine(`case ${id}:`);
          writer.indent().write(`return ${expression};`).newLine();
        }
      });
      writer.writeLine('return null;');
    },
  });
  if (plan.elements.some((element) => element.kind === 'counted')) {
    out.functions.push({
      name: 'followingLengthLine',
      exported: false,
      docs: "A value's own length line: its bytes follow.",
      parameters: [
        { name: 'match', type: 'RegExpExecArray | null' },
        { name: 'maxBytes', type: 'number' },
      ],
      returnType: 'readonly FollowingStep[] | null',
      body: (writer) => {
        writer.writeLine('if (match === null) return null;');
        writer.writeLine(
          `const bytes = parseTextInt(match[1]!, 0, ${MAX_ANNOUNCED}, { protocol: PROTOCOL.name, field: 'length' });`,
        );
        writer.writeLine("checkTextLength(bytes, maxBytes, { protocol: PROTOCOL.name, field: 'length' });");
        writer.writeLine('return [{ bytes }];');
      },
    });
  }
  const lineConstants = new Map(
    [...plan.lineStructs.values()].map((owner) => [owner.name, writeLineStructFunctions(model, owner, out)]),
  );
  for (const element of plan.elements) {
    if (element.kind === 'line') writeLineElementFollowing(element, lineConstants.get(element.owner.name)!, out);
  }
  for (const message of model.messages) {
    const constant = lines.get(message.name)!;
    const parts = lineOf(model, message);
    writeFollowingSteps(message, parts, plan.of(message), constant, out);
    for (const item of plan.of(message)) if (item.kind === 'lookup') writeLookupFunction(message, item, out);
    writeRead(model, message, parts, plan.of(message), constant, out);
    writeWrite(model, message, parts, plan.of(message), out);
    writeFrameFunctions(message, out);
  }
  for (const element of plan.elements) {
    if (element.kind === 'messages') writeElementFunctions(element, out);
  }
}

function tryEach(names: readonly string[], call: (name: string) => string): string {
  return names.length === 0 ? 'null' : names.map(call).join(' ?? ');
}

/** The regex group holding part `name` of a template. */
function groupOf(parts: readonly LinePartIR[], name: string): number {
  return (
    parts.filter((part) => part.kind === 'field').findIndex((part) => part.kind === 'field' && part.name === name) + 1
  );
}

function writeFollowingSteps(
  message: MessageModel,
  parts: readonly LinePartIR[],
  following: readonly Following[],
  constant: string,
  out: CodecWriter,
): void {
  out.functions.push({
    name: `following${message.name}`,
    exported: false,
    parameters: [{ name: 'line', type: 'string' }],
    returnType: 'readonly FollowingStep[] | null',
    body: (writer) => {
      if (following.length === 0) {
        writer.writeLine(`return ${constant}.test(line) ? LINE_ONLY : null;`);
        return;
      }
      writer.writeLine(`const match = ${constant}.exec(line);`);
      writer.writeLine('if (match === null) return null;');
      const steps = following.flatMap((item) => {
        if (item.kind === 'lookup') return [];
        if (item.kind === 'until') {
          const at = textFieldContext(message.name, item.field.name);
          return [`{ until: ${quote(item.end)}, element: ${item.element.id}, maxCount: ${item.maxCount}, at: ${at} }`];
        }
        const local = writeAnnounced(message, parts, item, writer);
        return [item.kind === 'sized' ? `{ bytes: ${local} }` : `{ count: ${local}, element: ${item.element.id} }`];
      });
      writer.writeLine(`return [${steps.join(', ')}];`);
    },
  });
}

/** Reads the length or count a part announces, checked against the field's limit; returns its local name. */
function writeAnnounced(
  message: MessageModel,
  parts: readonly LinePartIR[],
  item: Extract<Following, { kind: 'sized' | 'list' }>,
  writer: CodeBlockWriter,
): string {
  const local = camelCase(`${item.field.name} ${item.kind === 'sized' ? 'bytes' : 'count'}`);
  const context = textFieldContext(message.name, item.field.name);
  writer.writeLine(
    `const ${local} = parseTextInt(match[${groupOf(parts, item.part)}]!, 0, ${MAX_ANNOUNCED}, ${context});`,
  );
  writer.writeLine(
    item.kind === 'sized'
      ? `checkTextLength(${local}, ${item.maxBytes}, ${context});`
      : `checkTextCount(${local}, ${item.maxCount}, ${context});`,
  );
  return local;
}

function writeRead(
  model: ProtocolModel,
  message: MessageModel,
  parts: readonly LinePartIR[],
  following: readonly Following[],
  constant: string,
  out: CodecWriter,
): void {
  out.functions.push({
    name: `read${message.name}`,
    exported: false,
    docs: `Reads a ${message.name} whose line is \`text\` (null when the line is not one), then what follows the line.`,
    parameters: [
      { name: 'reader', type: 'TextReader' },
      { name: 'text', type: 'string' },
    ],
    returnType: `${message.name} | null`,
    body: (writer) => {
      writer.writeLine(`const match = ${constant}.exec(text);`);
      writer.writeLine('if (match === null) return null;');
      const values = writePartValues(model, message, parts, writer);
      for (const item of following) {
        if (item.kind === 'until' || item.kind === 'lookup') {
          values.set(item.field.name, writeReadUntil(message, item, writer));
          continue;
        }
        const announced = writeAnnounced(message, parts, item, writer);
        values.set(item.field.name, writeReadFollowing(message, item, announced, writer));
      }
      const properties = [`type: ${quote(message.name)}`];
      for (const field of message.fields) {
        properties.push(`${propertyKey(field.name)}: ${values.get(field.name) ?? 'undefined'}`);
      }
      writer.writeLine(`return { ${properties.join(', ')} };`);
    },
  });
}

function writeReadFollowing(
  message: MessageModel,
  item: Extract<Following, { kind: 'sized' | 'list' }>,
  announced: string,
  writer: CodeBlockWriter,
): string {
  const name = quote(message.name);
  const field = quote(item.field.name);
  const local = item.field.name;
  if (item.kind === 'sized') {
    writer.writeLine(
      `const ${local} = reader.${item.value === 'string' ? 'text' : 'bytes'}(${announced}, ${name}, ${field});`,
    );
    return local;
  }
  const element = item.element;
  const elementType =
    element.kind === 'messages' ? element.names.join(' | ') : element.value === 'string' ? 'string' : 'Uint8Array';
  writer.writeLine(
    `const ${local}: ${element.kind === 'messages' && element.names.length > 1 ? `(${elementType})` : elementType}[] = [];`,
  );
  writer.write(`for (let index = 0; index < ${announced}; index++)`).block(() => {
    writer.writeLine(`const line = reader.line(${name});`);
    if (element.kind === 'messages') {
      writer.writeLine('reader.enter();');
      writer.writeLine(`const item = readElement${element.id}(reader, line);`);
      writer.writeLine('reader.leave();');
      writer.writeLine('if (item === null) throw fail.unknownLine(line);');
      writer.writeLine(`${local}.push(item);`);
      return;
    }
    const context = textFieldContext(message.name, item.field.name);
    writer.writeLine(`const lengthLine = ${element.constant}.exec(line);`);
    writer.writeLine(
      `if (lengthLine === null) throw fail.invalid({ ${failureSite(message.name, item.field.name)}, expected: ${quote(`a length line '${element.source}'`)}, got: previewText(line) });`,
    );
    writer.writeLine(`const length = parseTextInt(lengthLine[1]!, 0, ${MAX_ANNOUNCED}, ${context});`);
    writer.writeLine(`checkTextLength(length, ${element.maxBytes}, ${context});`);
    writer.writeLine(
      `${local}.push(reader.${element.value === 'string' ? 'text' : 'bytes'}(length, ${name}, ${field}));`,
    );
  });
  return local;
}

function writeWrite(
  model: ProtocolModel,
  message: MessageModel,
  parts: readonly LinePartIR[],
  following: readonly Following[],
  out: CodecWriter,
): void {
  out.functions.push({
    name: `write${message.name}`,
    exported: false,
    docs: `Writes a ${message.name}: its line, then what follows it.`,
    parameters: [
      { name: 'writer', type: 'TextWriter' },
      { name: 'message', type: message.fieldsName },
    ],
    returnType: 'void',
    body: (writer) => {
      const computed = new Map<string, string>();
      const locals = new Map<string, string>();
      for (const item of following) {
        const context = textFieldContext(message.name, item.field.name);
        const value = access('message', item.field.name);
        if (item.kind === 'until' || item.kind === 'lookup') {
          locals.set(item.field.name, writeUntilValue(message, item, writer));
          continue;
        }
        const local = camelCase(`${item.field.name} ${item.kind === 'sized' ? 'bytes' : 'items'}`);
        if (item.kind === 'sized') {
          writer.writeLine(`const ${local} = ${item.value === 'string' ? `utf8Encode(${value})` : value};`);
          writer.writeLine(`checkTextLength(${local}.length, ${item.maxBytes}, ${context});`);
        } else {
          writer.writeLine(`const ${local} = ${value};`);
          writer.writeLine(`checkTextCount(${local}.length, ${item.maxCount}, ${context});`);
        }
        computed.set(item.part, `String(${local}.length)`);
        locals.set(item.field.name, local);
      }
      const pieces = writeLinePieces(model, message, parts, writer, computed);
      writer.writeLine(`writer.line(${pieces.length === 0 ? "''" : pieces.join(' + ')});`);
      for (const item of following) {
        const local = locals.get(item.field.name)!;
        if (item.kind === 'sized') {
          writer.writeLine(`writer.bytes(${local});`);
          continue;
        }
        if (item.kind === 'until' || item.kind === 'lookup') {
          writeUntilLines(item, local, writer);
          continue;
        }
        const element = item.element;
        writer.write(`for (const item of ${local})`).block(() => {
          if (element.kind === 'messages') {
            writer.writeLine(`writeElement${element.id}(writer, item);`);
            return;
          }
          const context = textFieldContext(message.name, item.field.name);
          writer.writeLine(`const bytes = ${element.value === 'string' ? 'utf8Encode(item)' : 'item'};`);
          writer.writeLine(`checkTextLength(bytes.length, ${element.maxBytes}, ${context});`);
          const line = element.line
            .map((part) => (part.kind === 'literal' ? quote(part.text) : 'String(bytes.length)'))
            .join(' + ');
          writer.writeLine(`writer.line(${line});`);
          writer.writeLine('writer.bytes(bytes);');
        });
      }
    },
  });
}

function writeFrameFunctions(message: MessageModel, out: CodecWriter): void {
  const name = quote(message.name);
  out.functions.push({
    name: `encode${message.name}`,
    exported: true,
    docs: `Encodes a ${message.name} as a whole frame: its line and what follows it, each with its delimiter.`,
    parameters: [{ name: 'message', type: message.fieldsName }],
    returnType: 'Uint8Array',
    body: (writer) => {
      writer.writeLine(`const writer = new TextWriter(DELIMITER_BYTES, framing.maxFrameBytes, ${name});`);
      writer.writeLine(`write${message.name}(writer, message);`);
      writer.writeLine('return writer.finish();');
    },
  });
  out.functions.push({
    name: `decode${message.name}`,
    exported: true,
    docs: `Decodes a ${message.name} frame as the frame decoder delivers it (every delimiter included).`,
    parameters: [{ name: 'frame', type: 'Uint8Array' }],
    returnType: message.name,
    body: (writer) => {
      writer.writeLine('const reader = new TextReader(frame, DELIMITER_BYTES, PROTOCOL.name);');
      writer.writeLine(`const text = reader.line(${name});`);
      writer.writeLine(`const message = read${message.name}(reader, text);`);
      writer.writeLine('if (message === null) throw fail.unknownLine(text);');
      writer.writeLine(`reader.finish(${name});`);
      writer.writeLine('return message;');
    },
  });
}

function writeElementFunctions(element: Extract<ElementKind, { kind: 'messages' }>, out: CodecWriter): void {
  const union = element.names.join(' | ');
  out.functions.push({
    name: `readElement${element.id}`,
    exported: false,
    docs: `Reads an element that is one of ${element.names.join(', ')}.`,
    parameters: [
      { name: 'reader', type: 'TextReader' },
      { name: 'line', type: 'string' },
    ],
    returnType: `${union} | null`,
    body: (writer) => {
      writer.writeLine(`return ${tryEach(element.names, (name) => `read${name}(reader, line)`)};`);
    },
  });
  out.functions.push({
    name: `writeElement${element.id}`,
    exported: false,
    parameters: [
      { name: 'writer', type: 'TextWriter' },
      { name: 'item', type: union },
    ],
    returnType: 'void',
    body: (writer) => {
      writer.write('switch (item.type)').block(() => {
        for (const name of element.names) {
          writer.writeLine(`case ${quote(name)}:`);
          writer.indent().write(`return write${name}(writer, item);`).newLine();
        }
      });
    },
  });
}

/** decodeClientMessage / decodeServerMessage of a protocol whose frames are several lines. */
export function writeFollowingUnionDecode(messages: readonly MessageModel[], writer: CodeBlockWriter): void {
  if (messages.length === 0) {
    writer.writeLine('const reader = new TextReader(frame, DELIMITER_BYTES, PROTOCOL.name);');
    writer.writeLine('throw fail.unknownLine(reader.line(undefined));');
    return;
  }
  writer.writeLine('const reader = new TextReader(frame, DELIMITER_BYTES, PROTOCOL.name);');
  writer.writeLine('const text = reader.line(undefined);');
  writer.writeLine(
    `const message = ${tryEach(
      messages.map((m) => m.name),
      (name) => `read${name}(reader, text)`,
    )};`,
  );
  writer.writeLine('if (message === null) throw fail.unknownLine(text);');
  writer.writeLine('reader.finish(message.type);');
  writer.writeLine('return message;');
}

/** The local holding what an until list or a lookup's bytes hold, after the checks writing them needs. */
function writeUntilValue(
  message: MessageModel,
  item: Extract<Following, { kind: 'until' | 'lookup' }>,
  writer: CodeBlockWriter,
): string {
  const context = textFieldContext(message.name, item.field.name);
  const value = access('message', item.field.name);
  if (item.kind === 'until') {
    const local = camelCase(`${item.field.name} items`);
    writer.writeLine(`const ${local} = ${value};`);
    writer.writeLine(`checkTextCount(${local}.length, ${item.maxCount}, ${context});`);
    return local;
  }
  const local = camelCase(`${item.field.name} bytes`);
  writer.writeLine(`const ${local} = ${item.value === 'string' ? `utf8Encode(${value})` : value};`);
  writer.writeLine(`checkTextLength(${local}.length, ${item.maxBytes}, ${context});`);
  const announced = camelCase(`${item.field.name} announced`);
  const list = camelCase(`${item.list.field.name} items`);
  // A length line with no bytes writes the head alone (HTTP's reply to HEAD, or a body the caller streams after
  // it), so it may announce any length: the peer's decoder checks its own limit.
  writer.writeLine(
    `const ${announced} = ${lookupFunction(message, item)}(${list}, ${local}.length === 0 ? Number.MAX_SAFE_INTEGER : ${item.maxBytes});`,
  );
  writer.write(`if (${announced} >= 0 && ${local}.length > 0 && ${announced} !== ${local}.length)`).block(() => {
    writer.writeLine(
      `throw fail.invalid({ ${failureSite(message.name, item.field.name)}, expected: \`\${${announced}} bytes, as its ${item.lookup.where.equals} says\`, got: \`\${${local}.length} bytes\` });`,
    );
  });
  const { where } = item.lookup;
  // The caller writes the length line: decode(encode(x)) is then x, and the encoder only checks it.
  writer.write(`if (${announced} < 0 && ${local}.length > 0)`).block(() => {
    writer.writeLine(
      `throw fail.invalid({ ${failureSite(message.name, item.list.field.name)}, expected: ${quote(`a line whose ${where.field} is ${where.equals}, since ${item.field.name} is not empty`)}, got: 'none' });`,
    );
  });
  return local;
}

/** Writes an until list's lines and its end line, or a lookup's bytes (which follow that end line). */
function writeUntilLines(
  item: Extract<Following, { kind: 'until' | 'lookup' }>,
  local: string,
  writer: CodeBlockWriter,
): void {
  if (item.kind === 'lookup') {
    writer.writeLine(`writer.bareBytes(${local});`);
    return;
  }
  const owner = item.element.owner;
  writer.writeLine(`for (const item of ${local}) writer.line(${lineStructWriter(owner)}(item, ${quote(item.end)}));`);
  writer.writeLine(`writer.line(${quote(item.end)});`);
}

/** Reads an until list (its lines up to the end line) or a lookup's bytes; returns the local. */
function writeReadUntil(
  message: MessageModel,
  item: Extract<Following, { kind: 'until' | 'lookup' }>,
  writer: CodeBlockWriter,
): string {
  const name = quote(message.name);
  const local = item.field.name;
  if (item.kind === 'lookup') {
    const announced = camelCase(`${item.field.name} announced`);
    writer.writeLine(
      `const ${announced} = ${lookupFunction(message, item)}(${item.list.field.name}, ${item.maxBytes});`,
    );
    const read = `reader.bareBytes(Math.max(${announced}, 0), ${name}, ${quote(item.field.name)})`;
    writer.writeLine(
      `const ${local} = ${item.value === 'string' ? `utf8Decode(${read}, ${quote(item.field.name)})` : read};`,
    );
    return local;
  }
  const owner = item.element.owner;
  const context = textFieldContext(message.name, item.field.name);
  writer.writeLine(`const ${local}: ${tsType(owner.struct)}[] = [];`);
  writer
    .write(`for (let line = reader.line(${name}); line !== ${quote(item.end)}; line = reader.line(${name}))`)
    .block(() => {
      writer.writeLine(`checkTextCount(${local}.length + 1, ${item.maxCount}, ${context});`);
      writer.writeLine(`const item = ${lineStructMatcher(owner)}(line);`);
      writer.writeLine(
        `if (item === null) throw fail.invalid({ ${failureSite(message.name, item.field.name)}, expected: ${quote(`a line '${owner.ir.line?.source ?? ''}' or ${JSON.stringify(item.end)}`)}, got: previewText(line) });`,
      );
      writer.writeLine(`${local}.push(item);`);
    });
  return local;
}

function lineStructMatcher(owner: LineOwner): string {
  return `match${owner.name}Line`;
}

function lineStructWriter(owner: LineOwner): string {
  return `write${owner.name}Line`;
}

function lookupFunction(message: MessageModel, item: Extract<Following, { kind: 'lookup' }>): string {
  return camelCase(`${message.name} ${item.field.name} length`);
}

/**
 * A line struct's matcher (its line to a value, null when the line is not
 * one) and writer (a value to its line, checked like a message's parts);
 * returns the name of the RegExp constant that matches its line.
 */
function writeLineStructFunctions(model: ProtocolModel, owner: LineStruct, out: CodecWriter): string {
  const parts = owner.struct.line?.parts ?? [];
  const constant = writeLineConstants(owner, parts, out);
  const type = tsType(owner.struct);
  out.functions.push({
    name: lineStructMatcher(owner),
    exported: false,
    docs: `Reads a \`${owner.struct.line?.source ?? ''}\` line; null when the line is not one.`,
    parameters: [{ name: 'text', type: 'string' }],
    returnType: `${type} | null`,
    body: (writer) => {
      writer.writeLine(`const match = ${constant}.exec(text);`);
      writer.writeLine('if (match === null) return null;');
      const values = writePartValues(model, owner, parts, writer);
      const properties = owner.struct.fields.map(
        (field) => `${propertyKey(field.name)}: ${values.get(field.name) ?? 'undefined'}`,
      );
      writer.writeLine(`return { ${properties.join(', ')} };`);
    },
  });
  out.functions.push({
    name: lineStructWriter(owner),
    exported: false,
    docs: `The \`${owner.struct.line?.source ?? ''}\` line of \`item\`; it must not be the line \`end\` that ends its list.`,
    parameters: [
      { name: 'item', type },
      { name: 'end', type: 'string' },
    ],
    returnType: 'string',
    body: (writer) => {
      const pieces = writeLinePieces(model, owner, parts, writer, new Map(), 'item');
      writer.writeLine(`const line = ${pieces.length === 0 ? "''" : pieces.join(' + ')};`);
      writer.writeLine(
        `if (line === end) throw fail.invalid({ ${failureSite(owner.name, 'line')}, expected: 'a line other than the one ending its list', got: previewText(line) });`,
      );
      writer.writeLine('return line;');
    },
  });
  return constant;
}

/**
 * What follows a line of an until list: nothing, or, for the line a lookup
 * reads (HTTP's Content-Length), the bytes after the list's end line.
 */
function writeLineElementFollowing(
  element: Extract<ElementKind, { kind: 'line' }>,
  constant: string,
  out: CodecWriter,
): void {
  out.functions.push({
    name: `followingElement${element.id}`,
    exported: false,
    parameters: [{ name: 'line', type: 'string' }],
    returnType: 'readonly FollowingStep[] | null',
    body: (writer) => {
      if (element.lookups.length === 0) {
        writer.writeLine(`return ${constant}.test(line) ? LINE_ONLY : null;`);
        return;
      }
      writer.writeLine(`const match = ${constant}.exec(line);`);
      writer.writeLine('if (match === null) return null;');
      for (const lookup of element.lookups) {
        writer.writeLine(
          `if (${whereTest(lookup.lookup, `match[${lookup.whereGroup}]!`)}) return [{ afterList: parseTextLength(match[${lookup.valueGroup}]!, ${lookup.maxBytes}, ${textFieldContext(lookup.message, lookup.field)}) }];`,
        );
      }
      writer.writeLine('return LINE_ONLY;');
    },
  });
}

/** Whether `text` is the text a lookup compares with. */
function whereTest(lookup: LookupIR, text: string): string {
  if (!lookup.ignoreCase) return `${text} === ${quote(lookup.where.equals)}`;
  return `equalsIgnoringAsciiCase(${text}, ${quote(lookup.where.equals.toLowerCase())})`;
}

/** A lookup field's length function: what its list's lines announce, -1 when none does, an error when two do. */
function writeLookupFunction(
  message: MessageModel,
  item: Extract<Following, { kind: 'lookup' }>,
  out: CodecWriter,
): void {
  const { lookup } = item;
  const element = item.list.element;
  out.functions.push({
    name: lookupFunction(message, item),
    exported: false,
    docs: `The length of ${message.name}.${item.field.name} that its ${item.list.field.name} give in the one whose ${lookup.where.field} is ${lookup.where.equals}; -1 when none does.`,
    parameters: [
      { name: 'items', type: `readonly ${tsType(element.owner.struct)}[]` },
      { name: 'maxBytes', type: 'number' },
    ],
    returnType: 'number',
    body: (writer) => {
      writer.writeLine('let length = -1;');
      writer.write('for (const item of items)').block(() => {
        writer.writeLine(`if (!(${whereTest(lookup, access('item', lookup.where.field))})) continue;`);
        writer.writeLine(
          `if (length >= 0) throw fail.invalid({ ${failureSite(message.name, item.list.field.name)}, expected: ${quote(`one line whose ${lookup.where.field} is ${lookup.where.equals}`)}, got: 'two' });`,
        );
        writer.writeLine(
          `length = parseTextLength(${access('item', lookup.value)}, maxBytes, ${textFieldContext(message.name, item.field.name)});`,
        );
      });
      writer.writeLine('return length;');
    },
  });
}
