import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runProgram } from '@sockspec/app-kit/testing';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('pnpm bench echo', () => {
  it('runs every server (generated, raw node:net, C epoll when cc exists, Python asyncio and ThreadingTCPServer) in a short run, prints the table and a positive ratio per baseline and scenario, and stops everything', async () => {
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
    // The C baseline is built with the system's cc; without one the bench says so and leaves it out.
    const hasCompiler = spawnSync('cc', ['--version']).error === undefined;
    const servers = ['generated', 'raw', ...(hasCompiler ? ['c-epoll'] : []), 'python-asyncio', 'python-threading'];
    if (!hasCompiler)
      expect(result.stdout).toContain(
        'C epoll baseline skipped: no C compiler (cc) on PATH; Debian: apt-get install gcc',
      );
    const rows = result.stdout
      .slice(header + 1, header + 1 + 2 * servers.length)
      .map((line) => line.trim().split(/\s{2,}/));
    expect(rows.map((row) => row.slice(0, 2))).toEqual(
      ['ping-pong x1', 'ping-pong x8'].flatMap((scenario) => servers.map((server) => [scenario, server])),
    );
    for (const row of rows) {
      const [rate, p50, p99] = row.slice(2).map(Number);
      expect(rate).toBeGreaterThan(0);
      expect(p50).toBeGreaterThan(0);
      expect(p99).toBeGreaterThanOrEqual(p50!);
    }
    const ratios = result.stdout.flatMap((line) => {
      const match = /^ratio generated\/(\S+) (ping-pong x\d+): (\d+\.\d+)$/.exec(line);
      return match === null ? [] : [[`${match[2]} / ${match[1]}`, Number(match[3])] as const];
    });
    expect(ratios.map(([what]) => what)).toEqual(
      ['ping-pong x1', 'ping-pong x8'].flatMap((scenario) =>
        servers.slice(1).map((server) => `${scenario} / ${server}`),
      ),
    );
    for (const [, ratio] of ratios) expect(ratio).toBeGreaterThan(0);
  });

  it('rejects a bad option with exit status 2 before starting anything', async () => {
    const result = await runProgram({ cwd, script: 'src/main.ts', args: ['echo', '--seconds', '0'] });
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    expect(result.stderr.join('\n')).toMatch(/--seconds.*'0'/);
  });
});
