import type { ComposedMessageIR, FieldIR, ValueIR } from '@sockspec/spec';
import { type CodeBlockWriter, type SourceFile, VariableDeclarationKind } from 'ts-morph';
import { UnsupportedFeatureError } from './define.js';
import type { MessageModel, ProtocolModel } from './model.js';
import { access, propertyKey, quote } from './names.js';

export function handlerMethod(message: MessageModel): string {
  return `on${message.name}`;
}

/** Messages whose server behavior is application code. */
export function handlerMessages(model: ProtocolModel): MessageModel[] {
  return model.clientMessages.filter((message) => message.behavior?.kind === 'handler');
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

/** An object literal with a value for every field of the composed message. */
function composed(model: ProtocolModel, composition: ComposedMessageIR, request: MessageModel | null): string {
  const target = model.messages.find((message) => message.ir.name === composition.message);
  if (target === undefined) {
    throw new UnsupportedFeatureError(
      model.ir.sourceFile,
      'behavior',
      `a reply with unknown message ${composition.message}`,
    );
  }
  const values = new Map(composition.values.map((entry) => [entry.field, entry.value]));
  const properties = target.fields.map((field) => {
    const value: ValueIR | undefined = values.get(field.name);
    const key = propertyKey(field.name);
    if (value === undefined) {
      // Header fields such as a correlation id travel back from the request; without one they start at zero.
      const fromRequest = request?.fields.some((candidate) => candidate.name === field.name) ?? false;
      if (fromRequest) return `${key}: ${access('message', field.name)}`;
      if (field.type.kind === 'int') return `${key}: ${field.type.bits === 64 ? '0n' : '0'}`;
      throw new UnsupportedFeatureError(
        model.ir.sourceFile,
        `behavior of ${composition.message}`,
        `no value for field ${field.name}`,
      );
    }
    switch (value.kind) {
      case 'now':
        return `${key}: new Date()`;
      case 'request-field':
        return `${key}: ${access('message', value.field)}`;
      case 'literal':
        return `${key}: ${literal(value.value, field)}`;
      default:
        throw new UnsupportedFeatureError(
          model.ir.sourceFile,
          `behavior of ${composition.message}`,
          'this kind of value',
        );
    }
  });
  return `{ ${properties.join(', ')} }`;
}

export function emitServer(file: SourceFile, model: ProtocolModel): void {
  const { ir, typePrefix } = model;
  const handlers = handlerMessages(model);
  const handlersName = `${typePrefix}Handlers`;
  const connectionName = `${typePrefix}Connection`;
  const usesHandlers = handlers.length > 0;
  const codecImports = new Set(['decodeClientMessage', 'framing']);

  if (usesHandlers) {
    file.addInterface({
      name: connectionName,
      isExported: true,
      docs: ['A client connection as handlers see it: sends typed messages.'],
      properties: [
        { name: 'id', isReadonly: true, type: 'number', docs: ['Unique within one server, increasing from 1.'] },
        { name: 'remote', isReadonly: true, type: "Connection['remote']" },
        { name: 'state', isReadonly: true, type: 'Map<string, unknown>', docs: ['Per-connection state for handlers.'] },
        { name: 'closed', isReadonly: true, type: 'boolean' },
        {
          name: 'connection',
          isReadonly: true,
          type: 'Connection',
          docs: ['The engine connection, for frames that are already encoded.'],
        },
      ],
      methods: [
        {
          name: 'send',
          parameters: [{ name: 'message', type: 'ServerMessage' }],
          returnType: 'void',
          docs: ['Encodes and queues a message.'],
        },
        { name: 'close', returnType: 'void', docs: ['Flushes queued messages, then closes.'] },
      ],
    });
  }

  file.addInterface({
    name: handlersName,
    isExported: true,
    extends: ['ServerHooks'],
    docs: [
      usesHandlers
        ? `What the application implements for the ${ir.name} protocol: one method per message the spec leaves to code, plus the optional lifecycle hooks. A method returns the reply to send, or nothing.`
        : `Optional lifecycle hooks; the ${ir.name} spec declares all of its behavior, so there is nothing else to implement.`,
    ],
    methods: handlers.map((message) => {
      const replies = union(message.replies);
      const result = message.replies.length === 0 ? 'void' : `${replies} | void`;
      return {
        name: handlerMethod(message),
        docs: [
          `Called for every ${message.name} a client sends.${message.replies.length === 0 ? '' : ` May answer with ${message.replies.join(' or ')}.`}`,
        ],
        parameters: [
          { name: 'message', type: message.name },
          { name: 'connection', type: connectionName },
        ],
        returnType: `${result} | Promise<${result}>`,
      };
    }),
  });

  if (usesHandlers) {
    codecImports.add('encodeServerMessage');
    file.addClass({
      name: `Typed${connectionName}`,
      implements: [connectionName],
      properties: [{ name: 'connection', isReadonly: true, type: 'Connection' }],
      ctors: [
        { parameters: [{ name: 'connection', type: 'Connection' }], statements: ['this.connection = connection;'] },
      ],
      getAccessors: [
        { name: 'id', returnType: 'number', statements: ['return this.connection.id;'] },
        { name: 'remote', returnType: "Connection['remote']", statements: ['return this.connection.remote;'] },
        { name: 'state', returnType: 'Map<string, unknown>', statements: ['return this.connection.state;'] },
        { name: 'closed', returnType: 'boolean', statements: ['return this.connection.closed;'] },
      ],
      methods: [
        {
          name: 'send',
          parameters: [{ name: 'message', type: 'ServerMessage' }],
          returnType: 'void',
          statements: ['this.connection.send(encodeServerMessage(message));'],
        },
        { name: 'close', returnType: 'void', statements: ['this.connection.close();'] },
      ],
    });
    file.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      docs: ['One typed wrapper per engine connection, made on first use.'],
      declarations: [
        { name: 'typedConnections', type: `WeakMap<Connection, ${connectionName}>`, initializer: 'new WeakMap()' },
      ],
    });
    file.addFunctions([
      {
        name: 'typed',
        parameters: [{ name: 'connection', type: 'Connection' }],
        returnType: connectionName,
        statements: (writer) => {
          writer.writeLine('let typedConnection = typedConnections.get(connection);');
          writer.write('if (typedConnection === undefined)').block(() => {
            writer.writeLine(`typedConnection = new Typed${connectionName}(connection);`);
            writer.writeLine('typedConnections.set(connection, typedConnection);');
          });
          writer.writeLine('return typedConnection;');
        },
      },
      {
        name: 'sendReply',
        docs: ['Sends what a handler returned, once it is known; handlers that answer synchronously cost no promise.'],
        parameters: [
          { name: 'connection', type: 'Connection' },
          { name: 'reply', type: 'ServerMessage | void | Promise<ServerMessage | void>' },
        ],
        returnType: 'void | Promise<void>',
        statements: (writer) => {
          writer.write('if (reply instanceof Promise)').block(() => {
            writer.writeLine('return reply.then((message) => sendReply(connection, message));');
          });
          writer.write('if (reply !== undefined)').block(() => {
            writer.writeLine('connection.send(encodeServerMessage(reply as ServerMessage));');
          });
        },
      },
    ]);
  }

  const greeting = ir.behavior.greeting;
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
                writer.indent(() => writeBehavior(model, message, writer, codecImports));
              }
            });
          });
        writer.write(',').newLine();
        if (greeting !== null) {
          codecImports.add(`encode${greeting.message}`);
          writer.write('onConnect(connection: Connection): void').inlineBlock(() => {
            writer.writeLine(`connection.send(encode${greeting.message}(${composed(model, greeting, null)}));`);
          });
          writer.write(',').newLine();
        }
      });
      writer.write(';').newLine();
    },
  });
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

  file.addImportDeclarations([
    {
      moduleSpecifier: '@sockspec/server',
      isTypeOnly: true,
      namedImports: ['Connection', 'ProtocolServer', 'ServerHooks', 'ServerOptions', 'ServerProtocol'],
    },
    { moduleSpecifier: '@sockspec/server', namedImports: ['createProtocolServer'] },
    { moduleSpecifier: './codec.js', namedImports: [...codecImports].sort() },
  ]);
}

