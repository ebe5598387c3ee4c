import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '@sockspec/app-kit/testing';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('pnpm bench echo', () => {
  it('runs every server (generated, raw node:net, C epoll when cc exists, Python asyncio and ThreadingTCPServer) in a short run, prints the table and a positive ratio per baseline and scenario, writes JSON and an SVG chart, and stops everything', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sockspec-bench-test-'));
    const json = join(out, 'echo.json');
    const svg = join(out, 'echo.svg');
    const result = await runProgram({
      cwd,
      script: 'src/main.ts',
      args: ['echo', '--seconds', '0.3', '--connections', '8', '--json', json, '--svg', svg],
      timeoutMs: 60_000,
    });
    expect(result.stderr).toEqual([]);
    expect(result.code).toBe(0);
    const header = result.stdout.findIndex((line) =>
      /^scenario\s+server\s+msgs\/s\s+p50 µs\s+p99 µs\s+p99\.9 µs$/.test(line),
    );
    expect(header).toBeGreaterThanOrEqual(0);
    // The C baseline is built with the system's cc; without one the bench says so and leaves it out.
    const hasCompiler = spawnSync('cc', ['--version']).error === undefined;
    // With a compiler the C load generator makes the load; without one the Node client does, and says so.
    expect(
      result.stdout.some((line) =>
        line.includes(hasCompiler ? 'load from the C epoll load generator' : 'the Node client made the load'),
      ),
    ).toBe(true);
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
      const [rate, p50, p99, p999] = row.slice(2).map(Number);
      expect(rate).toBeGreaterThan(0);
      expect(p50).toBeGreaterThan(0);
      expect(p99).toBeGreaterThanOrEqual(p50!);
      expect(p999).toBeGreaterThanOrEqual(p99!);
    }
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      results: { scenario: string; server: string; messagesPerSecond: number; generatedRatio: number }[];
    };
    expect(report.results.map((record) => [record.scenario, record.server])).toEqual(
      rows.map((row) => row.slice(0, 2)),
    );
    expect(report.results.every((record) => record.messagesPerSecond > 0 && record.generatedRatio > 0)).toBe(true);
    const chart = readFileSync(svg, 'utf8');
    expect(chart).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(chart.match(/<rect x="140"/g)).toHaveLength(rows.length);
    rmSync(out, { recursive: true, force: true });
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
