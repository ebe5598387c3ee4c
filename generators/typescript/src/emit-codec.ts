import type { FramingIR } from '@sockspec/spec';
import { type SourceFile, VariableDeclarationKind } from 'ts-morph';
import { discriminatorPosition, writeBinaryCodec } from './emit-binary-codec.js';
import { type CodecWriter, writeTextCodec } from './emit-text-codec.js';
import { followsLines, writeFollowingUnionDecode } from './emit-text-following.js';
import { bitMask } from './layout.js';
import { hasDefaults, type MessageModel, type ProtocolModel } from './model.js';
import { quote } from './names.js';

/** The framing as the runtime's FramingConfig: the IR minus what only docs need. */
export function framingLiteral(framing: FramingIR, following = false): string {
  switch (framing.kind) {
    case 'delimited':
      return `{ kind: 'delimited', delimiter: [${framing.delimiter.join(', ')}], keepDelimiter: ${framing.keepDelimiter}, stripCarriageReturn: ${framing.stripCarriageReturn}, maxFrameBytes: ${framing.maxFrameBytes}${following ? ', following' : ''} }`;
    case 'length-prefixed':
      return `{ kind: 'length-prefixed', lengthOffset: ${framing.lengthOffset}, lengthBytes: ${framing.lengthBytes}, lengthEndian: '${framing.lengthEndian}', lengthAdjustment: ${framing.lengthAdjustment}, ${framing.lengthVarint === true ? 'lengthVarint: true, ' : ''}maxFrameBytes: ${framing.maxFrameBytes} }`;
    case 'fixed':
      return `{ kind: 'fixed', frameBytes: ${framing.frameBytes}, maxFrameBytes: ${framing.maxFrameBytes} }`;
    case 'raw':
    case 'datagram':
      return `{ kind: '${framing.kind}', maxFrameBytes: ${framing.maxFrameBytes} }`;
  }
}

export function emitCodec(file: SourceFile, model: ProtocolModel): void {
  const out: CodecWriter = { constants: [], functions: [] };
  const following = model.ir.encoding === 'text' && followsLines(model);
  if (model.ir.encoding === 'text') writeTextCodec(model, out);
  else writeBinaryCodec(model, out);
  for (const side of ['Client', 'Server'] as const) writeUnions(model, side, out);

  // Function bodies are written first because they decide which constants and imports they need.
  file.addFunctions(
    out.functions.map((fn) => ({
      name: fn.name,
      isExported: fn.exported,
      ...(fn.docs === undefined ? {} : { docs: [fn.docs] }),
      parameters: fn.parameters,
      returnType: fn.returnType,
      statements: fn.body,
    })),
  );
  dropUnusedViews(file);
  file.insertVariableStatements(0, [
    {
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: ['How frames are cut from the byte stream; pass to the frame decoder.'],
      declarations: [
        { name: 'framing', type: 'FramingConfig', initializer: framingLiteral(model.ir.framing, following) },
      ],
    },
    {
      declarationKind: VariableDeclarationKind.Const,
      docs: ['Builds the errors this codec throws; only a failing check calls it.'],
      declarations: [{ name: 'fail', type: 'CodecFailures', initializer: 'codecFailures(PROTOCOL.name)' }],
    },
    ...out.constants.map((constant) => ({
      declarationKind: VariableDeclarationKind.Const,
      ...(constant.docs === undefined ? {} : { docs: [constant.docs] }),
      declarations: [{ name: constant.name, type: constant.type, initializer: constant.initializer }],
    })),
  ]);
}

