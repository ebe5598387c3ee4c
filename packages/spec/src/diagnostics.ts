/**
 * Diagnostics: how the compiler tells a spec author what is wrong. Every pass
 * returns them instead of throwing, so one run reports every problem.
 */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Stable kebab-case identifier, e.g. `unknown-type`; tests and tools branch on it. */
  readonly code: string;
  readonly severity: Severity;
  /** The spec path as given to the compiler. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  readonly message: string;
  readonly hint: string | null;
}

export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

/** `specs/x.protocol.yaml:12:7: error unknown-type: …` plus an indented hint line when there is one. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.col}: ${d.severity} ${d.code}: ${d.message}`;
  return d.hint === null ? head : `${head}\n  hint: ${d.hint}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Orders diagnostics the way a reader scans a file: by position, then by code for stable output. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.line - b.line || a.col - b.col || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/**
 * Edit distance counting a swap of two neighbouring characters as one edit
 * (optimal string alignment), since `Aks` for `Ask` is the commonest typo.
 * Inputs are short names, so the O(n·m) table is fine.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row[j] = best;
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The closest candidate to a misspelt name, or null when nothing is close
 * enough to be a plausible typo (suggesting `u8` for `nickname` helps nobody).
 */
export function closestName(name: string, candidates: Iterable<string>): string | null {
  const limit = Math.max(1, Math.floor(name.length * 0.4));
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance =
      candidate.toLowerCase() === name.toLowerCase() ? 0.5 : editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance && distance <= limit) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

export function didYouMean(name: string, candidates: Iterable<string>): string | null {
  const best = closestName(name, candidates);
  return best === null ? null : `did you mean '${best}'?`;
}

/** Quotes and lists names for messages: `'a', 'b' and 'c'` (or `… or 'c'`). */
export function listNames(names: readonly string[], conjunction: 'and' | 'or' = 'and'): string {
  const quoted = names.map((n) => `'${n}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted[quoted.length - 1]}`;
}
