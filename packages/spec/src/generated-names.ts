import type { MessageIR, ProtocolIR, SwitchCaseIR, SwitchIR } from './ir.js';
import type { Reporter } from './report.js';

/**
 * Names the generated TypeScript declares or imports beside the spec's own
 * (a message `Foo` becomes the types `Foo` and `FooFields`). A message or
 * named type called like one of them would collide: TS2440 for `Answer`, a
 * shadowed global for `Error` or `Date`. `check` refuses them, so generate
 * never meets one.
 */
const GENERATED_NAMES: readonly string[] = [
  // Globals the generated code uses by name.
  'Array',
  'AsyncIterator',
  'BigInt',
  'DataView',
  'Date',
  'Error',
  'Extract',
  'JSON',
  'Map',
  'Number',
  'Omit',
  'Parameters',
  'Promise',
  'ReadonlyMap',
  'RegExp',
  'Required',
  'String',
  'Symbol',
  'TextEncoder',
  'Uint8Array',
  'WeakMap',
  // The generated package's own declarations.
  'Answer',
  'ClientMessage',
  'DELIMITER',
  'OmitFromCases',
  'ServerMessage',
  'PROTOCOL',
  // What it imports from the runtime packages.
  'ChecksumMismatchError',
  'ClientOptions',
  'CodecFailures',
  'ClientProtocol',
  'Connection',
  'ConstantMismatchError',
  'FieldTooLargeError',
  'FollowingStep',
  'FrameTooLargeError',
  'FramingConfig',
  'GroupLimitError',
  'InvalidFieldError',
  'InvalidUtf8Error',
  'OutgoingStream',
  'ProtocolServer',
  'ReceivedStream',
  'RemoteError',
  'ReplyStream',
  'RequestOptions',
  'ServerHooks',
  'ServerOptions',
  'ServerProtocol',
  'TextReader',
  'TextWriter',
  'TrailingBytesError',
  'TruncatedMessageError',
  'TypedClient',
  'TypedConnection',
  'TypedConnections',
  'UnknownMessageError',
  'WithStream',
];

/** `file-transfer` → `FileTransfer`: the prefix of the per-protocol names (`FileTransferClient`, …). */
function prefixOf(protocol: string): string {
  return protocol
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** `ok` → `Ok`, `1` → `1`, `-1` → `Minus1`, `true` → `True`: a switch case as part of a type name. */
function casePart(value: string | number | boolean): string {
  const text = String(value).replace(/^-/, 'Minus');
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The type of one case of a message's switch: `IncrementResult` with switch
 * `body` and case `ok` is `IncrementResultBodyOk`; the `_` case is
 * `…Otherwise`.
 */
export function switchCaseTypeName(message: string, switchIR: SwitchIR, caseIR: SwitchCaseIR): string {
  const value = caseIR.values?.[0];
  return `${message}${casePart(switchIR.name)}${value === undefined ? 'Otherwise' : casePart(value)}`;
}

/**
 * The types a message generates: `Foo` and `FooFields`, and with a switch
 * `FooCommon` (the fields every case has), `FooAnyCase` (every field, as the
 * encoder reads them) and one type per case.
 */
export function messageTypeNames(message: MessageIR): string[] {
  const switches = message.switches ?? [];
  if (switches.length === 0) return [message.name, `${message.name}Fields`];
  return [
    message.name,
    `${message.name}Fields`,
    `${message.name}Common`,
    `${message.name}AnyCase`,
    ...switches.flatMap((switchIR) => switchIR.cases.map((c) => switchCaseTypeName(message.name, switchIR, c))),
  ];
}

/** Every name a message or named type may not take in this protocol. */
export function generatedNames(protocol: string): ReadonlySet<string> {
  const prefix = prefixOf(protocol);
  const own = ['Client', 'Connection', 'Handlers', 'Session', 'Outgoing', 'Refusal'].map(
    (suffix) => `${prefix}${suffix}`,
  );
  return new Set([...GENERATED_NAMES, ...own]);
}

/** Reports messages and named types whose generated names would collide with the generator's or each other's. */
export function checkGeneratedNames(ir: ProtocolIR, report: Reporter): void {
  const reserved = generatedNames(ir.name);
  const messageTypes = new Map<string, string>();
  for (const message of ir.messages) {
    for (const name of messageTypeNames(message)) {
      const other = messageTypes.get(name);
      if (other !== undefined && name !== message.name) {
        report.error(
          'reserved-name',
          ['messages', message.name],
          `message '${message.name}' would generate the type ${name}, which message '${other}' already is or generates`,
          `rename one of the two messages, or the switch or case behind ${name}`,
          'key',
        );
      }
      messageTypes.set(name, message.name);
    }
  }
  const named = new Set<string>();
  const visit = (type: ProtocolIR['messages'][number]['fields'][number]['type']): void => {
    if (type.typeName !== undefined) named.add(type.typeName);
    if (type.kind === 'struct') for (const field of type.fields) visit(field.type);
    if (type.kind === 'array') visit(type.element);
    if (type.kind === 'optional') visit(type.value);
  };
  for (const message of ir.messages) for (const field of message.fields) visit(field.type);
  for (const field of ir.header) visit(field.type);
  for (const message of ir.messages) {
    for (const name of messageTypeNames(message)) {
      if (!reserved.has(name)) continue;
      report.error(
        'reserved-name',
        ['messages', message.name],
        `message '${message.name}' would generate the type ${name}, a name the generated code already uses`,
        `rename the message (for example ${message.name}Message or ${prefixOf(ir.name)}${message.name})`,
        'key',
      );
    }
  }
  for (const name of named) {
    const message = messageTypes.get(name);
    if (!reserved.has(name) && message === undefined) continue;
    report.error(
      'reserved-name',
      ['types', name],
      message === undefined
        ? `type '${name}' has a name the generated code already uses`
        : `type '${name}' has the name of a type message '${message}' generates`,
      `rename the type (for example ${name}Type)`,
      'key',
    );
  }
}
