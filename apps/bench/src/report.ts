import type { PingPongResult } from './load.js';

export interface ScenarioResult {
  readonly scenario: string;
  readonly server: string;
  readonly result: PingPongResult;
}

const GENERATED = 'generated';

function microseconds(nanoseconds: number): string {
  return Number.isNaN(nanoseconds) ? '-' : (nanoseconds / 1000).toFixed(1);
}

/**
 * The results as an aligned table, then `ratio` lines per scenario: generated
 * msgs/s divided by each baseline's (raw node:net, the Python servers; 1.0 =
 * as fast as that server).
 */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = [
    ['scenario', 'server', 'msgs/s', 'p50 µs', 'p99 µs'],
    ...results.map(({ scenario, server, result }) => [
      scenario,
      server,
      result.messagesPerSecond.toFixed(0),
      microseconds(result.histogram.quantile(0.5)),
      microseconds(result.histogram.quantile(0.99)),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '),
  );
  lines.push('');
  for (const scenario of new Set(results.map((entry) => entry.scenario))) {
    const rate = (server: string): number | undefined =>
      results.find((entry) => entry.scenario === scenario && entry.server === server)?.result.messagesPerSecond;
    const generated = rate(GENERATED);
    const baselines = [...new Set(results.map((entry) => entry.server))].filter((server) => server !== GENERATED);
    for (const baseline of baselines) {
      const other = rate(baseline);
      if (generated !== undefined && other !== undefined && other > 0) {
        lines.push(`ratio ${GENERATED}/${baseline} ${scenario}: ${(generated / other).toFixed(3)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
