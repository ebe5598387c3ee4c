import type { FieldIR, TypeIR } from './ir.js';
import type { Reporter } from './report.js';
import type { SpecPath } from './source.js';

/** A run is read and written as one integer: 32 bits keeps it a plain number. */
export const MAX_BIT_RUN = 32;

function containsBits(type: TypeIR): boolean {
  switch (type.kind) {
    case 'bits':
      return true;
    case 'struct':
      return type.fields.some((field) => containsBits(field.type));
    case 'array':
      return containsBits(type.element);
    case 'optional':
      return containsBits(type.value);
    default:
      return false;
  }
}

/**
 * Bit fields (issue 8: MQTT's type nibble and flags, a 3-bit version) come in
 * runs of consecutive fields that fill whole bytes, so every other field
 * still starts on a byte. Checked per field list (the header, each message):
 * a run may not cross from the header into a message, since every message
 * would have to finish the header's byte the same way.
 */
export function checkBitRuns(path: SpecPath, fields: readonly FieldIR[], report: Reporter): boolean {
  let ok = true;
  let run: FieldIR[] = [];
  const close = (): void => {
    if (run.length === 0) return;
    const bits = run.reduce((sum, field) => sum + (field.type.kind === 'bits' ? field.type.width : 0), 0);
    const names = run.map((field) => `'${field.name}'`).join(', ');
    const first = [...path, run[0]!.name];
    if (bits % 8 !== 0) {
      ok = false;
      const missing = 8 - (bits % 8);
      report.error(
        'bit-fields-not-byte-aligned',
        first,
        `bit fields ${names} add up to ${bits} bits, which does not fill whole bytes, so the field after them would start inside a byte`,
        `add ${missing} bit${missing === 1 ? '' : 's'} (a reserved field such as reserved: { type: b${missing}, const: 0 }), or change the widths`,
      );
    } else if (bits === 24) {
      ok = false;
      report.error(
        'bit-run-width',
        first,
        `bit fields ${names} make a run of 24 bits, but a run is read as one u8, u16 or u32`,
        'make the run 8, 16 or 32 bits (a reserved field such as reserved: { type: b8, const: 0 } fills it)',
      );
    } else if (bits > MAX_BIT_RUN) {
      ok = false;
      report.error(
        'bit-run-too-long',
        first,
        `bit fields ${names} make a run of ${bits} bits, more than the ${MAX_BIT_RUN} one run may have`,
        'put a whole-byte field between them, or use u8/u16/u32 fields for some of them',
      );
    }
    run = [];
  };
  for (const field of fields) {
    if (field.type.kind === 'bits') {
      run.push(field);
      continue;
    }
    close();
    if (containsBits(field.type)) {
      ok = false;
      report.error(
        'bit-fields-nested',
        [...path, field.name],
        `field '${field.name}' has bit fields inside a struct, list or optional, but bit fields are header or message fields`,
        'move the bit fields to the header or the message, or use whole-byte integers inside',
      );
    }
  }
  close();
  return ok;
}
