import type { ProtocolIR, TransportKind } from '@sockspec/spec';
import { describe, expect, it } from 'vitest';
import { type CellResult, formatMatrix, notApplicableReason } from '../src/index.js';

const datagramKinds = new Set<TransportKind>(['udp', 'udp6', 'unix-dgram']);
const isDatagram = (kind: TransportKind): boolean => datagramKinds.has(kind);

function ir(transports: TransportKind[], framing: ProtocolIR['framing']['kind']): ProtocolIR {
  return { name: 'p', transports, framing: { kind: framing, maxFrameBytes: 100 } } as unknown as ProtocolIR;
}

describe('notApplicableReason', () => {
  it('applies every transport the spec lists', () => {
    for (const transport of ['tcp', 'unix', 'tls'] as const) {
      expect(notApplicableReason(ir(['tcp', 'unix', 'tls'], 'delimited'), transport, isDatagram)).toBeUndefined();
    }
  });

  it('a datagram transport under a stream framing names the framing', () => {
    expect(notApplicableReason(ir(['tcp'], 'length-prefixed'), 'udp', isDatagram)).toBe(
      'length-prefixed framing cuts a byte stream; udp carries datagrams',
    );
    expect(notApplicableReason(ir(['tcp'], 'fixed'), 'unix-dgram', isDatagram)).toBe(
      'fixed framing cuts a byte stream; unix-dgram carries datagrams',
    );
  });

  it('a line protocol over a datagram transport the spec leaves out names the spec list, not the framing', () => {
    expect(notApplicableReason(ir(['tcp'], 'delimited'), 'udp', isDatagram)).toBe('the p spec lists tcp, not udp');
  });

  it('datagram transports the spec lists run under serial, async and threads; processes says why not', () => {
    const lines = ir(['tcp', 'udp', 'unix-dgram'], 'delimited');
    for (const model of ['serial', 'async', 'threads']) {
      expect(notApplicableReason(lines, 'udp', isDatagram, model)).toBeUndefined();
      expect(notApplicableReason(lines, 'unix-dgram', isDatagram, model)).toBeUndefined();
    }
    for (const model of ['serial', 'async', 'threads', 'processes']) {
      expect(notApplicableReason(lines, 'tcp', isDatagram, model)).toBeUndefined();
    }
    expect(notApplicableReason(lines, 'udp', isDatagram, 'processes')).toMatch(/out of order$/);
    expect(notApplicableReason(lines, 'unix-dgram', isDatagram, 'processes')).toMatch(/bound by one process only/);
  });

  it('a stream transport under datagram framing names the framing', () => {
    expect(notApplicableReason(ir(['udp'], 'datagram'), 'tcp6', isDatagram)).toBe(
      'datagram framing needs message boundaries; tcp6 is a byte stream',
    );
  });

  it('a fitting transport the spec leaves out names the spec list', () => {
    expect(notApplicableReason(ir(['tcp', 'unix'], 'length-prefixed'), 'websocket', isDatagram)).toBe(
      'the p spec lists tcp, unix, not websocket',
    );
    expect(notApplicableReason(ir(['tcp'], 'delimited'), 'udp')).toBe('the p spec lists tcp, not udp');
  });
});

describe('formatMatrix', () => {
  it('a row per protocol × transport, a column per model, reasons and failures below, totals last', () => {
    const results: CellResult[] = [
      { protocol: 'echo', transport: 'tcp', model: 'serial', outcome: 'passed' },
      { protocol: 'echo', transport: 'tcp', model: 'async', outcome: 'FAILED', detail: 'wrong reply' },
      { protocol: 'echo', transport: 'udp', model: 'serial', outcome: 'n/a', detail: 'lines framing' },
      { protocol: 'echo', transport: 'udp', model: 'async', outcome: 'n/a', detail: 'lines framing' },
    ];
    expect(formatMatrix(results, ['serial', 'async'])).toBe(
      [
        '| protocol / transport | serial | async  |',
        '|----------------------|--------|--------|',
        '| echo / tcp           | passed | FAILED |',
        '| echo / udp           | n/a    | n/a    |',
        '',
        'n/a:',
        '  echo / udp: lines framing',
        '',
        'FAILED:',
        '  echo / tcp / async: wrong reply',
        '',
        '1 passed, 1 failed, 2 not applicable',
      ].join('\n'),
    );
  });

  it('prints a reason that holds for some models only per cell', () => {
    const results: CellResult[] = [
      { protocol: 'echo', transport: 'udp', model: 'serial', outcome: 'n/a', detail: 'one peer at a time' },
      { protocol: 'echo', transport: 'udp', model: 'async', outcome: 'passed' },
    ];
    expect(formatMatrix(results, ['serial', 'async']).split('\n').slice(3, 6)).toEqual([
      '',
      'n/a:',
      '  echo / udp / serial: one peer at a time',
    ]);
  });
});

describe('formatMatrix folding', () => {
  it('folds cells of one protocol that share a reason into one line', () => {
    const results: CellResult[] = ['tcp', 'unix'].flatMap((transport) => [
      { protocol: 'chat', transport, model: 'async', outcome: 'passed' as const },
      { protocol: 'chat', transport, model: 'threads', outcome: 'n/a' as const, detail: 'one process' },
      { protocol: 'chat', transport, model: 'processes', outcome: 'n/a' as const, detail: 'one process' },
    ]);
    expect(formatMatrix(results, ['async', 'threads', 'processes']).split('\n')).toContain(
      '  chat / threads, processes over tcp, unix: one process',
    );
  });
});
