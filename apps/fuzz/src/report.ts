import type { FuzzResult } from './run-fuzz.js';

const MiB = 1024 * 1024;

/** One line per target, then what failed; a run passes with no crash, no hang and every probe answered. */
export function formatFuzzReport(results: readonly FuzzResult[]): string {
  const rows = [
    [
      'server',
      'frames',
      'conns',
      'seconds',
      'crashed',
      'hangs',
      'probes ok',
      'probe max',
      'late',
      'refusals',
      'RSS MiB',
      'fds',
    ],
    ...results.map((r) => [
      r.target,
      r.frames.toLocaleString('en-US'),
      String(r.connections),
      r.seconds.toFixed(1),
      r.crashed ? 'YES' : 'no',
      String(r.hangs),
      `${r.probes - r.probesFailed}/${r.probes}`,
      `${r.probeMaxMs.toFixed(0)} ms`,
      String(r.probesLate),
      r.serverLogLines.toLocaleString('en-US'),
      `${(r.before.rssBytes / MiB).toFixed(0)} → ${(r.after.rssBytes / MiB).toFixed(0)}`,
      `${r.before.descriptors} → ${r.after.descriptors}`,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
  for (const r of results.filter((result) => !fuzzPassed(result))) {
    lines.push(
      '',
      `${r.target} FAILED (replay with --seed ${r.seed}); server stderr ends:`,
      ...r.stderrTail.map((l) => `  ${l}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function fuzzPassed(result: FuzzResult): boolean {
  return !result.crashed && result.hangs === 0 && result.probesFailed === 0;
}
