import { ComposedValues, checkSentByServer } from './composed-values.js';
import { describePath } from './describe.js';
import { didYouMean, listNames } from './diagnostics.js';
import type { PassContext } from './framing-pass.js';
import {
  type BehaviorIR,
  type BroadcastIR,
  type BroadcastTargetIR,
  type ComposedMessageIR,
  constantFor,
  type Direction,
  type ErrorsIR,
  type FieldIR,
  type HandlerBehaviorIR,
  type MessageBehaviorIR,
  type StreamIR,
  type ValueIR,
} from './ir.js';
import { manyReplies } from './many-replies.js';
import {
  BEHAVIOR_KEYS,
  type HeaderInfo,
  isHeaderRole,
  type MessageInfo,
  requestFieldOf,
  serverReceives,
} from './pass-types.js';
import { isRecord } from './records.js';
import { checkPairing, type PairingContext } from './reply-pairing.js';
import type { SpecPath } from './source.js';
import { describeKind } from './types.js';
import { compatibility } from './values.js';

/**
 * The behavior section and streams: what the generated server does with
 * each message (echo, reply, handler, declared steps), the errors message,
 * session values, many replies and quiet requests, all checked against the
 * messages already resolved.
 */
export class BehaviorPass {
  readonly #ctx: PassContext;
  /** The resolved header: which of its fields a caller must pass (quiet barriers). */
  readonly #headerFields: readonly FieldIR[];
  /** The barrier of the first quiet request: one client sends one kind of barrier. */
  #quietBarrier: string | null = null;

  /** Greetings, declared replies and broadcasts: messages built from the spec's values. */
  readonly #values: ComposedValues;

  constructor(ctx: PassContext, headerFields: readonly FieldIR[]) {
    this.#ctx = ctx;
    this.#values = new ComposedValues(ctx);
    this.#headerFields = headerFields;
  }

