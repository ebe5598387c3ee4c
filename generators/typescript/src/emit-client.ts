import type { FieldIR, HandlerBehaviorIR, IntTypeIR, ManyRepliesIR } from '@sockspec/spec';
import type { CodeBlockWriter, SourceFile } from 'ts-morph';
import { defaultLiteral } from './binary-emit-kit.js';
import { UnsupportedFeatureError } from './define.js';
import { describeWhen } from './layout.js';
import { type MessageModel, messageNamed, omitFrom, type ProtocolModel } from './model.js';
import { access, propertyKey, quote, withProperties } from './names.js';

function union(names: readonly string[]): string {
  return names.length === 0 ? 'never' : names.join(' | ');
}

interface RequestModel {
  readonly message: MessageModel;
  readonly method: string;
  /** What the request resolves with: its replies, those that open a stream with the stream added. */
  readonly replies: string;
  /** Messages that answer it, the errors message included (it rejects). */
  readonly answers: readonly string[];
  readonly guard: string;
  /** What the method returns: a promise of the reply, a stream of many, or a promise of a quiet reply or nothing. */
  readonly returns: string;
  readonly many: ManyRepliesIR | null;
  /** The barrier request's method, for a quiet request. */
  readonly barrier: string | null;
  /** The body field the request and its replies share (MQTT's packetId): assigned here, replies found by it. */
  readonly pairBy: FieldIR | null;
  /** Set when the request is answered only for some values: otherwise it is sent and resolves with undefined. */
  readonly when: NonNullable<HandlerBehaviorIR['when']> | null;
}

export function requestModels(model: ProtocolModel): RequestModel[] {
  return model.clientMessages.flatMap((message) => {
    const method = model.requestMethods.get(message.name);
    if (method === undefined) return [];
    const replies = message.replies.map((name) => {
      const reply = messageNamed(model, name);
      const stream = reply.ir.stream;
      if (stream === null) return reply.name;
      return `WithStream<${reply.name}, ${messageNamed(model, stream.chunk).name}, ${messageNamed(model, stream.end).name}>`;
    });
    const answers = [...message.replies];
    if (model.errors !== null && !answers.includes(model.errors.message)) answers.push(model.errors.message);
    const behavior = message.behavior?.kind === 'handler' ? message.behavior : null;
    const many = behavior?.many ?? null;
    const barrier = behavior?.quiet === undefined ? null : (model.requestMethods.get(behavior.quiet.barrier) ?? null);
    const when = behavior?.when ?? null;
    const pairBy =
      behavior?.pairBy === undefined ? null : (message.fields.find((field) => field.name === behavior.pairBy) ?? null);
    const returns =
      many !== null
        ? `ReplyStream<${union(replies)}>`
        : barrier !== null || when !== null
          ? `Promise<${union(replies)} | undefined>`
          : `Promise<${union(replies)}>`;
    return [
      {
        message,
        method,
        replies: union(replies),
        answers,
        guard: `is${message.name}Reply`,
        returns,
        many,
        barrier,
        pairBy,
        when,
      },
    ];
  });
}