function writeUnions(model: ProtocolModel, side: 'Client' | 'Server', out: CodecWriter): void {
  const messages: readonly MessageModel[] = side === 'Client' ? model.clientMessages : model.serverMessages;
  const union = `${side}Message`;
  const sender = side.toLowerCase();
  out.functions.push({
    name: `encode${union}`,
    exported: true,
    docs: `Encodes any message a ${sender} sends as a whole frame.`,
    // With defaults, what a caller sends may leave fields out that a decoded message always has.
    parameters: [
      {
        name: 'message',
        type: messages.some(hasDefaults)
          ? messages.map((message) => `(${message.fieldsName} & { readonly type: ${quote(message.name)} })`).join(' | ')
          : union,
      },
    ],
    returnType: 'Uint8Array',
    body: (writer) => {
      if (messages.length === 0) {
        writer.writeLine(
          `throw fail.unknownLine(\`no ${sender} messages: \${String((message as { type?: unknown }).type)}\`);`,
        );
        return;
      }
      writer.write('switch (message.type)').block(() => {
        for (const message of messages) {
          writer.writeLine(`case ${quote(message.name)}:`);
          writer.indent().write(`return encode${message.name}(message);`).newLine();
        }
      });
    },
  });
  out.functions.push({
    name: `decode${union}`,
    exported: true,
    docs: `Decodes a frame a ${sender} sent${model.ir.encoding === 'text' ? ', trying its line templates in declaration order' : ''}.`,
    parameters: [{ name: 'frame', type: 'Uint8Array' }],
    returnType: union,
    body: (writer) => {
      if (model.ir.encoding === 'text' && followsLines(model)) {
        writeFollowingUnionDecode(messages, writer);
        return;
      }
      if (model.ir.encoding === 'text') {
        writer.writeLine('const text = lineText(frame);');
        if (messages.length === 0) {
          writer.writeLine('throw fail.unknownLine(text);');
          return;
        }
        writer.writeLine(`const message = ${messages.map((message) => `match${message.name}(text)`).join(' ?? ')};`);
        writer.writeLine('if (message === null) throw fail.unknownLine(text);');
        writer.writeLine('return message;');
        return;
      }
      const discriminator = discriminatorPosition(model);
      if (discriminator === null || messages.length === 0) {
        const only = messages[0];
        if (only === undefined) {
          writer.writeLine(
            `throw fail.unknownLine(\`a frame of \${frame.length} bytes; ${sender}s send no messages\`);`,
          );
        } else {
          writer.writeLine(`return decode${only.name}(frame);`);
        }
        return;
      }
      const { offset, type, bits } = discriminator;
      const size = type.bits / 8;
      const name = `${type.signed ? 'Int' : 'Uint'}${type.bits}`;
      const accessor = type.bits === 64 ? `Big${name}` : name;
      const little = type.bits > 8 && type.endian === 'little' ? ', true' : '';
      writer.writeLine(
        `if (frame.length < ${offset + size}) throw fail.truncated({ field: ${quote(model.ir.discriminator ?? '')}, needed: ${size}, offset: ${offset}, frameBytes: frame.length });`,
      );
      // An unsigned byte is read off the frame: a DataView costs 40 ns to make, once per frame here.
      const read =
        type.bits === 8 && !type.signed
          ? `frame[${offset}]!`
          : `new DataView(frame.buffer, frame.byteOffset, frame.byteLength).get${accessor}(${offset}${little})`;
      writer.writeLine(
        bits === null ? `const code = ${read};` : `const code = (${read} >>> ${bits.shift}) & ${bitMask(bits.width)};`,
      );
      writer.write('switch (code)').block(() => {
        for (const message of messages) {
          writer.writeLine(`case ${message.ir.code}${type.bits === 64 ? 'n' : ''}:`);
          writer.indent().write(`return decode${message.name}(frame);`).newLine();
        }
        writer.writeLine('default:');
        writer
          .indent()
          .write(`throw fail.unknownCode(code, ${quote(model.ir.discriminator ?? '')});`)
          .newLine();
      });
    },
  });
}

/**
 * Binary codecs open a DataView on the frame before they know whether a
 * field will read or write through it; a function that never did (a frame
 * that is one `length: rest` value) loses the declaration, so generated code
 * carries no unused local.
 */
function dropUnusedViews(file: SourceFile): void {
  for (const fn of file.getFunctions()) {
    const view = fn.getVariableStatement('view');
    if (view === undefined) continue;
    const rest = (fn.getBodyText() ?? '').replace(view.getText(), '');
    if (!/\bview\b/.test(rest)) view.remove();
  }
}
