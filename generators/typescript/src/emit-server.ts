import {
  type BroadcastIR,
  type ComposedMessageIR,
  constantFor,
  type DeclaredBehaviorIR,
  type FieldIR,
  type TypeIR,
  type ValueIR,
} from '@sockspec/spec';
import { type CodeBlockWriter, type SourceFile, VariableDeclarationKind } from 'ts-morph';
import { UnsupportedFeatureError } from './define.js';
import { fixedSize, messageSlots } from './layout.js';
import { hasDefaults, type MessageModel, messageNamed, omitFrom, type ProtocolModel, tsType } from './model.js';
import { access, pascalCase, propertyKey, quote, withProperties } from './names.js';

export function handlerMethod(message: MessageModel): string {
  return `on${message.name}`;
}

/** Messages whose server behavior is application code: handlers, and guards in front of declared steps. */
export function handlerMessages(model: ProtocolModel): MessageModel[] {
  return model.clientMessages.filter(
    (message) =>
      message.behavior?.kind === 'handler' || (message.behavior?.kind === 'declared' && message.behavior.guard),
  );
}

function union(names: readonly string[]): string {
  return names.length === 0 ? 'never' : names.join(' | ');
}

function literal(value: string | number | boolean, field: FieldIR): string {
  const type = field.type;
  // The IR keeps enum literals as their wire value and timestamps as numbers; the message types want names and Dates.
  if (type.kind === 'enum' && typeof value === 'number') {
    return quote(type.values.find((candidate) => candidate.value === value)?.name ?? String(value));
  }
  if (type.kind === 'timestamp' && typeof value === 'number') {
    return `new Date(${type.representation === 'unix-seconds' ? value * 1000 : value})`;
  }
  if (type.kind === 'timestamp' && typeof value === 'string') return `new Date(${quote(value)})`;
  if (typeof value === 'string') {
    return field.type.kind === 'int' && field.type.bits === 64 ? `${value}n` : quote(value);
  }
  if (typeof value === 'number' && field.type.kind === 'int' && field.type.bits === 64) return `${value}n`;
  return String(value);
}

/** The local variable holding a session value read by declared steps. */
function sessionLocal(name: string): string {
  return `session${pascalCase(name)}`;
}

/**
 * An object literal with a value for every field of the composed message.
 * Header fields the spec gives no value travel back from the request (a
 * correlation id) when `answersRequest`, else start at zero.
 */
function composed(
  model: ProtocolModel,
  composition: ComposedMessageIR,
  request: MessageModel | null,
  answersRequest: boolean,
): string {
  const target = messageNamed(model, composition.message);
  const values = new Map(composition.values.map((entry) => [entry.field, entry.value]));
  const properties = target.fields.map((field) => {
    const value: ValueIR | undefined = values.get(field.name);
    const key = propertyKey(field.name);
    if (value === undefined) {
      const fromRequest =
        answersRequest && (request?.fields.some((candidate) => candidate.name === field.name) ?? false);
      if (fromRequest) return `${key}: ${access('message', field.name)}`;
      if (field.type.kind === 'int') return `${key}: ${field.type.bits === 64 ? '0n' : '0'}`;
      throw new UnsupportedFeatureError(
        model.ir.sourceFile,
        `behavior of ${composition.message}`,
        `no value for field ${field.name}`,
      );
    }
    const expression =
      value.kind === 'now'
        ? 'new Date()'
        : value.kind === 'request-field'
          ? access('message', value.field)
          : value.kind === 'session'
            ? sessionLocal(value.name)
            : literal(value.value, field);
    return `${key}: ${expression}`;
  });
  return `{ ${properties.join(', ')} }`;
}

/** Names and types the emitters of one server file share. */
interface ServerContext {
  readonly model: ProtocolModel;
  /** The correlation field's property key, or null. */
  readonly id: string | null;
  readonly connectionName: string;
  readonly refusalName: string;
  readonly outgoingName: string;
}

/**
 * A handler's reply type: the message without its correlation id (the engine
 * copies the request's), plus its stream. With `pairBy`, the pairing field
 * may be left out: the engine copies the request's (MQTT's PUBACK repeats its
 * PUBLISH's packet id).
 */
function replyType(context: ServerContext, name: string, pairBy?: string): string {
  const { model, id } = context;
  const message = messageNamed(model, name);
  const paired = pairBy !== undefined && message.fields.some((field) => field.name === pairBy);
  // A field with a default may be left out of a reply as of any message sent (MQTT's dup, qos and retain).
  const value = hasDefaults(message)
    ? `(${message.fieldsName} & { readonly type: ${quote(message.name)} })`
    : message.name;
  const base =
    id !== null
      ? omitFrom(message, value, quote(id))
      : paired
        ? `${omitFrom(message, value, quote(pairBy))} & { readonly ${propertyKey(pairBy)}?: number }`
        : value;
  const stream = message.ir.stream;
  if (stream === null) return base;
  return `${base} & { readonly stream: OutgoingStream<${streamFields(context, stream.chunk)}, ${streamFields(context, stream.end)}> }`;
}

