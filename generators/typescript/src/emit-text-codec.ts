import type { DelimitedFramingIR, FieldIR, LinePartIR, LineTemplateIR } from '@sockspec/spec';
import type { CodeBlockWriter } from 'ts-morph';
import { UnsupportedFeatureError } from './define.js';
import { followsLines, writeFollowingCodec } from './emit-text-following.js';
import type { MessageModel, ProtocolModel } from './model.js';
import { access, constantCase, propertyKey, quote } from './names.js';
import { decodeTypedPart, encodeTypedPart, isPartType, templatePattern } from './text-parts.js';

export function textFraming(model: ProtocolModel): DelimitedFramingIR {
  const { ir } = model;
  if (ir.framing.kind !== 'delimited') {
    throw new UnsupportedFeatureError(ir.sourceFile, 'framing', `a text protocol with ${ir.framing.kind} framing`);
  }
  return ir.framing;
}

export function lineOf(model: ProtocolModel, message: MessageModel): readonly LinePartIR[] {
  if (message.ir.line === null) {
    throw new UnsupportedFeatureError(model.ir.sourceFile, `message ${message.name}`, 'a text message without a line');
  }
  const parts = new Set(message.ir.line.parts.flatMap((part) => (part.kind === 'field' ? [part.name] : [])));
  for (const field of message.ir.fields) {
    const { type } = field;
    if (!parts.has(field.name) || isPartType(field)) continue;
    const what = `a ${type.kind}`;
    throw new UnsupportedFeatureError(
      model.ir.sourceFile,
      `message ${message.name}, field ${field.name}`,
      `${what} in a line`,
    );
  }
  return message.ir.line.parts;
}

/**
 * What a line template belongs to: a message, or a struct written as one
 * line (HTTP's header); `name` is the one errors and constants use.
 */
export interface LineOwner {
  readonly name: string;
  readonly ir: { readonly fields: readonly FieldIR[]; readonly line: LineTemplateIR | null };
}

export interface CodecWriter {
  readonly constants: { name: string; type: string; initializer: string; docs?: string }[];
  readonly functions: {
    name: string;
    exported: boolean;
    docs?: string;
    parameters: { name: string; type: string }[];
    returnType: string;
    body: (writer: CodeBlockWriter) => void;
  }[];
}

