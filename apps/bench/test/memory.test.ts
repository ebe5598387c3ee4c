import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startChildServer, stopChildServer } from '../src/child-server.js';
import { formatMemoryResults, measureMemory, parseMemoryArgs } from '../src/memory.js';

const SERVER_CHILD = fileURLToPath(new URL('../src/server-child.ts', import.meta.url));

describe('pnpm bench memory', () => {
  it('defaults to 10,000 connections and 100 partial bytes, and bounds both', () => {
    expect(parseMemoryArgs([])).toEqual({ connections: 10_000, partialBytes: 100 });
    expect(parseMemoryArgs(['--connections', '5', '--partial-bytes', '0'])).toEqual({
      connections: 5,
      partialBytes: 0,
    });
    expect(parseMemoryArgs(['--connections', '10001'])).toMatch(/--connections N \(1 to 10000\)/);
    expect(parseMemoryArgs(['--partial-bytes', '-1'])).toMatch(/^unknown or invalid option --partial-bytes -1/);
  });

  it('reads the generated server’s memory idle and with partial lines, and prints one row per reading', async () => {
    const server = await startChildServer(SERVER_CHILD, ['generated', '--port', '0'], {
      name: 'the generated echo server',
      env: { ...process.env, NODE_OPTIONS: '--expose-gc' },
    });
    try {
      const result = await measureMemory(server, 'generated', { connections: 20, partialBytes: 10 });
      for (const reading of [result.base, result.idle, result.partial]) {
        expect(reading.live).toBeGreaterThan(0);
        expect(reading.rss).toBeGreaterThan(reading.live);
      }
      const table = formatMemoryResults([result]).split('\n');
      expect(table).toHaveLength(3);
      expect(table[1]).toMatch(/^generated\s+live\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+-?[\d,]+\s+-?[\d,]+\s+-?[\d.]+$/);
      // Still serving after the partial lines: the server did not close or crash on them.
      expect(server.child.exitCode).toBeNull();
    } finally {
      await stopChildServer(server);
    }
  }, 60_000);
});
