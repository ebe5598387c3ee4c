import type { Diagnostic, Severity } from './diagnostics.js';
import type { Anchor, SpecPath, SpecSource } from './source.js';

/** Collects diagnostics for one spec file, turning spec paths into line:col. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  readonly #source: SpecSource;

  constructor(source: SpecSource) {
    this.#source = source;
  }

  error(code: string, path: SpecPath, message: string, hint: string | null = null, anchor: Anchor = 'value'): void {
    this.#push('error', code, path, message, hint, anchor);
  }

  warning(code: string, path: SpecPath, message: string, hint: string | null = null, anchor: Anchor = 'value'): void {
    this.#push('warning', code, path, message, hint, anchor);
  }

  #push(severity: Severity, code: string, path: SpecPath, message: string, hint: string | null, anchor: Anchor) {
    const { line, col } = this.#source.locate(path, anchor);
    this.diagnostics.push({ code, severity, file: this.#source.file, line, col, message, hint });
  }
}