export function writeTextCodec(model: ProtocolModel, out: CodecWriter): void {
  const framing = textFraming(model);
  const delimiter = Buffer.from(framing.delimiter).toString('utf8');
  if (Buffer.from(delimiter, 'utf8').compare(Buffer.from(framing.delimiter)) !== 0) {
    throw new UnsupportedFeatureError(model.ir.sourceFile, 'framing', 'a text protocol whose delimiter is not UTF-8');
  }
  out.constants.push({
    name: 'DELIMITER',
    type: 'string',
    initializer: quote(delimiter),
    docs: 'Ends every line on the wire; no field may contain it.',
  });
  if (followsLines(model)) {
    writeCheckText(out);
    writeFollowingCodec(model, out);
    return;
  }
  out.constants.push({
    name: 'DELIMITER_BYTES',
    type: 'Uint8Array',
    initializer: `new Uint8Array([${framing.delimiter.join(', ')}])`,
    docs: 'DELIMITER as it goes on the wire.',
  });
  if (framing.stripCarriageReturn) {
    out.constants.push({
      name: 'CR_DELIMITER_BYTES',
      type: 'Uint8Array',
      initializer: `new Uint8Array([13, ${framing.delimiter.join(', ')}])`,
      docs: 'A carriage return and DELIMITER: after a line that ends in a carriage return, which the peer drops one of.',
    });
  }

  for (const message of model.messages) {
    const parts = lineOf(model, message);
    // A line that is one string part matches every line whole: no RegExp is made or run for it.
    let constant: string | null = null;
    if (isWholeLineText(parts, message.ir.fields)) writePatternConstants(message, out);
    else constant = writeLineConstants(message, parts, out);
    writeMatch(model, message, parts, constant, out);
    writeEncode(model, message, parts, out);
    out.functions.push({
      name: `decode${message.name}`,
      exported: true,
      docs: `Decodes a ${message.name} line (a frame as the frame decoder delivers it).`,
      parameters: [{ name: 'frame', type: 'Uint8Array' }],
      returnType: message.name,
      body: (writer) => {
        writer.writeLine(`const text = lineText(frame);`);
        writer.writeLine(`const message = match${message.name}(text);`);
        writer.writeLine('if (message === null) throw fail.unknownLine(text);');
        writer.writeLine('return message;');
      },
    });
  }

  out.functions.push({
    name: 'lineText',
    exported: false,
    parameters: [{ name: 'frame', type: 'Uint8Array' }],
    returnType: 'string',
    body: (writer) => {
      if (framing.keepDelimiter) {
        // Frames keep their delimiter here; templates describe the line without it.
        writer.writeLine(`const text = utf8Decode(frame, 'line');`);
        writer.writeLine('return text.endsWith(DELIMITER) ? text.slice(0, text.length - DELIMITER.length) : text;');
      } else {
        writer.writeLine(`return utf8Decode(frame, 'line');`);
      }
    },
  });

  out.functions.push({
    name: 'frameLine',
    exported: false,
    docs: 'Encodes one line and its delimiter, refusing lines longer than maxFrameBytes before encoding them.',
    parameters: [
      { name: 'line', type: 'string' },
      { name: 'message', type: 'string' },
    ],
    returnType: 'Uint8Array',
    body: (writer) => {
      // A UTF-16 code unit never encodes to fewer than one byte, so this rejects oversized lines without encoding them.
      writer.write(`if (line.length + DELIMITER.length > framing.maxFrameBytes)`).block(() => {
        writer.writeLine(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the text is a template literal of generated code
          'throw new FrameTooLargeError({ limit: framing.maxFrameBytes, actual: null, atLeast: line.length + DELIMITER.length, detail: `encoding ${message}` });',
        );
      });
      if (framing.stripCarriageReturn) {
        // The peer's frame decoder drops one carriage return before the delimiter, so a line that ends in one
        // (a peer sent `text\r\r\n`) gets a second: it survives, and every line the decoder accepts can be sent back.
        writer.writeLine("const frame = utf8Frame(line, line.endsWith('\\r') ? CR_DELIMITER_BYTES : DELIMITER_BYTES);");
      } else {
        writer.writeLine('const frame = utf8Frame(line, DELIMITER_BYTES);');
      }
      writer.write('if (frame.length > framing.maxFrameBytes)').block(() => {
        writer.writeLine(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the text is a template literal of generated code
          'throw new FrameTooLargeError({ limit: framing.maxFrameBytes, actual: frame.length, atLeast: frame.length, detail: `encoding ${message}` });',
        );
      });
      writer.writeLine('return frame;');
    },
  });

  writeCheckText(out);
}

function writeCheckText(out: CodecWriter): void {
  out.functions.push({
    name: 'checkText',
    exported: false,
    docs: 'A field value must not contain the delimiter, nor the literal text that ends it in the template, or the line would not decode to the same message.',
    parameters: [
      { name: 'value', type: 'string' },
      { name: 'message', type: 'string' },
      { name: 'field', type: 'string' },
      { name: 'next', type: 'string' },
    ],
    returnType: 'void',
    body: (writer) => {
      writer.write(`if (value.includes(DELIMITER) || (next !== '' && value.includes(next)))`).block(() => {
        writer.writeLine(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the text is a template literal of generated code
          "const expected = next === '' ? `text without ${JSON.stringify(DELIMITER)}` : `text without ${JSON.stringify(DELIMITER)} or ${JSON.stringify(next)}`;",
        );
        writer.writeLine('throw fail.invalid({ message, field, expected, got: previewText(value) });');
      });
    },
  });
}

