import {
  type ErrorsIR,
  type FieldIR,
  generatedNames,
  type MessageBehaviorIR,
  type MessageIR,
  messageConstantFor,
  type ProtocolIR,
  type TypeIR,
} from '@sockspec/spec';
import { UnsupportedFeatureError } from './define.js';
import { camelCase, pascalCase } from './names.js';

/** What the emitters need about one message, derived once from the IR. */
export interface MessageModel {
  readonly ir: MessageIR;
  readonly name: string;
  readonly fieldsName: string;
  /** Header fields other than the discriminator, then the message's own fields, without constants: the interface's properties. */
  readonly fields: readonly FieldIR[];
  readonly fromClient: boolean;
  readonly fromServer: boolean;
  /** What the server does when it receives this message; null when only the server sends it. */
  readonly behavior: MessageBehaviorIR | null;
  /** Messages a client request of this type resolves with; empty when it gets no reply. */
  readonly replies: readonly string[];
  /** Set when the server receives this message as a chunk or the end of a client's stream. */
  readonly serverStreamPart: 'chunk' | 'end' | null;
  /** Set when the client receives this message as a chunk or the end of a server's stream. */
  readonly clientStreamPart: 'chunk' | 'end' | null;
}

export interface ProtocolModel {
  readonly ir: ProtocolIR;
  /** `Timestamp`, `FileTransfer`: prefix of the protocol's own type names. */
  readonly typePrefix: string;
  readonly messages: readonly MessageModel[];
  readonly clientMessages: readonly MessageModel[];
  readonly serverMessages: readonly MessageModel[];
  /** Named types from the spec's `types:`, in first-use order. */
  readonly namedTypes: readonly { readonly name: string; readonly type: TypeIR }[];
  /** Client request methods: message → method name. */
  readonly requestMethods: ReadonlyMap<string, string>;
  /** The header field pairing replies with requests, if any. */
  readonly correlation: FieldIR | null;
  readonly errors: ErrorsIR | null;
  /** True when declared behavior joins or leaves groups or broadcasts. */
  readonly usesGroups: boolean;
}

const CLIENT_MEMBERS = new Set(['send', 'on', 'close', 'closed', 'remote']);

export function buildModel(ir: ProtocolIR): ProtocolModel {
  const headerFields = ir.header.filter((field) => field.name !== ir.discriminator);
  const behaviorByMessage = new Map(ir.behavior.onMessage.map((behavior) => [behavior.message, behavior]));
  const streamParts = { client: new Map<string, 'chunk' | 'end'>(), server: new Map<string, 'chunk' | 'end'>() };
  for (const message of ir.messages) {
    if (message.stream === null) continue;
    // A client's stream is received by the server, and the other way round.
    const receiver = message.from === 'client' ? streamParts.server : streamParts.client;
    receiver.set(message.stream.chunk, 'chunk');
    receiver.set(message.stream.end, 'end');
  }
  const messages = ir.messages.map((message): MessageModel => {
    const fromClient = message.from !== 'server';
    const serverStreamPart = streamParts.server.get(message.name) ?? null;
    const behavior =
      fromClient && serverStreamPart === null
        ? (behaviorByMessage.get(message.name) ?? { kind: 'handler', message: message.name, replies: [] })
        : null;
    return {
      ir: message,
      name: pascalCase(message.name),
      fieldsName: `${pascalCase(message.name)}Fields`,
      fields: [...headerFields, ...message.fields].filter(
        (field) =>
          messageConstantFor(message, field) === null &&
          field.computed === undefined &&
          field.checksum === undefined &&
          field.presence === undefined,
      ),
      fromClient,
      fromServer: message.from !== 'client',
      behavior,
      replies: behavior === null ? [] : repliesOf(behavior),
      serverStreamPart,
      clientStreamPart: streamParts.client.get(message.name) ?? null,
    };
  });

  const namedTypes = new Map<string, TypeIR>();
  const visit = (type: TypeIR): void => {
    switch (type.kind) {
      case 'array':
        visit(type.element);
        break;
      case 'optional':
        visit(type.value);
        break;
      case 'struct':
        for (const field of type.fields) visit(field.type);
        break;
      default:
        break;
    }
    if (type.typeName !== undefined && !namedTypes.has(type.typeName)) namedTypes.set(type.typeName, type);
  };
  for (const message of messages) for (const field of message.fields) visit(field.type);
  for (const name of [...messages.map((message) => message.name), ...namedTypes.keys()]) {
    // check reports these first (reserved-name); kept so a hand-made IR cannot slip one past.
    if (generatedNames(ir.name).has(pascalCase(name))) {
      throw new UnsupportedFeatureError(
        ir.sourceFile,
        name,
        `the name ${name}, which would shadow a name the generated code uses`,
      );
    }
  }
  for (const name of namedTypes.keys()) {
    if (messages.some((message) => message.name === name || message.fieldsName === name)) {
      throw new UnsupportedFeatureError(ir.sourceFile, `type ${name}`, 'a named type with the same name as a message');
    }
  }

  const requestMethods = new Map<string, string>();
  for (const message of messages) {
    if (!message.fromClient || message.replies.length === 0) continue;
    const method = camelCase(message.name);
    requestMethods.set(message.name, CLIENT_MEMBERS.has(method) ? `${method}Request` : method);
  }

  return {
    ir,
    typePrefix: pascalCase(ir.name),
    messages,
    clientMessages: messages.filter((message) => message.fromClient),
    serverMessages: messages.filter((message) => message.fromServer),
    namedTypes: [...namedTypes].map(([name, type]) => ({ name, type })),
    requestMethods,
    correlation: ir.header.find((field) => field.name === ir.correlation) ?? null,
    errors: ir.behavior.errors,
    usesGroups: ir.behavior.onMessage.some(
      (behavior) =>
        behavior.kind === 'declared' &&
        (behavior.joins !== null || behavior.leaves !== null || behavior.broadcasts.length > 0),
    ),
  };
}

