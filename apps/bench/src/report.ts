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
    ['scenario', 'server', 'msgs/s', 'p50 µs', 'p99 µs', 'p99.9 µs'],
    ...results.map(({ scenario, server, result }) => [
      scenario,
      server,
      result.messagesPerSecond.toFixed(0),
      microseconds(result.histogram.quantile(0.5)),
      microseconds(result.histogram.quantile(0.99)),
      microseconds(result.histogram.quantile(0.999)),
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

/** One row of the JSON report: rates and latencies in µs, and the generated server's ratio to this one. */
export interface ScenarioRecord {
  readonly scenario: string;
  readonly server: string;
  readonly messagesPerSecond: number;
  readonly p50Us: number | null;
  readonly p99Us: number | null;
  readonly p999Us: number | null;
  readonly generatedRatio: number | null;
}

function quantileUs(result: PingPongResult, q: number): number | null {
  const ns = result.histogram.quantile(q);
  return Number.isNaN(ns) ? null : Math.round(ns / 100) / 10;
}

/** The results as records (what --json writes), each with the generated server's rate over its own. */
export function toRecords(results: readonly ScenarioResult[]): ScenarioRecord[] {
  return results.map(({ scenario, server, result }) => {
    const generated = results.find((entry) => entry.scenario === scenario && entry.server === GENERATED);
    const ratio =
      generated === undefined || result.messagesPerSecond === 0
        ? null
        : Math.round((generated.result.messagesPerSecond / result.messagesPerSecond) * 1000) / 1000;
    return {
      scenario,
      server,
      messagesPerSecond: Math.round(result.messagesPerSecond),
      p50Us: quantileUs(result, 0.5),
      p99Us: quantileUs(result, 0.99),
      p999Us: quantileUs(result, 0.999),
      generatedRatio: ratio,
    };
  });
}

const SERVER_COLOURS = ['#2b6cb0', '#718096', '#c05621', '#2f855a', '#805ad5', '#b7791f'];

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char]!);
}

/**
 * A grouped bar chart of msgs/s (one group per scenario, one bar per
 * server, each group scaled to its own fastest server, so one connection and
 * a thousand read side by side), labelled with the rate: generated from the
 * results, never drawn by hand.
 */
export function formatSvgChart(records: readonly ScenarioRecord[], title: string): string {
  const scenarios = [...new Set(records.map((record) => record.scenario))];
  const servers = [...new Set(records.map((record) => record.server))];
  const bar = 18;
  const gap = 4;
  const groupHeight = servers.length * (bar + gap) + 24;
  const labelWidth = 140;
  const plotWidth = 480;
  const width = labelWidth + plotWidth + 90;
  const height = 40 + scenarios.length * groupHeight + 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  scenarios.forEach((scenario, group) => {
    const top = 40 + group * groupHeight;
    const rows = records.filter((record) => record.scenario === scenario);
    const fastest = Math.max(1, ...rows.map((record) => record.messagesPerSecond));
    parts.push(`<text x="8" y="${top + 12}" font-weight="bold">${escapeXml(scenario)}</text>`);
    servers.forEach((server, index) => {
      const record = rows.find((row) => row.server === server);
      if (record === undefined) return;
      const y = top + 18 + index * (bar + gap);
      const length = Math.max(1, Math.round((record.messagesPerSecond / fastest) * plotWidth));
      parts.push(
        `<text x="${labelWidth - 6}" y="${y + bar - 5}" text-anchor="end">${escapeXml(server)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${length}" height="${bar}" fill="${SERVER_COLOURS[index % SERVER_COLOURS.length]}"/>`,
        `<text x="${labelWidth + length + 4}" y="${y + bar - 5}">${record.messagesPerSecond.toLocaleString('en-US')}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
