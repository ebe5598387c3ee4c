import type { ProtocolIR, TransportKind } from '@sockspec/spec';

export type CellOutcome = 'passed' | 'FAILED' | 'n/a';

export interface CellResult {
  readonly protocol: string;
  readonly transport: string;
  readonly model: string;
  readonly outcome: CellOutcome;
  /** Why the cell is n/a, or what failed. */
  readonly detail?: string;
}

/** Says whether a transport keeps message boundaries (udp, unix-dgram) or carries a byte stream. */
export type DatagramClassifier = (transport: TransportKind) => boolean;

/**
 * Why `transport` does not apply to the protocol, from its spec alone, or
 * undefined when it does. A spec lists the transports it supports, and the
 * spec compiler refuses a framing the transport cannot carry, so a transport
 * the spec leaves out is not applicable; the reason names the framing when
 * that is what rules it out.
 */
export function notApplicableReason(
  ir: ProtocolIR,
  transport: TransportKind,
  isDatagram?: DatagramClassifier,
): string | undefined {
  if (ir.transports.includes(transport)) return undefined;
  const listed = `the ${ir.name} spec lists ${ir.transports.join(', ')}`;
  if (isDatagram === undefined) return `${listed}, not ${transport}`;
  const framingCarriesDatagrams = ir.framing.kind === 'datagram';
  if (isDatagram(transport) && !framingCarriesDatagrams) {
    return `${ir.framing.kind} framing cuts a byte stream; ${transport} carries datagrams`;
  }
  if (!isDatagram(transport) && framingCarriesDatagrams) {
    return `datagram framing needs message boundaries; ${transport} is a byte stream`;
  }
  return `${listed}, not ${transport}`;
}

/**
 * The matrix as a table: a row per protocol × transport, a column per model,
 * then one line per not-applicable row saying why.
 */
export function formatMatrix(results: readonly CellResult[], models: readonly string[]): string {
  const rows = new Map<string, Map<string, CellResult>>();
  for (const result of results) {
    const key = `${result.protocol} / ${result.transport}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = new Map();
      rows.set(key, row);
    }
    row.set(result.model, result);
  }
  const header = ['protocol / transport', ...models];
  const table = [...rows].map(([key, row]) => [key, ...models.map((model) => row.get(model)?.outcome ?? '-')]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((cells) => cells[column]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const out = [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...table.map(line)];

  const reasons = new Map<string, string>();
  const failures: string[] = [];
  for (const result of results) {
    const key = `${result.protocol} / ${result.transport}`;
    if (result.outcome === 'n/a' && result.detail !== undefined) reasons.set(key, result.detail);
    if (result.outcome === 'FAILED') failures.push(`${key} / ${result.model}: ${result.detail ?? 'failed'}`);
  }
  if (reasons.size > 0) {
    out.push('', 'n/a:');
    for (const [key, reason] of reasons) out.push(`  ${key}: ${reason}`);
  }
  if (failures.length > 0) {
    out.push('', 'FAILED:');
    for (const failure of failures) out.push(`  ${failure}`);
  }
  const count = (outcome: CellOutcome): number => results.filter((result) => result.outcome === outcome).length;
  out.push('', `${count('passed')} passed, ${count('FAILED')} failed, ${count('n/a')} not applicable`);
  return out.join('\n');
}
