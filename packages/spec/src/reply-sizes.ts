import type { ComposedMessageIR, FieldIR, MessageIR, ProtocolIR, TypeIR, ValueIR } from './ir.js';
import type { Reporter } from './report.js';

/** ctime ('Mon Nov  3 09:05:03 2026') and ISO 8601 UTC ('2026-11-03T09:05:03.000Z') are both 24 characters. */
const TEXT_TIMESTAMP_BYTES = 24;

/**
 * A pass over the finished IR of a text protocol: every reply the server
 * declares must fit one frame for the largest request the decoder accepts.
 * Otherwise the decoder takes a line the server then cannot answer (issue 13:
 * a 4,069–4,095-byte Stamp decoded, and its Stamped, 27 bytes longer, failed
 * to encode: 'handler failed' and a closed connection). The fix is in the
 * spec (a maxBytes on the request's field, or a larger frame), so check says
 * which, with the numbers.
 */
export function checkReplySizes(ir: ProtocolIR, report: Reporter): void {
  if (ir.encoding !== 'text' || ir.framing.kind !== 'delimited') return;
  const delimiterBytes = ir.framing.delimiter.length;
  const maxFrameBytes = ir.framing.maxFrameBytes;
  const messages = new Map(ir.messages.map((message) => [message.name, message]));
  for (const behavior of ir.behavior.onMessage) {
    const request = messages.get(behavior.message);
    if (request === undefined) continue;
    let reply: ComposedMessageIR | null = null;
    let path: (string | number)[] = ['behavior', behavior.message];
    if (behavior.kind === 'reply') {
      reply = behavior.reply;
      path = [...path, 'reply'];
    } else if (behavior.kind === 'declared' && behavior.reply !== null) {
      reply = behavior.reply;
      path = [...path, 'reply'];
    } else if (behavior.kind === 'echo') {
      // The echo is the request again, the prefix in front of its first field.
      const largest = largestLine(request, maxFrameBytes - delimiterBytes) + Buffer.byteLength(behavior.prefix);
      if (largest + delimiterBytes > maxFrameBytes) {
        report.error(
          'reply-may-exceed-frame',
          [...path, 'echo', 'prefix'],
          `the echo of the longest ${request.name} the decoder accepts is ${largest + delimiterBytes} bytes with its prefix, more than maxFrameBytes ${maxFrameBytes}`,
          request.fields.length === 1
            ? `give field '${request.fields[0]?.name}' of '${request.name}' maxBytes: ${maxFrameBytes - delimiterBytes - Buffer.byteLength(behavior.prefix) - literalBytes(request)}, or raise maxFrameBytes to ${largest + delimiterBytes}`
            : `give the fields of '${request.name}' maxBytes that leave ${Buffer.byteLength(behavior.prefix)} bytes for the prefix, or raise maxFrameBytes to ${largest + delimiterBytes}`,
        );
      }
      continue;
    }
    if (reply === null) continue;
    const target = messages.get(reply.message);
    if (target?.line === null || target === undefined) continue;
    const requestBudget = maxFrameBytes - delimiterBytes - literalBytes(request);
    let total = literalBytes(target) + delimiterBytes;
    let copied: { field: FieldIR; bytes: number } | null = null;
    for (const part of target.line.parts) {
      if (part.kind !== 'field') continue;
      const value = reply.values.find((entry) => entry.field === part.name)?.value;
      const field = target.fields.find((candidate) => candidate.name === part.name);
      if (value === undefined || field === undefined) return;
      const bytes = valueBytes(value, field.type, request, requestBudget);
      if (bytes === null) return;
      if (value.kind === 'request-field' && (copied === null || bytes > copied.bytes)) {
        const source = request.fields.find((candidate) => candidate.name === value.field);
        if (source !== undefined) copied = { field: source, bytes };
      }
      total += bytes;
    }
    if (total <= maxFrameBytes) continue;
    const room = copied === null ? null : copied.bytes - (total - maxFrameBytes);
    report.error(
      'reply-may-exceed-frame',
      path,
      `the ${target.name} reply to the longest ${request.name} the decoder accepts is ${total} bytes, more than maxFrameBytes ${maxFrameBytes}, so such a request could not be answered`,
      copied !== null && room !== null && room >= 0
        ? `give field '${copied.field.name}' of '${request.name}' maxBytes: ${room} (the decoder then refuses longer lines), or raise maxFrameBytes to ${total}`
        : `raise maxFrameBytes to ${total}`,
    );
  }
}

/** Bytes of a line template's literal parts. */
function literalBytes(message: MessageIR): number {
  let bytes = 0;
  for (const part of message.line?.parts ?? []) if (part.kind === 'literal') bytes += Buffer.byteLength(part.text);
  return bytes;
}

/** The longest line of a message the decoder accepts, without its delimiter: the frame, or the sum of the field limits if smaller. */
function largestLine(message: MessageIR, budget: number): number {
  let fields = literalBytes(message);
  for (const field of message.fields) {
    const bytes = maxTextBytes(field.type);
    if (bytes === null) return budget;
    fields += bytes;
  }
  return Math.min(budget, fields);
}

/** The most bytes a value can take in a line, or null when this pass cannot tell. */
function valueBytes(value: ValueIR, type: TypeIR, request: MessageIR, requestBudget: number): number | null {
  switch (value.kind) {
    case 'now':
      return TEXT_TIMESTAMP_BYTES;
    case 'literal':
      return Buffer.byteLength(String(value.value));
    case 'request-field': {
      const source = request.fields.find((field) => field.name === value.field);
      const limit = source === undefined ? null : maxTextBytes(source.type);
      return limit === null ? requestBudget : Math.min(limit, requestBudget);
    }
    case 'session':
      return maxTextBytes(type);
  }
}

function maxTextBytes(type: TypeIR): number | null {
  if (type.kind === 'string') return type.maxBytes;
  if (type.kind === 'timestamp') return TEXT_TIMESTAMP_BYTES;
  return null;
}