/** Whether a string field's maxBytes is tighter than the line itself (only then is it checked on its own). */
function limitedBelowLine(model: ProtocolModel, maxBytes: number): boolean {
  const framing = textFraming(model);
  return maxBytes < framing.maxFrameBytes - framing.delimiter.length;
}

/**
 * A field with a maxBytes below the line's room is checked on decode and on
 * encode alike, so that the decoder accepts no request whose declared reply
 * could not be encoded (check computes the maxBytes that guarantees it).
 */
function writeSizeCheck(
  model: ProtocolModel,
  message: LineOwner,
  field: string,
  maxBytes: number,
  value: string,
  writer: CodeBlockWriter,
): void {
  if (!limitedBelowLine(model, maxBytes)) return;
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only a value that might be too long is measured.
  writer.writeLine(
    `if (${value}.length * 3 > ${maxBytes} && utf8ByteLength(${value}) > ${maxBytes}) throw fail.tooLarge({ message: ${quote(message.name)}, field: ${quote(field)}, limit: ${maxBytes}, actual: utf8ByteLength(${value}) });`,
  );
}

/**
 * Reads the parts of a matched line (`match[1]`, `match[2]`, …) into
 * values, emitting the checks each needs; returns field name → expression.
 */
export function writePartValues(
  model: ProtocolModel,
  message: LineOwner,
  parts: readonly LinePartIR[],
  writer: CodeBlockWriter,
): Map<string, string> {
  const fields = message.ir.fields;
  let group = 0;
  const values = new Map<string, string>();
  for (const part of parts) {
    if (part.kind !== 'field') continue;
    group += 1;
    const field = fields.find((candidate) => candidate.name === part.name);
    const raw = `match[${group}]!`;
    const typed = field === undefined || field.computed ? null : decodeTypedPart(message.name, field, raw, writer);
    if (typed !== null) {
      values.set(part.name, typed);
    } else if (
      field?.type.kind === 'string' &&
      (field.type.pattern !== null || limitedBelowLine(model, field.type.maxBytes))
    ) {
      const local = `value${group}`;
      writer.writeLine(`const ${local} = ${raw};`);
      writeSizeCheck(model, message, field.name, field.type.maxBytes, local, writer);
      if (field.type.pattern !== null) {
        const pattern = `${constantCase(message.name)}_${constantCase(field.name)}_PATTERN`;
        writer.writeLine(
          `if (!${pattern}.test(${local})) throw fail.invalid({ message: ${quote(message.name)}, field: ${quote(part.name)}, expected: ${quote(`a match for /${field.type.kind === 'string' ? field.type.pattern : ''}/`)}, got: previewText(${local}) });`,
        );
      }
      values.set(part.name, local);
    } else {
      values.set(part.name, raw);
    }
  }
  return values;
}

/**
 * The pieces of a line's text, emitting the checks each value needs;
 * `computed` gives the text of parts the encoder fills in (lengths, counts).
 */
export function writeLinePieces(
  model: ProtocolModel,
  message: LineOwner,
  parts: readonly LinePartIR[],
  writer: CodeBlockWriter,
  computed: ReadonlyMap<string, string> = new Map(),
  variable = 'message',
): string[] {
  const fields = message.ir.fields;
  const pieces: string[] = [];
  parts.forEach((part, index) => {
    if (part.kind === 'literal') {
      pieces.push(quote(part.text));
      return;
    }
    const filled = computed.get(part.name);
    if (filled !== undefined) {
      pieces.push(filled);
      return;
    }
    const field = fields.find((candidate) => candidate.name === part.name);
    const value = access(variable, part.name);
    const typed = field === undefined ? null : encodeTypedPart(message.name, field, value);
    if (typed !== null) {
      pieces.push(typed);
      return;
    }
    const next = parts[index + 1];
    const nextText = next?.kind === 'literal' ? next.text : '';
    writer.writeLine(`checkText(${value}, ${quote(message.name)}, ${quote(part.name)}, ${quote(nextText)});`);
    if (field?.type.kind === 'string') writeSizeCheck(model, message, field.name, field.type.maxBytes, value, writer);
    if (field?.type.kind === 'string' && field.type.pattern !== null) {
      const pattern = `${constantCase(message.name)}_${constantCase(field.name)}_PATTERN`;
      writer.writeLine(
        `if (!${pattern}.test(${value})) throw fail.invalid({ message: ${quote(message.name)}, field: ${quote(part.name)}, expected: ${quote(`a match for /${field.type.kind === 'string' ? field.type.pattern : ''}/`)}, got: previewText(${value}) });`,
      );
    }
    pieces.push(value);
  });
  return pieces;
}

