import type { ConstantValueIR, Direction, FieldIR, LineTemplateIR, TypeIR } from './ir.js';
import { isRecord } from './records.js';
import type { SpecPath } from './source.js';
import type { DeclaredSwitch } from './switch-fields.js';

/** What later checks need to know about a message; `fields` is null when they could not be resolved. */
export interface MessageInfo {
  readonly name: string;
  readonly path: SpecPath;
  readonly from: Direction;
  readonly code: number | null;
  readonly description: string;
  /** The fields a message value has: what behavior values fill and `$request.<field>` reads (no constants). */
  readonly fields: FieldIR[] | null;
  /** Every field on the wire, constants included: what the IR carries. */
  readonly wireFields: FieldIR[] | null;
  readonly line: LineTemplateIR | null;
  /** As written; checked once every message is known. */
  readonly stream: { chunk: string; end: string } | null;
  /** Header fields constant in this message alone (`header: { qos: 1 }`). */
  readonly headerValues?: Readonly<Record<string, ConstantValueIR>>;
  /** Its `switch:` fields, whose cases are among `wireFields`. */
  readonly switches: readonly DeclaredSwitch[];
}

export interface HeaderInfo {
  readonly fields: FieldIR[] | null;
  readonly discriminator: { name: string; type: TypeIR } | null;
  readonly correlation: string | null;
}

export const serverReceives = (from: Direction) => from === 'client' || from === 'both';

export const serverSends = (from: Direction) => from === 'server' || from === 'both';

/** The fields a message value carries: not constants, not lengths, counts and checksums the encoder fills in. */
export function valueFields(fields: readonly FieldIR[]): FieldIR[] {
  return fields.filter(
    (field) =>
      field.constant === undefined &&
      field.computed === undefined &&
      field.checksum === undefined &&
      field.presence === undefined,
  );
}

/** Whether a header field is the discriminator or the correlation id (the engine fills both). */
export function isHeaderRole(spec: Record<string, unknown>, name: string): boolean {
  const header = isRecord(spec.header) ? spec.header[name] : undefined;
  return isRecord(header) && (header.discriminator === true || header.correlation === true);
}

export const BEHAVIOR_KEYS: readonly string[] = ['greeting', 'errors', 'idleTimeoutMs'];

/** The field name in a `$request.<field>` expression, or null when `raw` is not one. */
export function requestFieldOf(raw: unknown): string | null {
  const match = typeof raw === 'string' ? /^\$request\.(.+)$/.exec(raw) : null;
  return match === null ? null : match[1]!;
}