function repliesOf(behavior: MessageBehaviorIR): readonly string[] {
  switch (behavior.kind) {
    case 'echo':
      return [behavior.message];
    case 'reply':
      return [behavior.reply.message];
    case 'handler':
      return behavior.replies;
    case 'declared':
      return behavior.reply === null ? [] : [behavior.reply.message];
  }
}

/** The message model named `name`; the IR guarantees it exists. */
export function messageNamed(model: ProtocolModel, name: string): MessageModel {
  const found = model.messages.find((message) => message.ir.name === name);
  if (found === undefined) throw new UnsupportedFeatureError(model.ir.sourceFile, name, `unknown message ${name}`);
  return found;
}

/** The TypeScript type of a field's decoded value. Named types are referred to by name. */
/** Whether the message has `switch:` fields, which make its TypeScript type a union of cases. */
export function hasSwitches(message: MessageModel): boolean {
  return (message.ir.switches ?? []).length > 0;
}

/** Whether a field of the message has a default: then what a sender gives may leave fields out that a decoded message has. */
export function hasDefaults(message: MessageModel): boolean {
  return message.fields.some((field) => field.default !== undefined);
}

/**
 * `Omit<type, keys>` for a message's type; a message with `switch:` fields is
 * a union of cases, which Omit would flatten to what all cases share.
 */
export function omitFrom(message: MessageModel, type: string, keys: string): string {
  return `${hasSwitches(message) ? 'OmitFromCases' : 'Omit'}<${type}, ${keys}>`;
}

export function tsType(type: TypeIR, useNames = true): string {
  if (useNames && type.typeName !== undefined) return pascalCase(type.typeName);
  switch (type.kind) {
    case 'int':
      return type.bits === 64 ? 'bigint' : 'number';
    case 'bits':
      return type.width === 1 ? 'boolean' : 'number';
    case 'varint':
      return type.bits === 64 ? 'bigint' : 'number';
    case 'float':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'string':
      return 'string';
    case 'bytes':
      return 'Uint8Array';
    case 'timestamp':
      return 'Date';
    case 'enum':
      return type.values.map((value) => `'${value.name}'`).join(' | ');
    case 'flags':
      return `{ ${type.flags.map((flag) => `readonly ${flag.name}: boolean`).join('; ')} }`;
    case 'array': {
      const element = tsType(type.element);
      return /[|&]|^readonly /.test(element) ? `readonly (${element})[]` : `readonly ${element}[]`;
    }
    case 'struct':
      return `{ ${type.fields.map((field) => `readonly ${field.name}: ${tsType(field.type)}`).join('; ')} }`;
    case 'optional':
      return `${tsType(type.value)} | undefined`;
    case 'messages':
      return type.names.join(' | ');
  }
}