function writeBehavior(
  model: ProtocolModel,
  message: MessageModel,
  writer: CodeBlockWriter,
  codecImports: Set<string>,
): void {
  const behavior = message.behavior;
  if (behavior === null) return;
  switch (behavior.kind) {
    case 'echo': {
      const target = model.messages.find((candidate) => candidate.ir.name === behavior.message) ?? message;
      codecImports.add(`encode${target.name}`);
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
          writer.writeLine(`connection.send(encode${target.name}({ ...message, ${key}: prefixed }));`);
        } else {
          writer.writeLine(
            `connection.send(encode${target.name}({ ...message, ${key}: ${quote(behavior.prefix)} + ${value} }));`,
          );
        }
      }
      writer.writeLine('return;');
      return;
    }
    case 'reply': {
      const target = model.messages.find((candidate) => candidate.ir.name === behavior.reply.message);
      if (target === undefined) {
        throw new UnsupportedFeatureError(
          model.ir.sourceFile,
          'behavior',
          `a reply with unknown message ${behavior.reply.message}`,
        );
      }
      codecImports.add(`encode${target.name}`);
      writer.writeLine(`connection.send(encode${target.name}(${composed(model, behavior.reply, message)}));`);
      writer.writeLine('return;');
      return;
    }
    case 'handler':
      writer.writeLine(`return sendReply(connection, handlers.${handlerMethod(message)}(message, typed(connection)));`);
      return;
  }
}