export function emitClient(file: SourceFile, model: ProtocolModel): void {
  const { ir, typePrefix } = model;
  const clientName = `${typePrefix}Client`;
  const requests = requestModels(model);
  const correlation = ir.correlation === null ? null : ir.header.find((field) => field.name === ir.correlation);
  const correlationType = correlation?.type.kind === 'int' ? (correlation.type as IntTypeIR) : null;
  const pairedBy = new Map(requests.map((request) => [request.message.name, request.pairBy?.name ?? null]));
  const requestArgument = (message: MessageModel): string => {
    if (correlation !== null && correlation !== undefined)
      return omitFrom(message, message.fieldsName, quote(correlation.name));
    const paired = pairedBy.get(message.name) ?? null;
    // A paired id may be given (MQTT's PUBREL repeats its PUBLISH's packet id); left out, the client assigns one.
    return paired === null
      ? message.fieldsName
      : `${omitFrom(message, message.fieldsName, quote(paired))} & { readonly ${propertyKey(paired)}?: number }`;
  };
  /** Fields a caller must pass: the argument may be left out when there are none. */
  const ownFields = (message: MessageModel): number =>
    message.fields.filter(
      (field) =>
        field.name !== correlation?.name &&
        field.name !== pairedBy.get(message.name) &&
        field.default === undefined &&
        !(field.type.kind === 'optional' && field.type.when !== undefined),
    ).length;
  /** The second argument of a request that opens a stream: its chunks and end. */
  const streamArgument = (message: MessageModel): string | null => {
    const stream = message.ir.stream;
    if (stream === null) return null;
    return `OutgoingStream<${requestArgument(messageNamed(model, stream.chunk))}, ${requestArgument(messageNamed(model, stream.end))}>`;
  };

  file.addInterface({
    name: clientName,
    isExported: true,
    extends: ['TypedClient<Parameters<typeof encodeClientMessage>[0], ServerMessage>'],
    docs: [`A connected ${ir.name} client: a method per request, plus pushes, \`send\` and \`close\` (TypedClient).`],
    methods: [
      ...requests.map((request) => ({
        name: request.method,
        docs: [
          `Sends ${article(request.message.name)} ${request.message.name}${request.message.ir.stream === null ? '' : ` and then the stream's ${request.message.ir.stream.chunk} chunks and ${request.message.ir.stream.end}`} and resolves with the ${request.message.replies.join(' or ')} that answers it${model.errors === null ? '' : ` (a ${model.errors.message} rejects with a RemoteError)`}${request.when === null ? '' : `, when ${describeWhen(request.when)} (otherwise it is only sent, and resolves with undefined)`}.${correlation ? ` The ${correlation.name} is assigned here.` : request.pairBy !== null ? ` Without a ${request.pairBy.name}, one is assigned here, from 1 up.` : ''}`,
        ],
        parameters: [
          {
            name: 'message',
            type: requestArgument(request.message),
            hasQuestionToken: ownFields(request.message) === 0,
          },
          ...(request.message.ir.stream === null
            ? []
            : [{ name: 'stream', type: streamArgument(request.message) ?? '' }]),
          { name: 'options', type: 'RequestOptions', hasQuestionToken: true },
        ],
        returnType: request.returns,
      })),
    ],
  });

  file.addFunctions(
    requests.map((request) => ({
      name: request.guard,
      parameters: [{ name: 'message', type: 'ServerMessage' }],
      returnType: `message is ${union(request.answers.map((name) => messageNamed(model, name).name))}`,
      statements: `return ${request.answers.map((name) => `message.type === ${quote(name)}`).join(' || ')};`,
    })),
  );

  file.addFunction({
    name: 'createClient',
    isExported: true,
    isAsync: true,
    docs: [`Connects to ${article(ir.name)} ${ir.name} server (default transport tcp).`],
    parameters: [{ name: 'options', type: 'ClientOptions', initializer: '{}' }],
    returnType: `Promise<${clientName}>`,
    statements: (writer) => {
      writeClientProtocol(writer, model);
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
      for (const [name, bits] of pairCounters(requests)) {
        // Ids run from 1: MQTT forbids packet id 0 (2.3.1), and they wrap well after any request could be pending.
        const counter = `last${name[0]!.toUpperCase()}${name.slice(1)}`;
        writer.writeLine(`let ${counter} = 0;`);
        writer.writeLine(
          `const next${name[0]!.toUpperCase()}${name.slice(1)} = (): number => (${counter} = ${counter} === ${2 ** bits - 1} ? 1 : ${counter} + 1);`,
        );
      }
      const barriers = [...new Set(requests.flatMap((request) => (request.barrier === null ? [] : [request.barrier])))];
      if (barriers.length > 1) {
        throw new UnsupportedFeatureError(ir.sourceFile, 'behavior', 'quiet requests with different barriers');
      }
      if (barriers.length === 1) {
        // Quiet requests end with a barrier; the client sends it itself (see requestQuiet).
        writer.writeLine(`const barrier = (): Promise<unknown> => api.${barriers[0]}();`);
      }
      writer.write(barriers.length === 1 ? `const api: ${clientName} =` : 'return').inlineBlock(() => {
        writer.writeLine('...typedClient(client, encodeClientMessage),');
        for (const request of requests) {
          const streamParameter = streamArgument(request.message);
          writer.write(
            `${request.method}(message: ${requestArgument(request.message)}${ownFields(request.message) === 0 ? ' = {}' : ''}, ${streamParameter === null ? '' : `stream: ${streamParameter}, `}requestOptions?: RequestOptions): ${request.returns}`,
          );
          writer.inlineBlock(() => {
            const answers = union(request.answers.map((name) => messageNamed(model, name).name));
            // The errors message rejects inside the engine, so what resolves is one of the replies.
            const cast =
              request.answers.length > request.message.replies.length || request.replies.includes('WithStream<')
                ? ` as Promise<${request.replies}>`
                : '';
            const stream = request.message.ir.stream;
            if (correlation) {
              const key = propertyKey(correlation.name);
              // The engine finds the reply by its id in a Map (64-bit ids are matched by scanning, as numbers cannot hold them).
              const byId = correlationType?.bits === 64 ? '' : ', correlationId';
              // Found by id, the reply's id already matched: the type guard alone does, without a closure per request.
              const isReply =
                byId === ''
                  ? `(reply): reply is ${answers} => ${request.guard}(reply) && reply.${key} === correlationId`
                  : request.guard;
              const isStreamReply = `(reply): reply is ${answers} => ${request.guard}(reply) && reply.${key} === correlationId`;
              writer.writeLine('const correlationId = nextCorrelation();');
              if (stream !== null) {
                const chunk = messageNamed(model, stream.chunk);
                const end = messageNamed(model, stream.end);
                writer.writeLine(
                  `const chunks = mapChunks(stream.chunks, (chunk) => encode${chunk.name}(${withProperties('chunk', `${key}: correlationId`)}));`,
                );
                writer.writeLine(
                  `const end = () => encode${end.name}(${withProperties(`endOf(stream, {} as ${requestArgument(end)})`, `${key}: correlationId`)});`,
                );
                writer.writeLine(
                  `return client.requestWithStream(() => encode${request.message.name}(${withProperties('message', `${key}: correlationId`)}), chunks, end, ${isStreamReply}, requestOptions)${cast};`,
                );
              } else if (request.many !== null) {
                // The errors message fails the stream in the engine, so only the replies reach the end test and the consumer.
                const replyName = messageNamed(model, request.message.replies[0]!).name;
                const isEnd = [
                  `reply.type === ${quote(replyName)}`,
                  ...request.many.end.map(
                    (match) => `reply.${propertyKey(match.field)} === ${JSON.stringify(match.value)}`,
                  ),
                ].join(' && ');
                const streamCast = request.answers.length > 1 ? ` as unknown as ${request.returns}` : '';
                writer.writeLine(
                  `return client.requestMany(() => encode${request.message.name}(${withProperties('message', `${key}: correlationId`)}), ${isReply}, (reply) => ${isEnd}, ${request.many.endIncluded}, requestOptions${byId})${streamCast};`,
                );
              } else if (request.barrier !== null) {
                writer.writeLine(
                  `return client.requestQuiet(() => encode${request.message.name}(${withProperties('message', `${key}: correlationId`)}), ${isReply}, barrier, requestOptions${byId})${request.answers.length > 1 ? ` as ${request.returns}` : ''};`,
                );
              } else {
                writer.writeLine(
                  `return client.request(() => encode${request.message.name}(${withProperties('message', `${key}: correlationId`)}), ${isReply}, requestOptions${byId})${cast};`,
                );
              }
            } else if (request.pairBy !== null || request.when !== null) {
              writePairedRequest(writer, request, answers, cast);
            } else {
              writer.writeLine(
                `return client.request(() => encode${request.message.name}(message), ${request.guard}, requestOptions)${cast};`,
              );
            }
          });
          writer.write(',').newLine();
        }
      });
      writer.write(';').newLine();
      if (barriers.length === 1) writer.writeLine('return api;');
    },
  });

  if (model.errors !== null) {
    // Callers catch it to read the errors message; they should not need a second import for that.
    file.addExportDeclaration({ moduleSpecifier: '@sockspec/client', namedExports: ['RemoteError'] });
  }
}

