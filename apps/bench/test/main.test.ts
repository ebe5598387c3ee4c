import { fileURLToPath } from 'node:url';
import { runProgram } from '@sockspec/app-kit/testing';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('pnpm bench echo', () => {
  it('runs both servers in a short run, prints the table and a positive ratio per scenario, and stops everything', async () => {
    const result = await runProgram({
      cwd,
      script: 'src/main.ts',
      args: ['echo', '--seconds', '0.3', '--connections', '8'],
      timeoutMs: 60_000,
    });
    expect(result.stderr).toEqual([]);
    expect(result.code).toBe(0);
    const header = result.stdout.findIndex((line) => /^scenario\s+server\s+msgs\/s\s+p50 µs\s+p99 µs$/.test(line));
    expect(header).toBeGreaterThanOrEqual(0);
    const rows = result.stdout.slice(header + 1, header + 5).map((line) => line.trim().split(/\s{2,}/));
    expect(rows.map((row) => row.slice(0, 2))).toEqual([
      ['ping-pong x1', 'generated'],
      ['ping-pong x1', 'raw'],
      ['ping-pong x8', 'generated'],
      ['ping-pong x8', 'raw'],
    ]);
    for (const row of rows) {
      const [rate, p50, p99] = row.slice(2).map(Number);
      expect(rate).toBeGreaterThan(0);
      expect(p50).toBeGreaterThan(0);
      expect(p99).toBeGreaterThanOrEqual(p50!);
    }
    const ratios = result.stdout.flatMap((line) => {
      const match = /^ratio generated\/raw (ping-pong x\d+): (\d+\.\d+)$/.exec(line);
      return match === null ? [] : [[match[1], Number(match[2])] as const];
    });
    expect(ratios.map(([scenario]) => scenario)).toEqual(['ping-pong x1', 'ping-pong x8']);
    for (const [, ratio] of ratios) expect(ratio).toBeGreaterThan(0);
  });

  it('rejects a bad option with exit status 2 before starting anything', async () => {
    const result = await runProgram({ cwd, script: 'src/main.ts', args: ['echo', '--seconds', '0'] });
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    expect(result.stderr.join('\n')).toMatch(/--seconds.*'0'/);
  });
});
