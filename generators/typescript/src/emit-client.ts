import type { IntTypeIR } from '@sockspec/spec';
import type { SourceFile } from 'ts-morph';
import type { MessageModel, ProtocolModel } from './model.js';
import { propertyKey, quote } from './names.js';

function union(names: readonly string[]): string {
  return names.length === 0 ? 'never' : names.join(' | ');
}

interface RequestModel {
  readonly message: MessageModel;
  readonly method: string;
  readonly replies: string;
  readonly guard: string;
}

export function requestModels(model: ProtocolModel): RequestModel[] {
  return model.clientMessages.flatMap((message) => {
    const method = model.requestMethods.get(message.name);
    if (method === undefined) return [];
    const replies = message.replies.map(
      (name) => model.messages.find((candidate) => candidate.ir.name === name)?.name ?? name,
    );
    return [{ message, method, replies: union(replies), guard: `is${message.name}Reply` }];
  });
}

export function emitClient(file: SourceFile, model: ProtocolModel): void {
  const { ir, typePrefix } = model;
  const clientName = `${typePrefix}Client`;
  const requests = requestModels(model);
  const correlation = ir.correlation === null ? null : ir.header.find((field) => field.name === ir.correlation);
  const correlationType = correlation?.type.kind === 'int' ? (correlation.type as IntTypeIR) : null;
  const codecImports = new Set(['decodeServerMessage', 'encodeClientMessage', 'framing']);
  const requestArgument = (message: MessageModel): string =>
    correlation === null || correlation === undefined
      ? message.fieldsName
      : `Omit<${message.fieldsName}, ${quote(correlation.name)}>`;

  file.addInterface({
    name: clientName,
    isExported: true,
    docs: [`A connected ${ir.name} client.`],
    methods: [
      ...requests.map((request) => ({
        name: request.method,
        docs: [
          `Sends a ${request.message.name} and resolves with the ${request.replies.split(' | ').join(' or ')} that answers it.${correlation ? ` The ${correlation.name} is assigned here.` : ''}`,
        ],
        parameters: [
          { name: 'message', type: requestArgument(request.message) },
          { name: 'options', type: 'RequestOptions', hasQuestionToken: true },
        ],
        returnType: `Promise<${request.replies}>`,
      })),
      {
        name: 'send',
        docs: ['Sends any client message without waiting for an answer.'],
        parameters: [{ name: 'message', type: 'ClientMessage' }],
        returnType: 'void',
      },
      {
        name: 'on',
        docs: [
          'Listens for server messages of one type that answer no request; returns a function that stops listening.',
        ],
        typeParameters: [{ name: 'K', constraint: "ServerMessage['type']" }],
        parameters: [
          { name: 'type', type: 'K' },
          { name: 'listener', type: '(message: Extract<ServerMessage, { type: K }>) => void' },
        ],
        returnType: '() => void',
      },
      {
        name: '[Symbol.asyncIterator]',
        docs: ['Server messages that answer no request, in order; ends when the connection closes.'],
        returnType: 'AsyncIterator<ServerMessage>',
      },
      { name: 'close', docs: ['Closes the connection; pending requests reject.'], returnType: 'Promise<void>' },
    ],
    properties: [
      {
        name: 'closed',
        isReadonly: true,
        type: 'Promise<Error | undefined>',
        docs: ['Resolves when the connection has closed, with the error that closed it if any.'],
      },
      { name: 'remote', isReadonly: true, type: "ProtocolClient<ServerMessage>['remote']" },
    ],
  });

  file.addFunctions(
    requests.map((request) => ({
      name: request.guard,
      parameters: [{ name: 'message', type: 'ServerMessage' }],
      returnType: `message is ${request.replies}`,
      statements: `return ${request.message.replies.map((name) => `message.type === ${quote(name)}`).join(' || ')};`,
    })),
  );

  file.addFunction({
    name: 'createClient',
    isExported: true,
    isAsync: true,
    docs: [`Connects to a ${ir.name} server (default transport tcp).`],
    parameters: [{ name: 'options', type: 'ClientOptions', initializer: '{}' }],
    returnType: `Promise<${clientName}>`,
    statements: (writer) => {
      writer.writeLine(
        `const protocol: ClientProtocol<ServerMessage> = { name: ${quote(ir.name)}, framing, decode: decodeServerMessage };`,
      );
      writer.writeLine('const client = await connectProtocolClient(protocol, options);');
      if (correlation && correlationType) {
        const big = correlationType.bits === 64;
        const max = big
          ? `${2n ** BigInt(correlationType.signed ? 63 : 64) - 1n}n`
          : String(2 ** (correlationType.signed ? correlationType.bits - 1 : correlationType.bits) - 1);
        writer.writeLine(`let lastCorrelation = ${big ? '0n' : '0'};`);
        writer.write(`const nextCorrelation = (): ${big ? 'bigint' : 'number'} =>`).inlineBlock(() => {
          // Ids wrap around well after any request could still be pending.
          writer.writeLine(
            `lastCorrelation = lastCorrelation === ${max} ? ${big ? '1n' : '1'} : lastCorrelation + ${big ? '1n' : '1'};`,
          );
          writer.writeLine('return lastCorrelation;');
        });
        writer.write(';').newLine();
      }
      writer.write('return').inlineBlock(() => {
        for (const request of requests) {
          codecImports.add(`encode${request.message.name}`);
          writer.write(
            `${request.method}(message: ${requestArgument(request.message)}, requestOptions?: RequestOptions): Promise<${request.replies}>`,
          );
          writer.inlineBlock(() => {
            if (correlation) {
              const key = propertyKey(correlation.name);
              writer.writeLine('const correlationId = nextCorrelation();');
              writer.writeLine(
                `return client.request(encode${request.message.name}({ ...message, ${key}: correlationId }), (reply): reply is ${request.replies} => ${request.guard}(reply) && reply.${key} === correlationId, requestOptions);`,
              );
            } else {
              writer.writeLine(
                `return client.request(encode${request.message.name}(message), ${request.guard}, requestOptions);`,
              );
            }
          });
          writer.write(',').newLine();
        }
        writer.write('send(message: ClientMessage): void').inlineBlock(() => {
          writer.writeLine('client.send(encodeClientMessage(message));');
        });
        writer.write(',').newLine();
        writer
          .write(
            "on<K extends ServerMessage['type']>(type: K, listener: (message: Extract<ServerMessage, { type: K }>) => void): () => void",
          )
          .inlineBlock(() => {
            writer.write('return client.onMessage((message) =>').inlineBlock(() => {
              writer.writeLine('if (message.type === type) listener(message as Extract<ServerMessage, { type: K }>);');
            });
            writer.write(');').newLine();
          });
        writer.write(',').newLine();
        writer.writeLine('[Symbol.asyncIterator]: () => client[Symbol.asyncIterator](),');
        writer.writeLine('close: () => client.close(),');
        writer.writeLine('closed: client.closed,');
        writer.writeLine('remote: client.remote,');
      });
      writer.write(';').newLine();
    },
  });

  file.addImportDeclarations([
    {
      moduleSpecifier: '@sockspec/client',
      isTypeOnly: true,
      namedImports: ['ClientOptions', 'ClientProtocol', 'ProtocolClient', 'RequestOptions'],
    },
    { moduleSpecifier: '@sockspec/client', namedImports: ['connectProtocolClient'] },
    { moduleSpecifier: './codec.js', namedImports: [...codecImports].sort() },
  ]);
}