function streamFields(context: ServerContext, name: string): string {
  const message = messageNamed(context.model, name);
  return context.id === null ? message.fieldsName : omitFrom(message, message.fieldsName, quote(context.id));
}

function handlerReplies(context: ServerContext, message: MessageModel): string[] {
  const errors = context.model.errors;
  const names = [...message.replies];
  if (errors !== null && names.length > 0 && !names.includes(errors.message)) names.push(errors.message);
  const pairBy = message.behavior?.kind === 'handler' ? message.behavior.pairBy : undefined;
  return names.map((name) => replyType(context, name, pairBy));
}

/** The fields requests pair their replies by (`pairBy`), which `answer` fills in from the request. */
function pairingFields(model: ProtocolModel): string[] {
  const fields = new Set<string>();
  for (const message of handlerMessages(model)) {
    if (message.behavior?.kind === 'handler' && message.behavior.pairBy !== undefined)
      fields.add(message.behavior.pairBy);
  }
  return [...fields].sort();
}

/** Every reply any handler may return, for the one `answer` function. */
function answerUnion(context: ServerContext): string[] {
  const types = new Set<string>();
  for (const message of handlerMessages(context.model)) {
    if (message.behavior?.kind !== 'handler') continue;
    for (const type of handlerReplies(context, message)) types.add(type);
  }
  return [...types];
}

export function emitServer(file: SourceFile, model: ProtocolModel): void {
  const { typePrefix } = model;
  const context: ServerContext = {
    model,
    id: model.correlation === null ? null : model.correlation.name,
    connectionName: `${typePrefix}Connection`,
    refusalName: `${typePrefix}Refusal`,
    outgoingName: `${typePrefix}Outgoing`,
  };
  const handlers = handlerMessages(model);
  const usesHandlers = handlers.length > 0;
  const answers = answerUnion(context);

  if (model.errors !== null) emitRefusal(file, context);
  if (usesHandlers) emitTypedConnection(file, context);
  emitHandlersInterface(file, context, handlers);
  if (answers.length > 0) emitAnswer(file, context, answers);
  if (model.clientMessages.some((message) => message.ir.stream !== null)) emitIncomingStreams(file, context);
  for (const message of handlers) {
    if (message.behavior?.kind === 'handler' && message.ir.stream !== null) emitReceiveStream(file, context, message);
  }
  if (handlers.some((message) => message.behavior?.kind === 'declared')) emitAfterGuard(file, context);
  for (const message of model.clientMessages) {
    if (message.behavior?.kind === 'declared') emitDeclaredSteps(file, context, message, message.behavior);
  }
  emitCreateServerProtocol(file, context, usesHandlers);
  emitCreateServer(file, context, usesHandlers);
}

function emitRefusal(file: SourceFile, context: ServerContext): void {
  const { model, id } = context;
  const errors = model.errors!;
  const message = messageNamed(model, errors.message);
  const reason = message.fields.find((field) => field.name === errors.reasonField)!;
  const omitted = id === null ? quote('type') : `${quote('type')} | ${quote(id)}`;
  file.addTypeAlias({
    name: context.refusalName,
    isExported: true,
    docs: [`Why a request is refused: the ${message.name} message's fields, which the engine sends for you.`],
    type: omitFrom(message, message.name, omitted),
  });
  file.addFunction({
    name: 'refuse',
    isExported: true,
    docs: [
      `A ${message.name} reply, for handlers that refuse a request: \`return refuse('…', 'why')\`. A text longer than the field's ${errorsTextBudget(context)} bytes is cut at a character boundary, so a refusal always encodes.`,
    ],
    parameters: [
      { name: errors.reasonField, type: tsType(reason.type) },
      { name: errors.textField, type: 'string' },
    ],
    returnType: id === null ? message.name : omitFrom(message, message.name, quote(id)),
    statements: `return { type: ${quote(message.name)}, ${otherHeaderFields(context)
      .map((field) => `${propertyKey(field.name)}: ${zeroValue(field.type)}, `)
      .join(
        '',
      )}${propertyKey(errors.reasonField)}, ${propertyKey(errors.textField)}: truncateUtf8(${errors.textField}, ${errorsTextBudget(context)}) };`,
  });
}

/** Writes `connection.send(<errors message>)` refusing request `idExpression` with `reason`. */
function writeRefusal(
  writer: CodeBlockWriter,
  context: ServerContext,
  idExpression: string,
  reason: 'badRequest' | 'internal',
  textExpression: string,
): void {
  const errors = context.model.errors;
  if (errors === null) {
    // No errors message to answer with: say it in the log, and drop the peer.
    writer.writeLine(`connection.log(${textExpression});`);
    writer.writeLine('connection.close();');
    return;
  }
  writer.writeLine(`connection.send(${errorsFrame(context, idExpression, reason, textExpression, true)});`);
}

