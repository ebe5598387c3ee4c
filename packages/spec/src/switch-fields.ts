import type { FieldIR, SwitchIR } from './ir.js';
import type { Reporter } from './report.js';
import type { SpecPath } from './source.js';

/**
 * `switch:` in a message's fields (issue 8: memcached's body chosen by the
 * status, a layout chosen by a version or flag). The cases are flattened
 * into the message's fields, each present `when` its case is chosen, so the
 * codecs handle them as any conditional field; the switch itself is kept for
 * the TypeScript union and the docs.
 */

/** A switch as declared: the IR, where its fields start among the message's fields, and where it is in the spec. */
export interface DeclaredSwitch {
  readonly ir: SwitchIR;
  /** Index in the message's fields of the first field after the switch's earlier fields. */
  readonly at: number;
  readonly path: SpecPath;
}

/** The case key `_`: every value no other case names. */
export const OTHERWISE_CASE = '_';

/**
 * The value a case key names. YAML keys are strings, so `1`, `0x81`, `true`
 * and enum value names all arrive as text; the switch field's type decides
 * later which of them fit (computed.ts). Null for `_`.
 */
export function caseValue(key: string): string | number | boolean | null {
  if (key === OTHERWISE_CASE) return null;
  if (key === 'true' || key === 'false') return key === 'true';
  if (/^-?\d+$/.test(key)) return Number(key);
  if (/^0x[0-9a-f]+$/i.test(key)) return Number.parseInt(key.slice(2), 16);
  return key;
}

/** Keys a switch may carry besides its cases: a switch is a place in the frame, not a value with a type. */
const SWITCH_KEYS = new Set(['switch', 'cases', 'description']);

/**
 * Expands the switch declared at `path` into its cases' fields. `resolve`
 * resolves one case's field map; `names` holds every other field name of
 * the message (case fields share the message's namespace: they become its
 * properties). Null after reporting.
 */
export function expandSwitch(
  name: string,
  definition: Record<string, unknown>,
  path: SpecPath,
  names: ReadonlySet<string>,
  resolve: (map: unknown, path: SpecPath) => FieldIR[] | null,
  report: Reporter,
): { fields: FieldIR[]; ir: SwitchIR } | null {
  const on = definition.switch as string;
  const extra = Object.keys(definition).filter((key) => !SWITCH_KEYS.has(key) && definition[key] !== undefined);
  if (extra.length > 0) {
    report.error(
      'switch-keys',
      [...path, extra[0]!],
      `switch '${name}' also has '${extra[0]}', but a switch only chooses among its cases`,
      "move the key onto a field inside a case, or remove it; a switch takes 'switch', 'cases' and 'description'",
      'key',
    );
    return null;
  }
  const cases = definition.cases;
  if (cases === null || typeof cases !== 'object' || Array.isArray(cases) || Object.keys(cases).length === 0) {
    report.error(
      'switch-cases-missing',
      path,
      `switch '${name}' on '${on}' has no cases`,
      `add cases: { <a value of ${on}>: { <field>: <type> }, _: {} } (one layout per value; '_' for the rest)`,
    );
    return null;
  }
  const keys = Object.keys(cases);
  const named = keys.filter((key) => key !== OTHERWISE_CASE).map(caseValue) as (string | number | boolean)[];
  const seen = new Map<string, string>();
  const fields: FieldIR[] = [];
  const irCases: { values: (string | number | boolean)[] | null; fields: string[] }[] = [];
  let ok = true;
  for (const key of keys) {
    const casePath = [...path, 'cases', key];
    const resolved = resolve((cases as Record<string, unknown>)[key], casePath);
    if (resolved === null) {
      ok = false;
      continue;
    }
    const value = caseValue(key);
    for (const field of resolved) {
      const fieldPath = [...casePath, field.name];
      const clash = names.has(field.name) ? 'the message' : seen.get(field.name);
      const role =
        field.type.kind === 'optional'
          ? "'when' or 'optional'"
          : field.constant !== undefined
            ? "'const'"
            : field.checksum !== undefined
              ? "'checksum'"
              : field.presence !== undefined
                ? "'presence'"
                : field.default !== undefined
                  ? "'default'"
                  : null;
      if (clash !== undefined) {
        report.error(
          'switch-field-name',
          fieldPath,
          `field '${field.name}' in case '${key}' of switch '${name}' is also a field of ${clash === 'the message' ? 'the message' : `case '${clash}'`}, but a case's fields become the message's properties`,
          `give it a name of its own, such as '${field.name}${key === OTHERWISE_CASE ? 'Otherwise' : String(key).replace(/^./, (c) => c.toUpperCase())}'`,
          'key',
        );
        ok = false;
        continue;
      }
      if (role !== null) {
        report.error(
          'switch-field-role',
          fieldPath,
          `field '${field.name}' in case '${key}' of switch '${name}' has ${role}, but the case already decides whether it is in the frame`,
          'declare it as a plain field of the case, or move it out of the switch',
          'key',
        );
        ok = false;
        continue;
      }
      seen.set(field.name, key);
      fields.push({
        ...field,
        type: {
          kind: 'optional',
          value: field.type,
          when: value === null ? { field: on, values: named, otherwise: true } : { field: on, values: [value] },
        },
      });
    }
    irCases.push({ values: value === null ? null : [value], fields: resolved.map((field) => field.name) });
  }
  return ok ? { fields, ir: { name, on, cases: irCases } } : null;
}

/**
 * Whether no field after `index` can be in the same frame as it: the
 * message's last field, or one followed only by its switch's other cases.
 * Such a field may run to the end of the frame (`length: rest`).
 */
export function endsItsLayout(fields: readonly FieldIR[], index: number, switches: readonly SwitchIR[]): boolean {
  const name = fields[index]?.name;
  const owner = switches.find((s) => s.cases.some((c) => c.fields.includes(name ?? '')));
  const own = owner?.cases.find((c) => c.fields.includes(name ?? ''));
  return fields
    .slice(index + 1)
    .every(
      (later) =>
        owner !== undefined &&
        own !== undefined &&
        !own.fields.includes(later.name) &&
        owner.cases.some((c) => c.fields.includes(later.name)),
    );
}