/** The ClientProtocol object: how the engine tells errors, stream chunks and stream ends apart. */
function writeClientProtocol(writer: CodeBlockWriter, model: ProtocolModel): void {
  const { ir, errors, correlation } = model;
  const openers = model.serverMessages.filter((message) => message.ir.stream !== null);
  const parts = model.serverMessages.filter((message) => message.clientStreamPart !== null);
  // A correlation id lets the engine find each reply's request by id (and drop replies to requests that timed out).
  const paired = pairedReplies(model);
  const byId =
    (correlation !== null &&
      correlation.type.kind === 'int' &&
      correlation.type.bits !== 64 &&
      model.serverMessages.length > 0) ||
    paired.size > 0;
  if (errors === null && openers.length === 0 && !byId) {
    writer.writeLine(
      `const protocol: ClientProtocol<ServerMessage> = { name: ${quote(ir.name)}, framing, decode: decodeServerMessage };`,
    );
    return;
  }
  writer.write('const protocol: ClientProtocol<ServerMessage> =').inlineBlock(() => {
    writer.writeLine(`name: ${quote(ir.name)},`);
    writer.writeLine('framing,');
    writer.writeLine('decode: decodeServerMessage,');
    if (errors !== null) {
      const message = messageNamed(model, errors.message);
      writer.writeLine(
        `describeError: (message) => (message.type === ${quote(message.name)} ? \`\${${access('message', errors.reasonField)}}: \${${access('message', errors.textField)}}\` : null),`,
      );
    }
    if (correlation !== null && model.serverMessages.length > 0) {
      writer.writeLine(`correlationOf: (message) => ${access('message', correlation.name)},`);
    } else if (paired.size > 0) {
      // Only replies carry an id to pair by: a PUBLISH the broker pushes has a packet id of its own numbering.
      const cases = [...paired].map(([name, field]) => `message.type === ${quote(name)} ? ${access('message', field)}`);
      writer.writeLine(`correlationOf: (message) => (${cases.join(' : ')} : undefined),`);
    }
    if (openers.length > 0) {
      writer.writeLine(
        `opensStream: (message) => ${openers.map((message) => `message.type === ${quote(message.name)}`).join(' || ')},`,
      );
      const chunks = parts.filter((message) => message.clientStreamPart === 'chunk');
      const ends = parts.filter((message) => message.clientStreamPart === 'end');
      const test = (list: MessageModel[]) =>
        list.map((message) => `message.type === ${quote(message.name)}`).join(' || ');
      writer.writeLine(`streamPart: (message) => (${test(chunks)} ? 'chunk' : ${test(ends)} ? 'end' : null),`);
    }
  });
  writer.write(';').newLine();
}