/** The expression encoding the errors message for request `idExpression`, its text cut to the field's maxBytes. */
function errorsFrame(
  context: ServerContext,
  idExpression: string,
  reason: 'badRequest' | 'internal',
  textExpression: string,
  requestInScope: boolean,
): string {
  const errors = context.model.errors!;
  const message = messageNamed(context.model, errors.message);
  const maxBytes = errorsTextBudget(context);
  const id = context.id === null ? '' : `${propertyKey(context.id)}: ${idExpression}, `;
  // Other header fields (a version, flags) repeat the request's; with no decoded request they are zero.
  const header = otherHeaderFields(context)
    .map(
      (field) =>
        `${propertyKey(field.name)}: ${requestInScope && constantFor(field, 'client') === null ? access('message', field.name) : zeroValue(field.type)}, `,
    )
    .join('');
  return `encode${message.name}({ ${id}${header}${propertyKey(errors.reasonField)}: ${quote(errors[reason])}, ${propertyKey(errors.textField)}: truncateUtf8(${textExpression}, ${maxBytes}) })`;
}

/** Header fields other than the discriminator, the correlation id and constants (in frames the server sends, as the errors message is): every message carries them, values of its own. */
function otherHeaderFields(context: ServerContext): FieldIR[] {
  const { ir } = context.model;
  return ir.header.filter(
    (field) =>
      field.name !== ir.discriminator &&
      field.name !== context.id &&
      constantFor(field, 'server') === null &&
      field.computed === undefined &&
      field.checksum === undefined,
  );
}

/** A TypeScript expression for the zero value of a type: what a header field is when nothing gives it one. */
function zeroValue(type: TypeIR): string {
  switch (type.kind) {
    case 'int':
      return type.bits === 64 ? '0n' : '0';
    case 'bits':
      return type.width === 1 ? 'false' : '0';
    case 'varint':
      return type.bits === 64 ? '0n' : '0';
    case 'float':
      return '0';
    case 'bool':
      return 'false';
    case 'enum':
      return quote(type.values[0]!.name);
    case 'flags':
      return `{ ${type.flags.map((flag) => `${propertyKey(flag.name)}: false`).join(', ')} }`;
    case 'timestamp':
      return 'new Date(0)';
    case 'string':
      return "''";
    case 'bytes':
      return type.length.kind === 'fixed' ? `new Uint8Array(${type.length.bytes})` : 'new Uint8Array(0)';
    case 'array':
      return '[]';
    case 'optional':
      return 'undefined';
    case 'struct':
      return `{ ${type.fields.map((field) => `${propertyKey(field.name)}: ${zeroValue(field.type)}`).join(', ')} }`;
    case 'messages':
      // Only a list element; a list's zero value is [].
      return 'undefined';
  }
}

/**
 * The most bytes of text an errors message can carry: the text field's
 * maxBytes, and no more than fits in one frame beside the message's other
 * slots (a default maxBytes is the frame's payload, which leaves no room for
 * the header; issue 13 met 'frame of 1030 bytes exceeds maxFrameBytes 1024').
 */
function errorsTextBudget(context: ServerContext): number {
  const { model } = context;
  const errors = model.errors!;
  const message = messageNamed(model, errors.message);
  const text = message.fields.find((field) => field.name === errors.textField)!;
  const maxBytes = text.type.kind === 'string' ? text.type.maxBytes : 0;
  const { framing } = model.ir;
  if (framing.kind !== 'length-prefixed' && framing.kind !== 'delimited') return maxBytes;
  let overhead = framing.kind === 'delimited' ? framing.delimiter.length : 0;
  for (const slot of messageSlots(model.ir, message)) {
    if (slot.kind === 'length' || slot.kind === 'bits') {
      overhead += slot.kind === 'length' ? slot.framing.lengthBytes : slot.word.bits / 8;
      continue;
    }
    if (slot.kind === 'field' && slot.field.name === errors.textField) {
      const length = slot.field.type.kind === 'string' ? slot.field.type.length : null;
      overhead += length?.kind === 'prefixed' ? length.bytes : length?.kind === 'terminated' ? 1 : 0;
      continue;
    }
    const size = fixedSize(slot.field.type);
    // Another variable-size field: its room is not known here; the field's own limit stands.
    if (size === null) return maxBytes;
    overhead += size;
  }
  return Math.max(0, Math.min(maxBytes, framing.maxFrameBytes - overhead));
}

