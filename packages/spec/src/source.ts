import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit, type YAMLError } from 'yaml';
import type { Diagnostic, SourcePosition } from './diagnostics.js';

/** A path into the spec data: mapping keys and list indexes, as in `['messages', 'Join', 'fields', 'nick']`. */
export type SpecPath = readonly (string | number)[];

/** What a position should point at: the key of a mapping entry, or its value. */
export type Anchor = 'key' | 'value';

/**
 * Aliases are expanded when the document is turned into data; a small limit
 * stops a "billion laughs" spec from exhausting memory.
 */
const MAX_ALIAS_EXPANSIONS = 100;

/**
 * A parsed spec file: the plain data the later passes check, plus the YAML
 * node tree so every diagnostic can point at the line and column of the
 * node it is about.
 */
export class SpecSource {
  readonly file: string;
  readonly data: unknown;
  readonly #lineCounter: LineCounter;
  readonly #contents: Node | null;

  private constructor(file: string, data: unknown, lineCounter: LineCounter, contents: Node | null) {
    this.file = file;
    this.data = data;
    this.#lineCounter = lineCounter;
    this.#contents = contents;
  }

  /** Parses `text`; the source is null when YAML errors make the data untrustworthy. */
  static parse(text: string, file: string): { source: SpecSource | null; diagnostics: Diagnostic[] } {
    const lineCounter = new LineCounter();
    // logLevel 'error': yaml would otherwise print its own warnings to stderr; we report them as diagnostics.
    const doc = parseDocument(text, {
      keepSourceTokens: true,
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      logLevel: 'error',
    });
    const diagnostics: Diagnostic[] = [];
    const toDiagnostic = (e: YAMLError, severity: 'error' | 'warning'): Diagnostic => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      if (e.code === 'DUPLICATE_KEY') {
        const key = keyAt(text, e.pos[0]);
        return {
          code: 'duplicate-key',
          severity,
          file,
          line,
          col,
          message: `duplicate key '${key}': a key may appear only once in a mapping`,
          hint: 'remove or rename one of the entries',
        };
      }
      return {
        code: severity === 'error' ? 'yaml-syntax' : 'yaml-warning',
        severity,
        file,
        line,
        col,
        message: `YAML ${severity === 'error' ? 'syntax error' : 'warning'}: ${firstLine(e.message)}`,
        hint: null,
      };
    };
    for (const e of doc.errors) diagnostics.push(toDiagnostic(e, 'error'));
    for (const w of doc.warnings) diagnostics.push(toDiagnostic(w, 'warning'));
    // Keys such as `? [a, b]` would be stringified into nonsense names; a spec's keys are plain names.
    visit(doc, {
      Pair(_, pair) {
        if (pair.key === null || isScalar(pair.key)) return;
        const { line, col } = lineCounter.linePos((pair.key as Node).range?.[0] ?? 0);
        diagnostics.push({
          code: 'invalid-key',
          severity: 'error',
          file,
          line,
          col,
          message: 'a mapping key must be a plain name, not a list or a mapping',
          hint: null,
        });
      },
    });
    if (diagnostics.some((d) => d.severity === 'error')) return { source: null, diagnostics };
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
    } catch (error) {
      // toJS throws for excessive alias expansion and alias cycles: both user errors.
      diagnostics.push({
        code: 'yaml-syntax',
        severity: 'error',
        file,
        line: 1,
        col: 1,
        message: `YAML error: ${firstLine(error instanceof Error ? error.message : String(error))}`,
        hint: 'write the repeated parts out instead of using aliases',
      });
      return { source: null, diagnostics };
    }
    const contents = (doc.contents as Node | null) ?? null;
    return { source: new SpecSource(file, data, lineCounter, contents), diagnostics };
  }

  /**
   * The position of the node at `path`. For `key`, the key of the last
   * segment (used for unknown keys); otherwise the value. Falls back to the
   * deepest node that exists, so a missing key points at its parent mapping.
   */
  locate(path: SpecPath, anchor: Anchor = 'value'): SourcePosition {
    let node: unknown = this.#contents;
    let found: Node | null = isNodeWithRange(node) ? node : null;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
        if (pair === undefined) break;
        if (last && anchor === 'key' && isNodeWithRange(pair.key)) {
          found = pair.key;
          break;
        }
        node = pair.value;
        // `key:` with nothing after it has a null value node; point at the key then.
        if (isNodeWithRange(node)) found = node;
        else if (isNodeWithRange(pair.key)) {
          found = pair.key;
          break;
        }
      } else if (isSeq(node) && isIndex(segment)) {
        const item = node.items[Number(segment)];
        if (!isNodeWithRange(item)) break;
        node = item;
        found = item;
      } else {
        break;
      }
    }
    if (found === null || found.range == null) return { line: 1, col: 1 };
    return this.#lineCounter.linePos(found.range[0]);
  }

  /** The source text of the scalar at `path` (e.g. `18446744073709551615`, before JavaScript rounds it). */
  scalarSource(path: SpecPath): string | null {
    let node: unknown = this.#contents;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
        if (pair === undefined) return null;
        node = pair.value;
      } else if (isSeq(node) && isIndex(segment)) {
        node = node.items[Number(segment)];
      } else {
        return null;
      }
    }
    return isScalar(node) && typeof node.source === 'string' ? node.source : null;
  }
}

function isNodeWithRange(value: unknown): value is Node {
  return (
    value !== null &&
    typeof value === 'object' &&
    'range' in value &&
    Array.isArray((value as { range: unknown }).range)
  );
}

function isIndex(segment: string | number): boolean {
  return typeof segment === 'number' || /^\d+$/.test(segment);
}

function keyText(key: unknown): string | null {
  if (isScalar(key)) return String(key.value);
  return null;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** The key written at `offset` (up to its colon), for messages about it. */
function keyAt(text: string, offset: number): string {
  const match = /^[^:\n]*/.exec(text.slice(offset, offset + 200));
  return match?.[0]?.trim().replace(/^["']|["']$/g, '') || '?';
}
