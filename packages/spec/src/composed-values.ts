import { describePath } from './describe.js';
import { didYouMean, listNames } from './diagnostics.js';
import type { PassContext } from './framing-pass.js';
import { type ComposedMessageIR, constantFor, type FieldIR, type ValueIR } from './ir.js';
import { type MessageInfo, requestFieldOf, serverSends } from './pass-types.js';
import { isRecord } from './records.js';
import type { SpecPath } from './source.js';
import { describeKind } from './types.js';
import { compatibility, literalValue } from './values.js';

/**
 * Messages the server composes from the spec alone (a greeting, a declared
 * reply, a broadcast): each field's value is a literal, `$now`, a field of
 * the request (`$request.<field>`) or a session value (`$session.<name>`),
 * checked against the field it fills.
 */

/** True when `name` is a message the server sends; reports otherwise. */
export function checkSentByServer(
  ctx: PassContext,
  name: string,
  path: SpecPath,
  messages: Map<string, MessageInfo | null>,
  role: string,
): boolean {
  if (!messages.has(name)) {
    ctx.report.error(
      'unknown-message',
      path,
      `${role} names message '${name}', which is not declared`,
      didYouMean(name, [...messages.keys()]) ?? `declared messages: ${[...messages.keys()].join(', ')}`,
    );
    return false;
  }
  const message = messages.get(name);
  if (message === null || message === undefined) return false;
  if (!serverSends(message.from)) {
    ctx.report.error(
      role === 'the greeting' ? 'greeting-not-sent-by-server' : 'reply-not-sent-by-server',
      path,
      `${role} uses message '${name}', but the server never sends it (it is from: ${message.from})`,
      `set from: server or both on '${name}', or pick a message the server sends`,
    );
    return false;
  }
  return true;
}

export class ComposedValues {
  readonly #ctx: PassContext;

  constructor(ctx: PassContext) {
    this.#ctx = ctx;
  }

