import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Diagnostic, formatDiagnostic, loadSpecFile, type ProtocolIR } from '@sockspec/spec';
import { CliError, displayPath } from './workspace.js';

export interface CompiledSpec {
  readonly path: string;
  /** Workspace-relative path, as printed and as written into generated headers. */
  readonly display: string;
  readonly ir: ProtocolIR | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** specs/*.protocol.yaml under the workspace root, in name order. */
export function defaultSpecs(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(root, 'specs'));
  } catch {
    throw new CliError(`no specs folder at ${join(root, 'specs')}; pass spec files explicitly`);
  }
  return names
    .filter((name) => name.endsWith('.protocol.yaml'))
    .sort()
    .map((name) => join(root, 'specs', name));
}

export async function compileSpecs(root: string, cwd: string, specs: readonly string[]): Promise<CompiledSpec[]> {
  const paths = specs.length > 0 ? specs.map((spec) => resolve(cwd, spec)) : defaultSpecs(root);
  if (paths.length === 0) throw new CliError('no spec files to work on (specs/*.protocol.yaml is empty)');
  const results: CompiledSpec[] = [];
  for (const path of paths) {
    const display = displayPath(root, path);
    const { ir, diagnostics } = await loadSpecFile(path, { displayPath: display });
    results.push({ path, display, ir, diagnostics });
  }
  return results;
}

export interface DiagnosticCounts {
  readonly errors: number;
  readonly warnings: number;
}

export function countDiagnostics(specs: readonly CompiledSpec[]): DiagnosticCounts {
  let errors = 0;
  let warnings = 0;
  for (const spec of specs) {
    for (const diagnostic of spec.diagnostics) {
      if (diagnostic.severity === 'error') errors += 1;
      else warnings += 1;
    }
  }
  return { errors, warnings };
}

export function formatAll(specs: readonly CompiledSpec[]): string[] {
  return specs.flatMap((spec) => spec.diagnostics.map(formatDiagnostic));
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