/** Whether a line is nothing but one string part, which every line matches whole (echo's `{text}`). */
function isWholeLineText(parts: readonly LinePartIR[], fields: readonly FieldIR[]): boolean {
  const only = parts.length === 1 ? parts[0]! : null;
  if (only === null || only.kind !== 'field') return false;
  const field = fields.find((candidate) => candidate.name === only.name);
  return field !== undefined && !field.computed && field.type.kind === 'string';
}

/** The RegExp constants of a message: its line, and the patterns its string parts must match. */
export function writeLineConstants(message: LineOwner, parts: readonly LinePartIR[], out: CodecWriter): string {
  const constant = `${constantCase(message.name)}_LINE`;
  out.constants.push({
    name: constant,
    type: 'RegExp',
    initializer: `/${templatePattern(parts, message.ir.fields)}/`,
    docs: `Matches a ${message.name} line: \`${message.ir.line?.source.replace(/`/g, "'")}\`.`,
  });
  writePatternConstants(message, out);
  return constant;
}

/** The patterns a message's string parts must match. */
function writePatternConstants(message: LineOwner, out: CodecWriter): void {
  for (const field of message.ir.fields) {
    if (field.type.kind === 'string' && field.type.pattern !== null) {
      out.constants.push({
        name: `${constantCase(message.name)}_${constantCase(field.name)}_PATTERN`,
        type: 'RegExp',
        initializer: `new RegExp(${quote(field.type.pattern)}, 'u')`,
      });
    }
  }
}

function writeMatch(
  model: ProtocolModel,
  message: MessageModel,
  parts: readonly LinePartIR[],
  /** The line's RegExp, or null when every line matches (see isWholeLineText). */
  constant: string | null,
  out: CodecWriter,
): void {
  const fields = message.ir.fields;
  out.functions.push({
    name: `match${message.name}`,
    exported: false,
    parameters: [{ name: 'text', type: 'string' }],
    returnType: `${message.name} | null`,
    body: (writer) => {
      if (constant === null) {
        // The template is one text part: every line matches, and the part is the whole line.
        writer.writeLine('const match = [text, text] as const;');
      } else {
        writer.writeLine(`const match = ${constant}.exec(text);`);
        writer.writeLine('if (match === null) return null;');
      }
      const values = writePartValues(model, message, parts, writer);
      const properties = [`type: ${quote(message.name)}`];
      for (const field of fields) {
        const value = values.get(field.name);
        if (value === undefined) {
          throw new UnsupportedFeatureError(
            model.ir.sourceFile,
            `message ${message.name}`,
            `field ${field.name} that is not part of the line`,
          );
        }
        properties.push(`${propertyKey(field.name)}: ${value}`);
      }
      writer.writeLine(`return { ${properties.join(', ')} };`);
    },
  });
}

function writeEncode(
  model: ProtocolModel,
  message: MessageModel,
  parts: readonly LinePartIR[],
  out: CodecWriter,
): void {
  out.functions.push({
    name: `encode${message.name}`,
    exported: true,
    docs: `Encodes a ${message.name} line with its delimiter: the whole frame.`,
    parameters: [{ name: 'message', type: message.fieldsName }],
    returnType: 'Uint8Array',
    body: (writer) => {
      const pieces = writeLinePieces(model, message, parts, writer);
      writer.writeLine(`return frameLine(${pieces.length === 0 ? "''" : pieces.join(' + ')}, ${quote(message.name)});`);
    },
  });
}