/** What the peer reads when a handler failed; the details stay in the server's log. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: generated template literal
const FAILURE_TEXT = '`the server failed while handling ${message.type}; its log has the details`';

function sessionFieldsName(context: ServerContext): string {
  return `${context.model.typePrefix}Session`;
}

function emitTypedConnection(file: SourceFile, context: ServerContext): void {
  const { model, connectionName, outgoingName, id } = context;
  const session = model.ir.behavior.session;

  if (id !== null) {
    file.addTypeAlias({
      name: outgoingName,
      isExported: true,
      docs: [`A server message to send; its ${id} defaults to 0, which answers no request.`],
      type: `ServerMessage extends infer Message ? Message extends ServerMessage ? Omit<Message, ${quote(id)}> & { readonly ${propertyKey(id)}?: number } : never : never`,
    });
  }
  const outgoing = id === null ? 'ServerMessage' : outgoingName;
  // With no server messages, `message` is never: spreading it would not compile (and nothing can call send).
  const encodeOutgoing =
    id === null || model.serverMessages.length === 0
      ? 'encodeServerMessage(message)'
      : `encodeServerMessage({ ${propertyKey(id)}: 0, ...message })`;
  if (session.length > 0) {
    file.addInterface({
      name: sessionFieldsName(context),
      isExported: true,
      docs: [
        "Values the spec's declared behavior remembers for a connection (`session:`); unset until a message stores them.",
      ],
      properties: session.map((field) => ({
        name: propertyKey(field.name),
        isReadonly: true,
        hasQuestionToken: true,
        type: tsType(field.type),
        ...(field.description === '' ? {} : { docs: [field.description] }),
      })),
    });
  }

  const sessionType = session.length > 0 ? `, ${sessionFieldsName(context)}` : '';
  file.addTypeAlias({
    name: connectionName,
    isExported: true,
    docs: [
      'A client connection as handlers see it: sends typed messages, and holds what declared behavior remembered and the groups it is in.',
    ],
    type: `TypedConnection<${outgoing}${sessionType}>`,
  });
  file.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    docs: ['One typed view per engine connection, made on first use; its session is what the declared steps write.'],
    declarations: [
      {
        name: 'connections',
        type: `TypedConnections<${outgoing}${sessionType}>`,
        initializer: `typedConnections((message) => ${encodeOutgoing})`,
      },
    ],
  });
  file.addFunction({
    name: 'typedConnection',
    isExported: true,
    docs: ['The typed view of an engine connection (as lifecycle hooks receive it); the same object every time.'],
    parameters: [{ name: 'connection', type: 'Connection' }],
    returnType: connectionName,
    statements: 'return connections.of(connection);',
  });
}

function emitHandlersInterface(file: SourceFile, context: ServerContext, handlers: MessageModel[]): void {
  const { model, connectionName, refusalName } = context;
  const { ir } = model;
  file.addInterface({
    name: `${model.typePrefix}Handlers`,
    isExported: true,
    extends: ['ServerHooks'],
    docs: [
      handlers.length > 0
        ? `What the application implements for the ${ir.name} protocol: one method per message the spec leaves to code, plus the optional lifecycle hooks. A method returns the reply to send, or nothing.`
        : `Optional lifecycle hooks; the ${ir.name} spec declares all of its behavior, so there is nothing else to implement.`,
    ],
    methods: handlers.map((message) => {
      const behavior = message.behavior!;
      if (behavior.kind === 'declared') {
        const result = `${refusalName} | void`;
        return {
          name: handlerMethod(message),
          docs: [
            `Checks every ${message.name} before its declared behavior runs. Return nothing to let it run, or a refusal (the reason and text of ${model.errors?.message}) to answer with that instead.`,
          ],
          parameters: [
            { name: 'message', type: message.name },
            { name: 'connection', type: connectionName },
          ],
          returnType: `${result} | Promise<${result}>`,
        };
      }
      const replies = handlerReplies(context, message);
      // A request answered by many replies gets them all at once, in order (the last one ends them).
      const many = message.behavior?.kind === 'handler' && message.behavior.many !== undefined;
      const result =
        replies.length === 0 ? 'void' : many ? `readonly (${union(replies)})[] | void` : `${union(replies)} | void`;
      const stream = message.ir.stream;
      return {
        name: handlerMethod(message),
        docs: [
          `Called for every ${message.name} a client sends${stream === null ? '' : `, with the stream of ${stream.chunk} chunks that follows it (iterate it, then \`await stream.end\`)`}.${message.replies.length === 0 ? '' : ` May answer with ${[...message.replies, ...(model.errors === null ? [] : [model.errors.message])].join(' or ')}.`}`,
        ],
        parameters: [
          { name: 'message', type: message.name },
          ...(stream === null
            ? []
            : [
                {
                  name: 'stream',
                  type: `ReceivedStream<${messageNamed(model, stream.chunk).name}, ${messageNamed(model, stream.end).name}>`,
                },
              ]),
          { name: 'connection', type: connectionName },
        ],
        returnType: `${result} | Promise<${result}>`,
      };
    }),
  });
}

function emitAnswer(file: SourceFile, context: ServerContext, answers: string[]): void {
  const { model, id } = context;
  const anyMany = handlerMessages(model).some(
    (message) => message.behavior?.kind === 'handler' && message.behavior.many !== undefined,
  );
  const streaming = model.serverMessages.filter(
    (message) => message.ir.stream !== null && answers.some((type) => type.startsWith(`Omit<${message.name},`)),
  );
  const paired = id === null ? pairingFields(model) : [];
  file.addTypeAlias({ name: 'Answer', docs: ['Whatever a handler may answer with.'], type: union(answers) });
  file.addFunction({
    name: 'answer',
    docs: [
      `Sends what a handler returned${id === null ? '' : ` with the request's ${id}`}, once it is known; handlers that answer synchronously cost no promise.`,
    ],
    parameters: [
      { name: 'connection', type: 'Connection' },
      ...(id === null ? [] : [{ name: 'id', type: 'number' }]),
      {
        name: 'reply',
        type: anyMany
          ? 'Answer | readonly Answer[] | void | Promise<Answer | readonly Answer[] | void>'
          : 'Answer | void | Promise<Answer | void>',
      },
      // The request's pairing field, under the reply's own: a handler that leaves it out answers its request.
      ...(paired.length === 0
        ? []
        : [
            {
              name: 'pairing',
              type: `{ ${paired.map((field) => `readonly ${propertyKey(field)}?: number | undefined`).join('; ')} } = {}`,
            },
          ]),
    ],
    returnType: 'void | Promise<void>',
    statements: (writer) => {
      const idArgument = id === null ? '' : 'id, ';
      const pairingArgument = paired.length === 0 ? '' : ', pairing';
      const one = anyMany ? 'one' : 'reply';
      writer.write('if (reply instanceof Promise)').block(() => {
        writer.writeLine(
          `return reply.then((resolved) => answer(connection, ${idArgument}resolved${pairingArgument}));`,
        );
      });
      writer.writeLine('if (reply === undefined) return;');
      if (anyMany) {
        writer.write('if (Array.isArray(reply))').block(() => {
          writer.writeLine(
            `for (const each of reply as readonly Answer[]) answer(connection, ${idArgument}each${pairingArgument});`,
          );
          writer.writeLine('return;');
        });
        writer.writeLine('const one = reply as Answer;');
      }
      for (const message of streaming) {
        const stream = message.ir.stream!;
        const chunk = messageNamed(model, stream.chunk);
        const end = messageNamed(model, stream.end);
        const key = propertyKey(id!);
        writer.write(`if (${one}.type === ${quote(message.name)})`).block(() => {
          writer.writeLine(`const { stream, ...fields } = ${one};`);
          writer.writeLine(`connection.send(encode${message.name}(${withProperties('fields', `${key}: id`)}));`);
          writer.writeLine(
            `const chunks = mapChunks(stream.chunks, (chunk) => encode${chunk.name}(${withProperties('chunk', `${key}: id`)}));`,
          );
          writer.writeLine(
            `const end = () => encode${end.name}(${withProperties(`endOf(stream, {} as ${streamFields(context, end.ir.name)})`, `${key}: id`)});`,
          );
          writer.writeLine('return sendOutgoingStream(connection, chunks, end).then(() => undefined);');
        });
      }
      writer.writeLine(
        id !== null
          ? `connection.send(encodeServerMessage(${withProperties(one, `${propertyKey(id)}: id`)}));`
          : paired.length > 0
            ? // The encoder checks what the copy cannot: a reply without its pairing field is refused there.
              `connection.send(encodeServerMessage(Object.assign({}, pairing, ${one}) as ServerMessage));`
            : `connection.send(encodeServerMessage(${one}));`,
      );
    },
  });
}

function emitIncomingStreams(file: SourceFile, context: ServerContext): void {
  const { model } = context;
  const key = propertyKey(context.id!);
  const parts = model.clientMessages.filter((message) => message.serverStreamPart !== null);
  file.addFunction({
    name: 'answerStream',
    isAsync: true,
    docs: [
      "Runs a stream's handler beside the dispatch loop (the frames after the opening one carry the chunks it waits for), answers when it settles, and drops chunks still on their way.",
    ],
    parameters: [
      { name: 'connection', type: 'Connection' },
      { name: 'message', type: 'ClientMessage' },
      { name: 'handle', type: '() => Answer | void | Promise<Answer | void>' },
    ],
    returnType: 'Promise<void>',
    statements: (writer) => {
      writeTry(
        writer,
        () => writer.writeLine(`await answer(connection, ${access('message', context.id!)}, handle());`),
        () => {
          writer.writeLine(`connection.log(\`\${message.type} handler failed: \${describeError(error)}\`);`);
          writeRefusal(writer, context, access('message', context.id!), 'internal', FAILURE_TEXT);
        },
        () => writer.writeLine(`settleIncomingStream(connection, message.${key});`),
      );
    },
  });
  file.addFunction({
    name: 'feedStream',
    docs: ['Hands a chunk or end to its stream; while the handler is behind, the engine reads nothing more.'],
    parameters: [
      { name: 'connection', type: 'Connection' },
      { name: 'message', type: union(parts.map((part) => part.name)) },
      { name: 'part', type: "'chunk' | 'end'" },
    ],
    returnType: 'void | Promise<void>',
    statements: (writer) => {
      writer.writeLine(`const fed = feedIncomingStream(connection, message.${key}, part, message);`);
      writer.write('if (fed === false)').block(() => {
        writeRefusal(
          writer,
          context,
          `message.${key}`,
          'badRequest',
          `\`\${message.type} for stream \${message.${key}}, which is not open\``,
        );
        writer.writeLine('return;');
      });
      writer.writeLine('if (fed !== true) return fed;');
    },
  });
}

function emitReceiveStream(file: SourceFile, context: ServerContext, message: MessageModel): void {
  const { model } = context;
  const stream = message.ir.stream!;
  const key = access('message', context.id!);
  file.addFunction({
    name: `receive${message.name}`,
    docs: [
      `Opens the stream a ${message.name} starts and hands it to \`${handlerMethod(message)}\`, which runs beside the dispatch loop.`,
    ],
    parameters: [
      { name: 'message', type: message.name },
      { name: 'connection', type: 'Connection' },
      { name: 'handlers', type: `${model.typePrefix}Handlers` },
    ],
    returnType: 'void',
    statements: (writer) => {
      writer.writeLine(
        `const stream = openIncomingStream<${messageNamed(model, stream.chunk).name}, ${messageNamed(model, stream.end).name}>(connection, ${key});`,
      );
      writer.write("if (typeof stream === 'string')").block(() => {
        writeRefusal(writer, context, key, 'badRequest', 'stream');
        writer.writeLine('return;');
      });
      writer.writeLine(
        `void answerStream(connection, message, () => handlers.${handlerMethod(message)}(message, stream, typedConnection(connection)));`,
      );
    },
  });
}

function emitAfterGuard(file: SourceFile, context: ServerContext): void {
  const errors = context.model.errors!;
  const message = messageNamed(context.model, errors.message);
  const key = propertyKey(context.id ?? '');
  file.addFunction({
    name: 'afterGuard',
    docs: ["Runs declared steps once the application's guard let a request through; a refusal is sent instead."],
    parameters: [
      { name: 'connection', type: 'Connection' },
      ...(context.id === null ? [] : [{ name: 'id', type: 'number' }]),
      { name: 'verdict', type: `${context.refusalName} | void | Promise<${context.refusalName} | void>` },
      { name: 'steps', type: '() => void' },
    ],
    returnType: 'void | Promise<void>',
    statements: (writer) => {
      const idArgument = context.id === null ? '' : 'id, ';
      writer.write('if (verdict instanceof Promise)').block(() => {
        writer.writeLine(`return verdict.then((resolved) => afterGuard(connection, ${idArgument}resolved, steps));`);
      });
      writer.write('if (verdict === undefined)').block(() => {
        writer.writeLine('steps();');
        writer.writeLine('return;');
      });
      writer.writeLine(
        `connection.send(encode${message.name}(${context.id === null ? '{ ...verdict }' : withProperties('verdict', `${key}: id`)}));`,
      );
    },
  });
}

function stepsFunction(message: MessageModel): string {
  return `run${message.name}`;
}

function emitDeclaredSteps(
  file: SourceFile,
  context: ServerContext,
  message: MessageModel,
  behavior: DeclaredBehaviorIR,
): void {
  const { model } = context;
  const written = new Map(behavior.session.map((entry) => [entry.name, entry.value]));
  const read = new Set<string>();
  const visit = (composition: ComposedMessageIR | null) => {
    for (const entry of composition?.values ?? []) if (entry.value.kind === 'session') read.add(entry.value.name);
  };
  visit(behavior.reply);
  for (const broadcast of behavior.broadcasts) visit(broadcast.message);
  const idExpression = context.id === null ? '0' : access('message', context.id);

  file.addFunction({
    name: stepsFunction(message),
    docs: [`The declared behavior of ${message.name}, in the spec's order: session, groups, reply, broadcasts.`],
    parameters: [
      { name: 'message', type: message.name },
      { name: 'connection', type: 'Connection' },
    ],
    returnType: 'void',
    statements: (writer) => {
      const sessionNeeded = read.size > 0 || written.size > 0;
      if (sessionNeeded) writer.writeLine('const session = connections.sessionOf(connection);');
      for (const name of [...read].sort()) {
        if (written.has(name)) continue;
        const local = sessionLocal(name);
        writer.writeLine(`const ${local} = ${access('session', name)};`);
        writer.write(`if (${local} === undefined)`).block(() => {
          const setters = model.clientMessages
            .filter(
              (candidate) =>
                candidate.behavior?.kind === 'declared' &&
                candidate.behavior.session.some((entry) => entry.name === name),
            )
            .map((candidate) => candidate.name);
          writeRefusal(
            writer,
            context,
            idExpression,
            'badRequest',
            quote(`${message.name} needs the ${name} that ${setters.join(' or ')} stores; send ${setters[0]} first`),
          );
          writer.writeLine('return;');
        });
      }
      for (const [name, value] of written) {
        if (value.kind !== 'request-field') continue;
        writer.writeLine(`${access('session', name)} = ${access('message', value.field)};`);
        if (read.has(name)) writer.writeLine(`const ${sessionLocal(name)} = ${access('message', value.field)};`);
      }
      if (behavior.joins !== null) {
        writeTry(
          writer,
          () => writer.writeLine(`connection.peers.join(${access('message', behavior.joins!)}, connection);`),
          () => {
            writer.writeLine('if (!(error instanceof GroupLimitError)) throw error;');
            writeRefusal(writer, context, idExpression, 'badRequest', 'error.message');
            writer.writeLine('return;');
          },
        );
      }
      if (behavior.leaves !== null) {
        writer.writeLine(`connection.peers.leave(${access('message', behavior.leaves)}, connection);`);
      }
      if (behavior.reply !== null) {
        const target = messageNamed(model, behavior.reply.message);
        writer.writeLine(`connection.send(encode${target.name}(${composed(model, behavior.reply, message, true)}));`);
      }
      for (const broadcast of behavior.broadcasts) writeBroadcast(writer, context, message, broadcast);
    },
  });
}

function writeBroadcast(
  writer: CodeBlockWriter,
  context: ServerContext,
  request: MessageModel,
  broadcast: BroadcastIR,
): void {
  const target = messageNamed(context.model, broadcast.message.message);
  const frame = `encode${target.name}(${composed(context.model, broadcast.message, request, false)})`;
  const to = broadcast.to;
  switch (to.kind) {
    // broadcastTo*: every server sharing the group adapter, not only this one.
    case 'all':
      writer.writeLine(`connection.peers.broadcastToAll(${frame});`);
      return;
    case 'others':
      writer.writeLine(`connection.peers.broadcastToAll(${frame}, connection);`);
      return;
    case 'group':
      writer.writeLine(
        `connection.peers.broadcastToGroup(${access('message', to.field)}, ${frame}${to.exceptSender ? ', connection' : ''});`,
      );
      return;
  }
}

function emitCreateServerProtocol(file: SourceFile, context: ServerContext, usesHandlers: boolean): void {
  const { model } = context;
  const { ir } = model;
  const greeting = ir.behavior.greeting;
  const handlersName = `${model.typePrefix}Handlers`;
  // Exported on its own so code that cannot receive a server object (a
  // worker thread under the `threads` concurrency model) can build the same
  // protocol from a module.
  file.addFunction({
    name: 'createServerProtocol',
    isExported: true,
    docs: [
      `The ${ir.name} protocol as the server engine runs it: decode, declared behavior${usesHandlers ? ' and `handlers`' : ''}. \`createServer\` wraps it; a \`threads\` worker module exports it.`,
    ],
    parameters: usesHandlers ? [{ name: 'handlers', type: handlersName }] : [],
    returnType: 'ServerProtocol<ClientMessage>',
    statements: (writer) => {
      writer.write('return').inlineBlock(() => {
        writer.writeLine(`name: ${quote(ir.name)},`);
        writer.writeLine('framing,');
        writer.writeLine(`idleTimeoutMs: ${ir.behavior.idleTimeoutMs === null ? 'null' : ir.behavior.idleTimeoutMs},`);
        if (model.usesGroups) writer.writeLine('usesGroups: true,');
        writer.writeLine('decode: decodeClientMessage,');
        writer
          .write('dispatch(message: ClientMessage, connection: Connection): void | Promise<void>')
          .inlineBlock(() => {
            if (model.clientMessages.length === 0) {
              writer.writeLine('void message;');
              writer.writeLine('void connection;');
              return;
            }
            writer.write('switch (message.type)').block(() => {
              for (const message of model.clientMessages) {
                writer.writeLine(`case ${quote(message.name)}:`);
                writer.indent(() => writeDispatch(context, message, writer));
              }
            });
          });
        writer.write(',').newLine();
        if (greeting !== null) {
          writer.write('onConnect(connection: Connection): void').inlineBlock(() => {
            writer.writeLine(`connection.send(encode${greeting.message}(${composed(model, greeting, null, false)}));`);
            // The spec's greeting.close: the greeting is the whole conversation, as in the tutorials' greeting server.
            if (model.ir.behavior.closeAfterGreeting) writer.writeLine('connection.close();');
          });
          writer.write(',').newLine();
        }
        if (model.errors !== null) writeErrorFrames(writer, context);
      });
      writer.write(';').newLine();
    },
  });
}

function writeErrorFrames(writer: CodeBlockWriter, context: ServerContext): void {
  const id = context.id === null ? '0' : access('message', context.id);
  writer.write('errorFrame(error: Error): Uint8Array').inlineBlock(() => {
    writer.writeLine(`return ${errorsFrame(context, '0', 'badRequest', 'error.message', false)};`);
  });
  writer.write(',').newLine();
  writer.write('failureFrame(_error: unknown, message: ClientMessage): Uint8Array').inlineBlock(() => {
    writer.writeLine(`return ${errorsFrame(context, id, 'internal', FAILURE_TEXT, true)};`);
  });
  writer.write(',').newLine();
}

function emitCreateServer(file: SourceFile, context: ServerContext, usesHandlers: boolean): void {
  const { ir } = context.model;
  const handlersName = `${context.model.typePrefix}Handlers`;
  file.addFunction({
    name: 'createServer',
    isExported: true,
    docs: [
      `A ${ir.name} server with the spec's declared behavior wired in.${usesHandlers ? ' Messages the spec leaves to code go to `handlers`.' : ''} Call \`listen()\` on it.`,
    ],
    parameters: [
      usesHandlers
        ? { name: 'handlers', type: handlersName }
        : { name: 'handlers', type: handlersName, initializer: '{}' },
      { name: 'options', type: 'ServerOptions', initializer: '{}' },
    ],
    returnType: 'ProtocolServer',
    statements: (writer) => {
      writer.writeLine(
        usesHandlers ? 'const protocol = createServerProtocol(handlers);' : 'const protocol = createServerProtocol();',
      );
      if (!usesHandlers) writer.writeLine('// Handlers carry only the lifecycle hooks here.');
      writer.writeLine(
        'const hooks: ServerHooks = handlers.setup !== undefined || handlers.finish !== undefined ? handlers : (options.hooks ?? {});',
      );
      writer.writeLine('return createProtocolServer(protocol, { ...options, hooks });');
    },
  });
}

function writeDispatch(context: ServerContext, message: MessageModel, writer: CodeBlockWriter): void {
  const { model } = context;
  const idArgument = context.id === null ? '' : `${access('message', context.id)}, `;
  if (message.serverStreamPart !== null) {
    writer.writeLine(`return feedStream(connection, message, ${quote(message.serverStreamPart)});`);
    return;
  }
  const behavior = message.behavior;
  if (behavior === null) return;
  switch (behavior.kind) {
    case 'echo': {
      const target = messageNamed(model, behavior.message);
      if (behavior.prefix === '' || behavior.prefixField === null) {
        writer.writeLine(`connection.send(encode${target.name}(message));`);
      } else {
        const field = message.fields.find((candidate) => candidate.name === behavior.prefixField);
        const value = access('message', behavior.prefixField);
        const key = propertyKey(behavior.prefixField);
        if (field?.type.kind === 'bytes') {
          writer.writeLine(`const prefix = new TextEncoder().encode(${quote(behavior.prefix)});`);
          writer.writeLine(`const prefixed = new Uint8Array(prefix.length + ${value}.length);`);
          writer.writeLine('prefixed.set(prefix);');
          writer.writeLine(`prefixed.set(${value}, prefix.length);`);
          writer.writeLine(`connection.send(encode${target.name}(${withProperties('message', `${key}: prefixed`)}));`);
        } else {
          writer.writeLine(
            `connection.send(encode${target.name}(${withProperties('message', `${key}: ${quote(behavior.prefix)} + ${value}`)}));`,
          );
        }
      }
      writer.writeLine('return;');
      return;
    }
    case 'reply': {
      const target = messageNamed(model, behavior.reply.message);
      writer.writeLine(`connection.send(encode${target.name}(${composed(model, behavior.reply, message, true)}));`);
      writer.writeLine('return;');
      return;
    }
    case 'handler': {
      const stream = message.ir.stream;
      if (stream === null) {
        const call = `handlers.${handlerMethod(message)}(message, typedConnection(connection))`;
        if (message.replies.length === 0) {
          writer.writeLine(`return ${call};`);
        } else {
          const pairBy = behavior.pairBy;
          const pairing =
            pairBy === undefined || context.id !== null
              ? ''
              : `, { ${propertyKey(pairBy)}: ${access('message', pairBy)} }`;
          writer.writeLine(`return answer(connection, ${idArgument}${call}${pairing});`);
        }
        return;
      }
      writer.writeLine(`receive${message.name}(message, connection, handlers);`);
      writer.writeLine('return;');
      return;
    }
    case 'declared': {
      const steps = `() => ${stepsFunction(message)}(message, connection)`;
      if (behavior.guard) {
        writer.writeLine(
          `return afterGuard(connection, ${idArgument}handlers.${handlerMethod(message)}(message, typedConnection(connection)), ${steps});`,
        );
      } else {
        writer.writeLine(`${stepsFunction(message)}(message, connection);`);
        writer.writeLine('return;');
      }
      return;
    }
  }
}

/** `try { … } catch (error) { … } finally { … }` with the keywords on the closing braces' lines. */
function writeTry(writer: CodeBlockWriter, body: () => void, onError: () => void, always?: () => void): void {
  writer.writeLine('try {');
  writer.indent(body);
  writer.writeLine('} catch (error) {');
  writer.indent(onError);
  if (always !== undefined) {
    writer.writeLine('} finally {');
    writer.indent(always);
  }
  writer.writeLine('}');
}