  /** What reply pairing needs: the header fields a message value has, and the header's correlation field. */
  #pairingContext(): PairingContext {
    const spec = this.#ctx.spec;
    const header = isRecord(spec.header) ? spec.header : {};
    const correlation = Object.keys(header).find((name) => {
      const field = header[name];
      return isRecord(field) && field.correlation === true;
    });
    return {
      report: this.#ctx.report,
      header: this.#headerFields.filter((field) => !isHeaderRole(spec, field.name)),
      correlation: correlation ?? null,
    };
  }

  /**
   * Checks each `stream:` and returns the streams by opening message, or
   * null after reporting a problem.
   */
  streams(messages: Map<string, MessageInfo | null>, header: HeaderInfo): Map<string, StreamIR> | null {
    const streams = new Map<string, StreamIR>();
    let ok = true;
    const sends = (from: Direction, sender: Direction) => from === sender || from === 'both';
    for (const m of messages.values()) {
      if (m === null || m.stream === null) continue;
      const path = [...m.path, 'stream'];
      if (header.correlation === null) {
        ok = false;
        this.#ctx.report.error(
          'stream-without-correlation',
          path,
          `message '${m.name}' opens a stream, but no header field is marked 'correlation: true' to tie its chunks to it`,
          'add a header field such as id: { type: u32, correlation: true }',
          'key',
        );
        continue;
      }
      if (m.from === 'both') {
        ok = false;
        this.#ctx.report.error(
          'stream-opener-direction',
          [...m.path, 'from'],
          `message '${m.name}' opens a stream, so it needs one sender, but it is from: both`,
          'set from: client (the client streams) or from: server (the server streams)',
        );
        continue;
      }
      const parts: StreamIR = { chunk: m.stream.chunk, end: m.stream.end };
      for (const role of ['chunk', 'end'] as const) {
        const name = parts[role];
        const part = messages.get(name);
        if (!messages.has(name)) {
          ok = false;
          this.#ctx.report.error(
            'unknown-message',
            [...path, role],
            `the stream of '${m.name}' names message '${name}' as its ${role}, but no such message is declared`,
            didYouMean(name, [...messages.keys()]) ?? `declared messages: ${[...messages.keys()].join(', ')}`,
          );
        } else if (part !== null && part !== undefined && !sends(part.from, m.from)) {
          ok = false;
          this.#ctx.report.error(
            'stream-part-direction',
            [...path, role],
            `the stream of '${m.name}' is sent by the ${m.from}, but its ${role} '${name}' is from: ${part.from}`,
            `set from: ${m.from} or both on '${name}'`,
          );
        } else if (name === m.name) {
          ok = false;
          this.#ctx.report.error(
            'stream-part-is-opener',
            [...path, role],
            `message '${m.name}' cannot be the ${role} of its own stream`,
            'declare separate chunk and end messages',
          );
        }
      }
      if (parts.chunk === parts.end) {
        ok = false;
        this.#ctx.report.error(
          'stream-chunk-is-end',
          [...path, 'end'],
          `the stream of '${m.name}' uses '${parts.end}' both as chunk and as end, so its end could not be told apart`,
          'declare a separate end message (it may have no fields)',
        );
      }
      streams.set(m.name, parts);
    }
    return ok ? streams : null;
  }

  behavior(messages: Map<string, MessageInfo | null>, streams: Map<string, StreamIR>): BehaviorIR | null {
    const raw = this.#ctx.spec.behavior;
    const entries = isRecord(raw) ? raw : {};
    let ok = raw === undefined || (isRecord(raw) && this.#ctx.ok(['behavior']));
    const names = [...messages.keys()];

    let greeting: ComposedMessageIR | null = null;
    const session = this.#sessionFields(entries, messages);
    if (entries.greeting !== undefined) {
      greeting = this.#values.composed(entries.greeting, ['behavior', 'greeting'], null, messages, 'greeting', session);
      if (greeting === null) ok = false;
    }
    const closeAfterGreeting = isRecord(entries.greeting) && entries.greeting.close === true;
    const idleTimeoutMs = typeof entries.idleTimeoutMs === 'number' ? entries.idleTimeoutMs : null;
    let errors: ErrorsIR | null = null;
    if (entries.errors !== undefined) {
      errors = this.#errors(entries.errors, messages);
      if (errors === null) ok = false;
    }
    // Chunks and ends of client streams go to their stream, never to behavior of their own.
    const streamParts = new Map<string, string>();
    for (const [opener, stream] of streams) {
      if (messages.get(opener)?.from !== 'client') continue;
      streamParts.set(stream.chunk, opener);
      streamParts.set(stream.end, opener);
    }

    const declared = new Map<string, MessageBehaviorIR | null>();
    for (const [key, entry] of Object.entries(entries)) {
      if (BEHAVIOR_KEYS.includes(key)) continue;
      const path = ['behavior', key];
      if (!messages.has(key)) {
        ok = false;
        this.#ctx.report.error(
          'unknown-behavior-message',
          path,
          `behavior for '${key}', which is not a message`,
          didYouMean(key, [...names, ...BEHAVIOR_KEYS]) ??
            `behavior keys are ${BEHAVIOR_KEYS.map((k) => `'${k}'`).join(', ')}, or names of messages the server receives`,
          'key',
        );
        continue;
      }
      const message = messages.get(key);
      if (message === null || message === undefined || !this.#ctx.ok(path) || !isRecord(entry)) {
        ok = false;
        continue;
      }
      if (!serverReceives(message.from)) {
        ok = false;
        this.#ctx.report.error(
          'behavior-on-server-message',
          path,
          `behavior for message '${key}', which the server sends but never receives (from: ${message.from})`,
          'behavior says what the server does with a message it receives; set from: client or both, or remove this entry',
          'key',
        );
        continue;
      }
      const opener = streamParts.get(key);
      if (opener !== undefined) {
        ok = false;
        this.#ctx.report.error(
          'behavior-on-stream-part',
          path,
          `behavior for message '${key}', which is part of the stream opened by '${opener}' and goes to that stream`,
          `remove this entry; the handler of '${opener}' receives the stream`,
          'key',
        );
        continue;
      }
      const ir = this.#messageBehavior(message, entry, path, messages, session, errors);
      if (ir === null) ok = false;
      declared.set(key, ir);
    }

    const onMessage: MessageBehaviorIR[] = [];
    for (const message of messages.values()) {
      if (message === null || !serverReceives(message.from) || streamParts.has(message.name)) continue;
      const ir = declared.get(message.name);
      if (ir === null) continue;
      onMessage.push(ir ?? { kind: 'handler', message: message.name, replies: [] });
    }
    return ok
      ? { greeting, closeAfterGreeting, idleTimeoutMs, onMessage, errors, session: [...session.values()] }
      : null;
  }

  #errors(raw: unknown, messages: Map<string, MessageInfo | null>): ErrorsIR | null {
    const path = ['behavior', 'errors'];
    if (!isRecord(raw) || !this.#ctx.ok(path)) return null;
    const name = String(raw.message);
    if (!checkSentByServer(this.#ctx, name, [...path, 'message'], messages, 'the errors entry')) return null;
    const message = messages.get(name);
    if (message === null || message === undefined || message.fields === null) return null;
    const fieldNames = message.fields.map((f) => f.name);
    const field = (key: 'reason' | 'text', kind: 'enum' | 'string') => {
      const wanted = String(raw[key]);
      const found = message.fields?.find((f) => f.name === wanted);
      if (found === undefined) {
        this.#ctx.report.error(
          'unknown-errors-field',
          [...path, key],
          `errors.${key} names field '${wanted}', but message '${name}' has no such field`,
          didYouMean(wanted, fieldNames) ?? `its fields are ${listNames(fieldNames)}`,
        );
        return null;
      }
      if (found.type.kind !== kind) {
        this.#ctx.report.error(
          'errors-field-type',
          [...path, key],
          `errors.${key} field '${wanted}' must be ${kind === 'enum' ? 'an enum' : 'a string'}, but it is ${describeKind(found.type)}`,
          kind === 'enum'
            ? 'give it an integer type with values: { name: number, ... }'
            : 'make it a string with a maxBytes',
        );
        return null;
      }
      return found;
    };
    const reason = field('reason', 'enum');
    const text = field('text', 'string');
    if (reason === null || text === null || reason.type.kind !== 'enum') return null;
    const valueNames = reason.type.values.map((v) => v.name);
    let ok = true;
    for (const key of ['badRequest', 'internal'] as const) {
      const wanted = String(raw[key]);
      if (valueNames.includes(wanted)) continue;
      ok = false;
      this.#ctx.report.error(
        'unknown-errors-reason',
        [...path, key],
        `errors.${key} is '${wanted}', which is not a value of '${reason.name}'`,
        didYouMean(wanted, valueNames) ?? `its values are ${listNames(valueNames)}`,
      );
    }
    if (message.fields.length !== 2) {
      // The engine fills the errors message from a reason and a text alone.
      const extra = fieldNames.filter((f) => f !== reason.name && f !== text.name);
      ok = false;
      this.#ctx.report.error(
        'errors-message-fields',
        [...path, 'message'],
        `the errors message '${name}' must have only the reason and text fields, but it also has ${listNames(extra)}`,
        `remove ${listNames(extra)} from '${name}'`,
      );
    }
    return ok
      ? {
          message: name,
          reasonField: reason.name,
          textField: text.name,
          badRequest: String(raw.badRequest),
          internal: String(raw.internal),
        }
      : null;
  }

  /**
   * The session values every message's `session:` declares, typed after the
   * request field each one copies. Collected first so that any message may
   * read a value another message remembers.
   */
  #sessionFields(entries: Record<string, unknown>, messages: Map<string, MessageInfo | null>): Map<string, FieldIR> {
    const session = new Map<string, FieldIR>();
    for (const [key, entry] of Object.entries(entries)) {
      const message = messages.get(key);
      if (message === null || message === undefined || message.fields === null) continue;
      if (!isRecord(entry) || !isRecord(entry.session) || !this.#ctx.ok(['behavior', key, 'session'])) continue;
      for (const [name, raw] of Object.entries(entry.session)) {
        const path = ['behavior', key, 'session', name];
        const wanted = requestFieldOf(raw);
        const from = wanted === null ? undefined : message.fields.find((f) => f.name === wanted);
        if (from === undefined) {
          this.#ctx.report.error(
            'invalid-session-value',
            path,
            `session value '${name}' of message '${key}' must copy a field of '${key}' ('$request.<field>'), got ${JSON.stringify(raw)}`,
            `its fields are ${listNames(message.fields.map((f) => f.name))}`,
          );
          continue;
        }
        const earlier = session.get(name);
        if (earlier !== undefined) {
          const fit = compatibility(from.type, earlier.type);
          if (!fit.ok && !fit.warn) {
            this.#ctx.report.error(
              'session-type-conflict',
              path,
              `session value '${name}' is set from '${key}.${from.name}' here, but an earlier message stores a different type: ${fit.reason}`,
              'copy fields of the same type into one session value, or use two names',
            );
          }
          continue;
        }
        session.set(name, { name, type: from.type, description: from.description });
      }
    }
    return session;
  }

  /** `quiet: { barrier }`: the barrier must be a request the client sends that gets a reply. */
  #quietRequest(
    handler: Record<string, unknown>,
    path: SpecPath,
    message: MessageInfo,
    messages: Map<string, MessageInfo | null>,
  ): { barrier: string } | undefined | null {
    const raw = handler.quiet;
    if (!isRecord(raw)) return undefined;
    const barrier = String(raw.barrier);
    const target = messages.get(barrier);
    const behavior = isRecord(this.#ctx.spec.behavior) ? this.#ctx.spec.behavior[barrier] : undefined;
    const answered =
      isRecord(behavior) &&
      isRecord(behavior.handler) &&
      Array.isArray(behavior.handler.replies) &&
      behavior.handler.replies.length > 0 &&
      !isRecord(behavior.handler.quiet) &&
      !isRecord(behavior.handler.many);
    if (
      target === undefined ||
      target === null ||
      !serverReceives(target.from) ||
      !answered ||
      barrier === message.name
    ) {
      this.#ctx.report.error(
        'quiet-barrier',
        [...path, 'quiet', 'barrier'],
        target === undefined
          ? `the barrier of quiet '${message.name}' is '${barrier}', which is not a message`
          : `the barrier of quiet '${message.name}' must be another request that always gets one reply, and '${barrier}' is not`,
        'name a request with handler: { replies: [...] } (memcached: barrier: Noop)',
      );
      return null;
    }
    // The client sends the barrier itself, so it must need nothing from the caller.
    const required = [
      ...this.#headerFields.filter(
        (field) =>
          constantFor(field, 'client') === null &&
          target.headerValues?.[field.name] === undefined &&
          field.computed === undefined &&
          field.checksum === undefined &&
          field.default === undefined &&
          !isHeaderRole(this.#ctx.spec, field.name),
      ),
      ...(target.fields ?? []).filter((field) => field.default === undefined),
    ].map((field) => field.name);
    if (required.length > 0) {
      this.#ctx.report.error(
        'quiet-barrier',
        [...path, 'quiet', 'barrier'],
        `the client sends the barrier '${barrier}' of quiet '${message.name}' itself, but it has fields a caller must give: ${listNames(required)}`,
        'use a barrier request whose fields all have a default (memcached: Noop)',
      );
      return null;
    }
    if (this.#quietBarrier !== null && this.#quietBarrier !== barrier) {
      this.#ctx.report.error(
        'quiet-barriers-differ',
        [...path, 'quiet', 'barrier'],
        `quiet '${message.name}' ends with barrier '${barrier}', but another quiet request ends with '${this.#quietBarrier}'`,
        `use one barrier for every quiet request ('${this.#quietBarrier}')`,
      );
      return null;
    }
    this.#quietBarrier = barrier;
    return { barrier };
  }

  #messageBehavior(
    message: MessageInfo,
    entry: Record<string, unknown>,
    path: SpecPath,
    messages: Map<string, MessageInfo | null>,
    session: Map<string, FieldIR>,
    errors: ErrorsIR | null,
  ): MessageBehaviorIR | null {
    const keys = Object.keys(entry);
    for (const alone of ['echo', 'handler'] as const) {
      if (entry[alone] === undefined || keys.length === 1) continue;
      const others = keys.filter((k) => k !== alone);
      this.#ctx.report.error(
        'behavior-combination',
        [...path, alone],
        `behavior of '${message.name}' combines '${alone}' with ${listNames(others)}, but ${alone === 'echo' ? 'echo sends the message back and nothing else' : 'a handler answers the message by itself'}`,
        alone === 'echo'
          ? `keep only 'echo', or replace it with declared steps`
          : `use 'guard: true' for application code that runs before declared steps, or keep only 'handler'`,
        'key',
      );
      return null;
    }
    if (isRecord(entry.echo)) {
      if (message.from !== 'both') {
        this.#ctx.report.error(
          'echo-direction',
          [...path, 'echo'],
          `echo on message '${message.name}' needs it to be from: both, since the server sends the same message back (it is from: ${message.from})`,
          `set from: both on '${message.name}', or use 'reply' with a message the server sends`,
          'key',
        );
        return null;
      }
      const prefix = typeof entry.echo.prefix === 'string' ? entry.echo.prefix : '';
      if (prefix === '') return { kind: 'echo', message: message.name, prefix, prefixField: null };
      if (message.fields === null) return null;
      const field = message.fields.find((f) => f.type.kind === 'string' || f.type.kind === 'bytes');
      if (field === undefined) {
        this.#ctx.report.error(
          'echo-prefix-without-text-field',
          [...path, 'echo', 'prefix'],
          `echo prefix for message '${message.name}' needs a string or bytes field to go in front of, and it has none`,
          "remove 'prefix', or add a string field to the message",
        );
        return null;
      }
      return { kind: 'echo', message: message.name, prefix, prefixField: field.name };
    }
    if (isRecord(entry.handler)) {
      const replies = Array.isArray(entry.handler.replies) ? (entry.handler.replies as string[]) : [];
      let ok = true;
      replies.forEach((reply, index) => {
        if (!checkSentByServer(this.#ctx, reply, [...path, 'handler', 'replies', index], messages, 'a handler reply')) {
          ok = false;
        }
      });
      if (!ok) return null;
      const base: HandlerBehaviorIR = { kind: 'handler', message: message.name, replies: [...new Set(replies)] };
      const many = manyReplies(this.#ctx, entry.handler, [...path, 'handler'], base.replies, messages);
      const quiet = this.#quietRequest(entry.handler, [...path, 'handler'], message, messages);
      const pairing = checkPairing(
        this.#pairingContext(),
        entry.handler,
        [...path, 'handler'],
        message,
        base.replies.flatMap((name) => messages.get(name) ?? []),
      );
      if (many === null || quiet === null || pairing === null) return null;
      return {
        ...base,
        ...(many === undefined ? {} : { many }),
        ...(quiet === undefined ? {} : { quiet }),
        ...pairing,
      };
    }
    if (keys.length === 1 && isRecord(entry.reply)) {
      const reply = this.#values.composed(entry.reply, [...path, 'reply'], message, messages, 'reply', session);
      return reply === null ? null : { kind: 'reply', message: message.name, reply };
    }
    return this.#declared(message, entry, path, messages, session, errors);
  }

  #declared(
    message: MessageInfo,
    entry: Record<string, unknown>,
    path: SpecPath,
    messages: Map<string, MessageInfo | null>,
    session: Map<string, FieldIR>,
    errors: ErrorsIR | null,
  ): MessageBehaviorIR | null {
    let ok = true;
    const guard = entry.guard === true;
    const errorsDeclared = isRecord(this.#ctx.spec.behavior) && this.#ctx.spec.behavior.errors !== undefined;
    if (guard && errors === null) ok = false;
    if (guard && errors === null && !errorsDeclared) {
      this.#ctx.report.error(
        'guard-without-errors',
        [...path, 'guard'],
        `behavior of '${message.name}' has a guard, but the protocol declares no errors message for a guard to refuse with`,
        'add behavior.errors: { message, reason, text, badRequest, internal }',
        'key',
      );
    }
    const sessionValues: { name: string; value: ValueIR }[] = [];
    if (isRecord(entry.session)) {
      for (const [name, raw] of Object.entries(entry.session)) {
        const field = requestFieldOf(raw);
        if (field === null || !session.has(name)) {
          ok = false;
          continue;
        }
        sessionValues.push({ name, value: { kind: 'request-field', field } });
      }
    }
    const joins = this.#groupField(message, entry.joins, [...path, 'joins']);
    const leaves = this.#groupField(message, entry.leaves, [...path, 'leaves']);
    if (joins === undefined || leaves === undefined) ok = false;
    let reply: ComposedMessageIR | null = null;
    if (entry.reply !== undefined) {
      reply = this.#values.composed(entry.reply, [...path, 'reply'], message, messages, 'reply', session);
      if (reply === null) ok = false;
    }
    const broadcasts: BroadcastIR[] = [];
    if (Array.isArray(entry.broadcast)) {
      entry.broadcast.forEach((raw: unknown, index) => {
        const itemPath = [...path, 'broadcast', index];
        if (!isRecord(raw) || !this.#ctx.ok(itemPath)) {
          ok = false;
          return;
        }
        const to = this.#broadcastTarget(message, raw.to, [...itemPath, 'to']);
        const composed = this.#values.composed(
          { message: raw.message, values: raw.values },
          itemPath,
          message,
          messages,
          'broadcast',
          session,
        );
        if (to === null || composed === null) ok = false;
        else broadcasts.push({ message: composed, to });
      });
    }
    if (!ok || joins === undefined || leaves === undefined) return null;
    return {
      kind: 'declared',
      message: message.name,
      guard,
      session: sessionValues,
      joins,
      leaves,
      reply,
      broadcasts,
    };
  }

  /** The request's string field naming a group; null when absent, undefined after reporting a problem. */
  #groupField(message: MessageInfo, raw: unknown, path: SpecPath): string | null | undefined {
    if (raw === undefined) return null;
    const name = String(raw);
    const fields = message.fields ?? [];
    const field = fields.find((f) => f.name === name);
    if (field === undefined) {
      this.#ctx.report.error(
        'unknown-group-field',
        path,
        `${describePath(path)} names field '${name}', but message '${message.name}' has no such field`,
        didYouMean(
          name,
          fields.map((f) => f.name),
        ) ?? `its fields are ${listNames(fields.map((f) => f.name))}`,
      );
      return undefined;
    }
    if (field.type.kind !== 'string') {
      this.#ctx.report.error(
        'group-field-type',
        path,
        `groups are named by strings, but field '${name}' of '${message.name}' is ${describeKind(field.type)}`,
        'name the group with a string field',
      );
      return undefined;
    }
    return name;
  }

  #broadcastTarget(message: MessageInfo, raw: unknown, path: SpecPath): BroadcastTargetIR | null {
    if (raw === 'all' || raw === 'others') return { kind: raw };
    if (!isRecord(raw)) return null;
    const field = this.#groupField(message, raw.group, [...path, 'group']);
    if (field === null || field === undefined) return null;
    return { kind: 'group', field, exceptSender: raw.except === 'sender' };
  }
}
