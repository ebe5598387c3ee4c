import { didYouMean, listNames } from './diagnostics.js';
import type { FieldIR, HandlerBehaviorIR } from './ir.js';
import type { MessageInfo } from './pass-types.js';
import { isRecord } from './records.js';
import type { Reporter } from './report.js';
import type { SpecPath } from './source.js';
import { describeKind } from './types.js';

export interface PairingContext {
  readonly report: Reporter;
  /** Header fields a message value carries (not the discriminator). */
  readonly header: readonly FieldIR[];
  /** The header's correlation field, if any: a body field cannot pair replies as well. */
  readonly correlation: string | null;
}

type Pairing = Pick<HandlerBehaviorIR, 'pairBy' | 'when'>;

/** The widest field a pairing id may be: 32 bits keeps ids plain numbers the engine can key a Map by. */
const MAX_PAIR_BITS = 32;

/**
 * `pairBy: packetId` and `when: { qos: [1, 2] }` on a handler (MQTT's
 * PUBLISH: answered by PUBACK or PUBREC only at QoS 1 and 2, paired by the
 * packet id in the body). Undefined when neither is set, null after reporting.
 */
export function checkPairing(
  ctx: PairingContext,
  handler: Record<string, unknown>,
  path: SpecPath,
  message: MessageInfo,
  replies: readonly MessageInfo[],
): Pairing | undefined | null {
  const { report } = ctx;
  const pairBy = typeof handler.pairBy === 'string' ? handler.pairBy : undefined;
  const when = isRecord(handler.when) ? whenOf(handler.when) : undefined;
  if (pairBy === undefined && when === undefined) return undefined;
  const fields = [...ctx.header, ...(message.fields ?? [])];
  let ok = true;

  if (when !== undefined) {
    const whenPath = [...path, 'when', when.field];
    const source = fields.find((field) => field.name === when.field);
    if (replies.length === 0) {
      ok = false;
      report.error(
        'handler-when-without-replies',
        [...path, 'when'],
        `'when' says when '${message.name}' is answered, but the handler lists no replies`,
        "list the replies (replies: [...]), or remove 'when'",
      );
    } else if (source === undefined) {
      ok = false;
      report.error(
        'handler-when-field-unknown',
        whenPath,
        `'${message.name}' is answered when '${when.field}' says so, but it has no field of that name`,
        didYouMean(
          when.field,
          fields.map((field) => field.name),
        ) ?? `its fields: ${listNames(fields.map((field) => field.name))}`,
      );
    } else {
      const wrong = when.values.find((value) => !fits(source, value));
      if (wrong !== undefined) {
        ok = false;
        report.error(
          'handler-when-value',
          whenPath,
          `'${message.name}' is answered when '${when.field}' (${describeKind(source.type)}) is ${JSON.stringify(wrong)}, which it can never be`,
          'compare an integer with numbers, a bool or b1 with true or false, an enum with its value names',
        );
      }
    }
  }

  if (pairBy !== undefined) {
    const pairPath = [...path, 'pairBy'];
    if (ctx.correlation !== null) {
      report.error(
        'pair-by-with-correlation',
        pairPath,
        `'${message.name}' pairs its replies by '${pairBy}', but the header's '${ctx.correlation}' already pairs every reply`,
        `remove 'pairBy', or 'correlation: true' from header field '${ctx.correlation}'`,
      );
      return null;
    }
    if (handler.many !== undefined || handler.quiet !== undefined) {
      report.error(
        'pair-by-unsupported',
        pairPath,
        `'${message.name}' pairs its reply by '${pairBy}' and is also ${handler.many !== undefined ? 'answered by many replies' : 'quiet'}, which is not supported together`,
        "pair a request with many or quiet replies by a header field with 'correlation: true'",
      );
      return null;
    }
    const own = (message.fields ?? []).find((field) => field.name === pairBy);
    if (own === undefined || !isPairId(own, true)) {
      ok = false;
      report.error(
        own === undefined ? 'pair-by-field-unknown' : 'pair-by-field-type',
        pairPath,
        own === undefined
          ? `'${message.name}' pairs its replies by '${pairBy}', but it has no field of that name`
          : `'${message.name}' pairs its replies by '${pairBy}', which is ${describeKind(own.type)}, but an id the client assigns is a u8, u16 or u32`,
        own === undefined
          ? (didYouMean(
              pairBy,
              (message.fields ?? []).map((field) => field.name),
            ) ?? 'add the id field to the request, such as packetId: u16')
          : `make '${pairBy}' a u8, u16 or u32`,
      );
    } else if (own.type.kind === 'optional' && own.type.when !== undefined) {
      // Present only on another field's say-so: the request must be answered only when it is there.
      const presence = own.type.when;
      const covered =
        when !== undefined &&
        when.field === presence.field &&
        when.values.every((value) => presence.values.includes(value));
      if (!covered) {
        ok = false;
        report.error(
          'pair-by-field-absent',
          pairPath,
          `'${message.name}' pairs its replies by '${pairBy}', which it carries only when '${presence.field}' is ${presence.values.map((value) => JSON.stringify(value)).join(' or ')}, but the handler expects a reply ${when === undefined ? 'every time' : `when '${when.field}' is ${when.values.map((value) => JSON.stringify(value)).join(' or ')}`}`,
          `add when: { ${presence.field}: [${presence.values.map((value) => JSON.stringify(value)).join(', ')}] } to the handler`,
        );
      }
    }
    for (const reply of replies) {
      const field = (reply.fields ?? []).find((candidate) => candidate.name === pairBy);
      if (field !== undefined && isPairId(field, false)) continue;
      ok = false;
      report.error(
        field === undefined ? 'pair-by-field-unknown' : 'pair-by-field-type',
        pairPath,
        field === undefined
          ? `'${message.name}' pairs its replies by '${pairBy}', but its reply '${reply.name}' has no field of that name`
          : `'${message.name}' pairs its replies by '${pairBy}', but in its reply '${reply.name}' it is ${describeKind(field.type)}`,
        `give '${reply.name}' the field ${pairBy}, of the same u8, u16 or u32 type as in '${message.name}'`,
      );
    }
  }
  if (!ok) return null;
  return { ...(pairBy === undefined ? {} : { pairBy }), ...(when === undefined ? {} : { when }) };
}

function whenOf(raw: Record<string, unknown>): { field: string; values: (string | number | boolean)[] } | undefined {
  const entry = Object.entries(raw)[0];
  if (entry === undefined) return undefined;
  const [field, value] = entry;
  return { field, values: (Array.isArray(value) ? value : [value]) as (string | number | boolean)[] };
}

/** An unsigned integer of at most 32 bits; in the request it may be present on another field's say-so. */
function isPairId(field: FieldIR, request: boolean): boolean {
  const type =
    request && field.type.kind === 'optional' && field.type.when !== undefined ? field.type.value : field.type;
  return type.kind === 'int' && !type.signed && type.bits <= MAX_PAIR_BITS;
}

function fits(source: FieldIR, value: string | number | boolean): boolean {
  const type = source.type;
  switch (type.kind) {
    case 'enum':
      return typeof value === 'string' && type.values.some((v) => v.name === value);
    case 'int':
    case 'varint':
      return typeof value === 'number';
    case 'bits':
      return type.width === 1 ? typeof value === 'boolean' : typeof value === 'number';
    case 'bool':
      return typeof value === 'boolean';
    default:
      return false;
  }
}
