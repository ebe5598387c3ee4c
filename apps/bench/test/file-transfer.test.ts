import { fileURLToPath } from 'node:url';
import { runProgram } from '@sockspec/app-kit/testing';
import { describe, expect, it } from 'vitest';
import { formatTransferTable, parseFileTransferArgs } from '../src/file-transfer.js';

const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('parseFileTransferArgs', () => {
  it('defaults to a 100 MiB file and three rounds', () => {
    expect(parseFileTransferArgs([])).toEqual({ mib: 100, rounds: 3 });
    expect(parseFileTransferArgs(['--mib', '7', '--rounds', '1'])).toEqual({ mib: 7, rounds: 1 });
  });

  it.each([
    [['--mib', '0'], /--mib: expected a whole number from 1 to 4096, got '0'/],
    [['--mib', '4097'], /got '4097'/],
    [['--rounds', '21'], /--rounds: expected a whole number from 1 to 20/],
    [['--mib'], /got ''/],
    [['--size', '1'], /unknown option '--size'/],
  ])('%j is refused before anything runs', (argv, message) => {
    expect(parseFileTransferArgs(argv)).toMatch(message);
  });
});

describe('formatTransferTable', () => {
  it('reports the median round in MB/s and the generated/raw ratio', () => {
    const table = formatTransferTable(100e6, [
      { server: 'generated', put: [1, 0.5, 2], get: [0.25, 0.25] },
      { server: 'raw', put: [0.25], get: [0.125] },
    ]);
    expect(table.split('\n')).toEqual([
      'transfer  generated MB/s  raw MB/s  generated/raw',
      'put                100.0     400.0           0.25',
      'get                400.0     800.0           0.50',
      '',
    ]);
  });
});

describe('pnpm bench file-transfer', () => {
  it('puts and gets a small file through both servers and prints the table', async () => {
    const result = await runProgram({
      cwd,
      script: 'src/main.ts',
      args: ['file-transfer', '--mib', '2', '--rounds', '1'],
      timeoutMs: 60_000,
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: [] });
    expect(result.stdout[0]).toMatch(
      /^file transfer: put and get of a 2 MiB file \(2097152 bytes\), median of 1 round/,
    );
    const rows = result.stdout.filter((line) => /^(put|get) /.test(line));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const [, generated, raw, ratio] = row.trim().split(/\s+/).map(Number);
      expect(generated).toBeGreaterThan(0);
      expect(raw).toBeGreaterThan(0);
      expect(ratio).toBeCloseTo((generated ?? 0) / (raw ?? 1), 1);
    }
  }, 90_000);

  it('exits 2 on a bad option', async () => {
    const result = await runProgram({ cwd, script: 'src/main.ts', args: ['file-transfer', '--mib', 'lots'] });
    expect(result.code).toBe(2);
    expect(result.stderr.join('\n')).toContain("--mib: expected a whole number from 1 to 4096, got 'lots'");
  });
});