  /** A greeting or reply: a message plus a value for each of its fields. */
  composed(
    raw: unknown,
    path: SpecPath,
    request: MessageInfo | null,
    messages: Map<string, MessageInfo | null>,
    role: 'greeting' | 'reply' | 'broadcast',
    session: Map<string, FieldIR>,
  ): ComposedMessageIR | null {
    if (!isRecord(raw) || !this.#ctx.ok(path)) return null;
    const name = raw.message as string;
    const roleText =
      role === 'greeting'
        ? 'the greeting'
        : role === 'reply'
          ? `the reply to '${request?.name}'`
          : `the broadcast on '${request?.name}'`;
    if (!checkSentByServer(this.#ctx, name, [...path, 'message'], messages, roleText)) return null;
    const target = messages.get(name);
    if (target === null || target === undefined || target.fields === null) return null;
    if (request !== null && request.fields === null) return null;
    const values = isRecord(raw.values) ? raw.values : {};
    let ok = true;
    const fieldNames = target.fields.map((f) => f.name);
    for (const key of Object.keys(values)) {
      if (fieldNames.includes(key)) continue;
      ok = false;
      const wire = target.wireFields?.find((f) => f.name === key);
      if (wire?.computed === true) {
        this.#ctx.report.error(
          'value-for-computed',
          [...path, 'values', key],
          `${roleText} gives a value for '${key}', but another field of message '${name}' takes its size from it, so the encoder fills it in`,
          `remove '${key}' from 'values'`,
          'key',
        );
        continue;
      }
      const constant = wire === undefined ? null : constantFor(wire, target.from);
      if (constant !== null) {
        this.#ctx.report.error(
          'value-for-constant',
          [...path, 'values', key],
          `${roleText} gives a value for '${key}', but it is a constant of message '${name}' (${constant.display}), which the encoder always writes`,
          `remove '${key}' from 'values'`,
          'key',
        );
        continue;
      }
      this.#ctx.report.error(
        'unknown-value-field',
        [...path, 'values', key],
        `${roleText} gives a value for '${key}', but message '${name}' has no such field`,
        didYouMean(key, fieldNames) ?? `its fields are ${listNames(fieldNames)}`,
        'key',
      );
    }
    const missing = fieldNames.filter((f) => !Object.hasOwn(values, f));
    if (missing.length > 0) {
      ok = false;
      this.#ctx.report.error(
        'missing-values',
        raw.values === undefined ? path : [...path, 'values'],
        `${roleText} gives no value for ${missing.length === 1 ? 'field' : 'fields'} ${listNames(missing)} of message '${name}'`,
        "add them under 'values:' ($now for the current time, $request.<field> to copy from the request)",
        raw.values === undefined ? 'key' : 'value',
      );
    }
    const out: { field: string; value: ValueIR }[] = [];
    for (const field of target.fields) {
      if (!Object.hasOwn(values, field.name)) continue;
      const value = this.#value(field, values[field.name], [...path, 'values', field.name], request, roleText, session);
      if (value === null) ok = false;
      else out.push({ field: field.name, value });
    }
    return ok ? { message: name, values: out } : null;
  }

  #value(
    field: FieldIR,
    raw: unknown,
    path: SpecPath,
    request: MessageInfo | null,
    roleText: string,
    session: Map<string, FieldIR>,
  ): ValueIR | null {
    if (typeof raw === 'string' && raw.startsWith('$') && !raw.startsWith('$$')) {
      if (raw === '$now') {
        const inner = field.type.kind === 'optional' ? field.type.value : field.type;
        if (inner.kind !== 'timestamp') {
          this.#ctx.report.error(
            'now-on-non-timestamp',
            path,
            `'$now' in ${describePath(path)} needs a timestamp field, but '${field.name}' is ${describeKind(field.type)}`,
            'make the field a timestamp, or give a literal value',
          );
          return null;
        }
        return { kind: 'now' };
      }
      const sessionMatch = /^\$session\.(.+)$/.exec(raw);
      if (sessionMatch !== null)
        return this.#sessionValue(field, sessionMatch[1]!, raw, path, request, roleText, session);
      const wanted = requestFieldOf(raw);
      if (wanted !== null) {
        if (request === null) {
          this.#ctx.report.error(
            'request-value-in-greeting',
            path,
            `'${raw}' in ${describePath(path)} refers to a request, but ${roleText} is not sent in answer to one`,
            'use a literal value or $now',
          );
          return null;
        }
        const from = request.fields?.find((f) => f.name === wanted);
        if (from === undefined) {
          this.#ctx.report.error(
            'unknown-request-field',
            path,
            `'${raw}' in ${describePath(path)}: message '${request.name}' has no field '${wanted}'`,
            didYouMean(
              wanted,
              (request.fields ?? []).map((f) => f.name),
            ) ?? `its fields are ${listNames((request.fields ?? []).map((f) => f.name))}`,
          );
          return null;
        }
        const fit = compatibility(from.type, field.type);
        if (!fit.ok) {
          const message = `'${raw}' cannot fill field '${field.name}' of ${roleText}: ${fit.reason}`;
          if (fit.warn) {
            this.#ctx.report.warning('request-field-may-not-fit', path, message, "align the two fields' maxBytes");
          } else {
            this.#ctx.report.error('incompatible-request-field', path, message, 'copy a field of a matching type');
            return null;
          }
        }
        return { kind: 'request-field', field: wanted };
      }
      this.#ctx.report.error(
        'invalid-value-expression',
        path,
        `'${raw}' in ${describePath(path)} is not a known expression`,
        `use $now, $request.<field> or $session.<name>; write '$${raw}' for the literal text '${raw}'`,
      );
      return null;
    }
    const literal = typeof raw === 'string' && raw.startsWith('$$') ? raw.slice(1) : raw;
    return literalValue(field.type, literal, path, this.#ctx.source, this.#ctx.report);
  }
  #sessionValue(
    field: FieldIR,
    name: string,
    raw: string,
    path: SpecPath,
    request: MessageInfo | null,
    roleText: string,
    session: Map<string, FieldIR>,
  ): ValueIR | null {
    if (request === null) {
      this.#ctx.report.error(
        'session-value-in-greeting',
        path,
        `'${raw}' in ${describePath(path)} reads the session, but ${roleText} is sent before the client has sent anything`,
        'use a literal value or $now',
      );
      return null;
    }
    const stored = session.get(name);
    if (stored === undefined) {
      this.#ctx.report.error(
        'unknown-session-value',
        path,
        `'${raw}' in ${describePath(path)}: no message stores a session value '${name}'`,
        didYouMean(name, [...session.keys()]) ??
          "store it first with session: { <name>: $request.<field> } in another message's behavior",
      );
      return null;
    }
    const fit = compatibility(stored.type, field.type);
    if (!fit.ok) {
      const message = `'${raw}' cannot fill field '${field.name}' of ${roleText}: ${fit.reason}`;
      if (!fit.warn) {
        this.#ctx.report.error('incompatible-session-value', path, message, 'store a value of a matching type');
        return null;
      }
      this.#ctx.report.warning('session-value-may-not-fit', path, message, "align the two fields' maxBytes");
    }
    return { kind: 'session', name };
  }
}
