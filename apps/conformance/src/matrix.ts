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
 * Framing kinds that cut a byte stream and so cannot run over a datagram
 * transport; lines and delimited run over both (one frame per datagram).
 */
const STREAM_ONLY_FRAMINGS: ReadonlySet<string> = new Set(['length-prefixed', 'fixed']);

/**
 * Why `transport` (under `model`, when given) does not apply to the
 * protocol, or undefined when it does. The one place the matrix decides n/a.
 *
 * From the spec alone: it lists the transports it supports, and the spec
 * compiler refuses a framing the transport cannot carry, so a transport the
 * spec leaves out is not applicable; the reason names the framing when that
 * is what rules it out.
 *
 * From the model, on datagram transports: `serial` serves each datagram as a
 * request of its own (socketserver.UDPServer), so it applies. `processes` (node:cluster) shares
 * a udp socket among workers, and each datagram goes to whichever worker reads
 * it first, so pipelined requests of one peer are answered out of order (a
 * line protocol pairs replies by order); a unix-dgram path can be bound by one
 * process only, and cluster does not share it.
 *
 * From the protocol's server: one that keeps shared state in one process
 * (`singleProcess`, its reason) does not run under `threads` or `processes`.
 */
export function notApplicableReason(
  ir: ProtocolIR,
  transport: TransportKind,
  isDatagram?: DatagramClassifier,
  model?: string,
  singleProcess?: string,
): string | undefined {
  if (!ir.transports.includes(transport)) {
    const listed = `the ${ir.name} spec lists ${ir.transports.join(', ')}`;
    if (isDatagram === undefined) return `${listed}, not ${transport}`;
    if (isDatagram(transport) && STREAM_ONLY_FRAMINGS.has(ir.framing.kind)) {
      return `${ir.framing.kind} framing cuts a byte stream; ${transport} carries datagrams`;
    }
    if (!isDatagram(transport) && ir.framing.kind === 'datagram') {
      return `datagram framing needs message boundaries; ${transport} is a byte stream`;
    }
    return `${listed}, not ${transport}`;
  }
  if (singleProcess !== undefined && (model === 'threads' || model === 'processes')) return singleProcess;
  if (model === undefined || isDatagram === undefined || !isDatagram(transport)) return undefined;
  if (model === 'processes' && transport === 'unix-dgram') {
    return 'a unix-dgram socket path is bound by one process only; node:cluster does not share it with workers';
  }
  if (model === 'processes') {
    return `node:cluster workers share the ${transport} socket and each datagram goes to whichever worker reads it, so pipelined requests of one peer are answered out of order`;
  }
  return undefined;
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

  // A reason shared by a whole row is printed once for the row. Cells of one
  // protocol that share another reason are folded into one line naming their
  // models and transports when they form a full grid, else printed per cell.
  const reasons = new Map<string, string>();
  const failures: string[] = [];
  const partial = new Map<string, CellResult[]>();
  for (const [key, row] of rows) {
    const notApplicable = [...row.values()].filter((result) => result.outcome === 'n/a' && result.detail !== undefined);
    const details = new Set(notApplicable.map((result) => result.detail));
    if (notApplicable.length === row.size && details.size === 1) {
      reasons.set(key, notApplicable[0]!.detail!);
      continue;
    }
    for (const result of notApplicable) {
      const group = `${result.protocol}\n${result.detail}`;
      partial.set(group, [...(partial.get(group) ?? []), result]);
    }
  }
  for (const cells of partial.values()) {
    const first = cells[0]!;
    const cellModels = [...new Set(cells.map((cell) => cell.model))];
    const transports = [...new Set(cells.map((cell) => cell.transport))];
    if (cells.length > 1 && cellModels.length * transports.length === cells.length) {
      reasons.set(`${first.protocol} / ${cellModels.join(', ')} over ${transports.join(', ')}`, first.detail!);
    } else {
      for (const cell of cells) reasons.set(`${cell.protocol} / ${cell.transport} / ${cell.model}`, cell.detail!);
    }
  }
  for (const result of results) {
    const key = `${result.protocol} / ${result.transport}`;
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
