import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSpec, formatDiagnostic, type ProtocolIR, type WhenIR } from '@sockspec/spec';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');

function compileFolder(dir: string): ProtocolIR[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.protocol.yaml'))
    .sort()
    .map((name) => {
      const file = relative(ROOT, join(dir, name)).split('\\').join('/');
      const { ir, diagnostics } = compileSpec(readFileSync(join(dir, name), 'utf8'), file);
      if (ir === null || diagnostics.length > 0) {
        throw new Error(`test spec ${file} does not compile cleanly:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
      }
      return ir;
    });
}

/** The workspace specs: their golden output is the committed package in packages/protocols/<name>. */
export const SPEC_CASES: readonly ProtocolIR[] = compileFolder(join(ROOT, 'specs'));
/** The test-only fixtures: their golden output is test/golden/<name>. */
export const FIXTURE_CASES: readonly ProtocolIR[] = compileFolder(join(HERE, 'fixtures'));
/** Every protocol with golden output. */
export const GOLDEN_CASES: readonly ProtocolIR[] = [...SPEC_CASES, ...FIXTURE_CASES];

/** Where a case's golden package lives, and the generator options that produce it. */
export function goldenOf(ir: ProtocolIR): {
  readonly dir: string;
  readonly options: Readonly<Record<string, unknown>>;
} {
  return SPEC_CASES.includes(ir)
    ? { dir: join(ROOT, 'packages', 'protocols', ir.name), options: {} }
    : { dir: join(HERE, 'golden', ir.name), options: GOLDEN_OPTIONS };
}

export function compiled(name: string): ProtocolIR {
  const ir = GOLDEN_CASES.find((candidate) => candidate.name === name);
  if (ir === undefined) throw new Error(`no test spec named ${name}`);
  return ir;
}

/** Fixture golden packages sit five levels below the workspace root (generators/typescript/test/golden/<name>). */
export const GOLDEN_OPTIONS: Readonly<Record<string, unknown>> = { tsconfigBase: '../../../../../tsconfig.base.json' };

/** Whether a `when` holds for the value its field has in `fields`: one of its values, or, for a switch's `_` case, none. */
export function whenHolds(when: WhenIR, fields: Readonly<Record<string, unknown>>): boolean {
  const named = when.values.includes(fields[when.field] as string | number | boolean);
  return when.otherwise === true ? !named : named;
}
