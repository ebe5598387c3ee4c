import { didYouMean, listNames } from './diagnostics.js';
import type { PassContext } from './framing-pass.js';
import type { ManyRepliesIR } from './ir.js';
import type { MessageInfo } from './pass-types.js';
import { isRecord } from './records.js';
import type { SpecPath } from './source.js';
import { describeKind } from './types.js';

/**
 * `many: { until | through: { field: value } }`: the request is answered by
 * a sequence of its one reply message, ended by the reply that matches.
 * Undefined when not declared; null after reporting.
 */
export function manyReplies(
  ctx: PassContext,
  handler: Record<string, unknown>,
  path: SpecPath,
  replies: readonly string[],
  messages: Map<string, MessageInfo | null>,
): ManyRepliesIR | undefined | null {
  const raw = handler.many;
  if (!isRecord(raw)) return undefined;
  const manyPath = [...path, 'many'];
  const keys = ['until', 'through'].filter((key) => raw[key] !== undefined);
  if (keys.length !== 1) {
    ctx.report.error(
      'many-end',
      manyPath,
      keys.length === 0
        ? 'many replies need the reply that ends them'
        : "many replies end either 'until' a reply (which is not one of them) or 'through' it, not both",
      "write until: { <field>: <value> } (memcached STAT: until: { key: '' }) or through: { <field>: <value> }",
      'key',
    );
    return null;
  }
  if (replies.length !== 1) {
    ctx.report.error(
      'many-replies-message',
      [...path, 'replies'],
      `many replies are all one message, but the handler lists ${replies.length === 0 ? 'none' : listNames(replies)}`,
      'list exactly one reply message',
    );
    return null;
  }
  const reply = messages.get(replies[0]!);
  if (reply === null || reply === undefined || reply.fields === null) return null;
  const key = keys[0] as 'until' | 'through';
  const match = raw[key] as Record<string, unknown>;
  const end: { field: string; value: string | number | boolean }[] = [];
  let ok = true;
  for (const [name, value] of Object.entries(match)) {
    const field = reply.fields.find((candidate) => candidate.name === name);
    const kind = field?.type.kind;
    const fits =
      (typeof value === 'string' && (kind === 'string' || kind === 'enum')) ||
      (typeof value === 'number' && (kind === 'int' || kind === 'bits')) ||
      (typeof value === 'boolean' && (kind === 'bool' || kind === 'bits'));
    if (field === undefined || !fits) {
      ok = false;
      ctx.report.error(
        'many-end-field',
        [...manyPath, key, name],
        field === undefined
          ? `the end of the replies names field '${name}', but message '${reply.name}' has no such field`
          : `the end of the replies compares field '${name}' (${describeKind(field.type)}) with ${JSON.stringify(value)}`,
        field === undefined
          ? (didYouMean(
              name,
              reply.fields.map((f) => f.name),
            ) ?? `its fields are ${listNames(reply.fields.map((f) => f.name))}`)
          : 'compare a string or enum with a string, an integer with a number, a bool with true or false',
      );
      continue;
    }
    end.push({ field: name, value: value as string | number | boolean });
  }
  return ok ? { end, endIncluded: key === 'through' } : null;
}