/** One counter per pairing field, with the field's width (requests pairing by the same field share the id space). */
function pairCounters(requests: readonly RequestModel[]): Map<string, number> {
  const counters = new Map<string, number>();
  for (const request of requests) {
    const field = request.pairBy;
    if (field === null) continue;
    const type = field.type.kind === 'optional' ? field.type.value : field.type;
    counters.set(field.name, Math.max(counters.get(field.name) ?? 0, type.kind === 'int' ? type.bits : 32));
  }
  return counters;
}

/** Server messages that answer a request paired by a body field, with that field's name. */
function pairedReplies(model: ProtocolModel): Map<string, string> {
  const replies = new Map<string, string>();
  for (const request of requestModels(model)) {
    if (request.pairBy === null) continue;
    for (const name of request.answers) replies.set(name, request.pairBy.name);
  }
  return replies;
}

/** The test of a `when` on the caller's message (a field left out has its default). */
function whenTest(request: RequestModel): string {
  const when = request.when!;
  const field = request.message.fields.find((candidate) => candidate.name === when.field);
  const fallback = field === undefined ? null : defaultLiteral(field);
  const value = fallback === null ? access('message', when.field) : `(${access('message', when.field)} ?? ${fallback})`;
  return when.values.map((expected) => `${value} === ${JSON.stringify(expected)}`).join(' || ');
}

/**
 * A request paired by a body field and/or answered only for some values:
 * sent without waiting when `when` does not hold, else given the next id.
 */
function writePairedRequest(writer: CodeBlockWriter, request: RequestModel, answers: string, cast: string): void {
  const encode = `encode${request.message.name}`;
  if (request.when !== null) {
    writer.write(`if (!(${whenTest(request)}))`).block(() => {
      writer.write('try').block(() => writer.writeLine(`client.send(${encode}(message));`));
      writer.write('catch (error)').block(() => writer.writeLine('return Promise.reject(error);'));
      writer.writeLine('return Promise.resolve(undefined);');
    });
  }
  const field = request.pairBy;
  if (field === null) {
    writer.writeLine(`return client.request(() => ${encode}(message), ${request.guard}, requestOptions)${cast};`);
    return;
  }
  const key = propertyKey(field.name);
  writer.writeLine(
    `const ${field.name} = ${access('message', field.name)} ?? next${field.name[0]!.toUpperCase()}${field.name.slice(1)}();`,
  );
  writer.writeLine(
    `return client.request(() => ${encode}(${withProperties('message', key === field.name ? key : `${key}: ${field.name}`)}), (reply): reply is ${answers} => ${request.guard}(reply) && reply.${key} === ${field.name}, requestOptions, ${field.name})${cast};`,
  );
}

/** "a" or "an", by the first letter of a message name: good enough for PascalCase names. */
function article(name: string): string {
  return /^[AEIOUaeiou]/.test(name) ? 'an' : 'a';
}
