import { fileURLToPath } from 'node:url';
import { runProgram } from '@sockspec/app-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chatFrame,
  createRawChatFanoutServer,
  FrameReader,
  parseChatFanoutArgs,
  runFanout,
} from '../src/chat-fanout.js';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const servers: ReturnType<typeof createRawChatFanoutServer>[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown({ drainMs: 0 })));
});

describe('FrameReader', () => {
  it('finds the same frames wherever the stream is split', () => {
    const stream = Buffer.concat([
      chatFrame(2, 1, Buffer.from([1, 0x61, 1, 0x62])),
      chatFrame(13, 7),
      chatFrame(4, 0, Buffer.alloc(300, 0x7a)),
    ]);
    const expected = [
      [2, 1, 4],
      [13, 7, 0],
      [4, 0, 300],
    ];
    for (let split = 0; split <= stream.length; split++) {
      const frames: number[][] = [];
      const reader = new FrameReader((type, id, body) => frames.push([type, id, body.length]));
      reader.push(stream.subarray(0, split));
      reader.push(stream.subarray(split));
      expect(frames).toEqual(expected);
    }
  });

  it('refuses a length above the spec maximum before buffering the frame', () => {
    const reader = new FrameReader(() => undefined);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(16_385);
    expect(() => reader.push(header)).toThrow('frame length 16385 is outside 5..16384');
    header.writeUInt32BE(4);
    expect(() => new FrameReader(() => undefined).push(header)).toThrow('frame length 4');
  });
});

describe('runFanout against the raw baseline', () => {
  it('joins every client, delivers each round to all of them and records one latency per measured round', async () => {
    const server = createRawChatFanoutServer({ port: 0, log: () => undefined });
    servers.push(server);
    const address = await server.listen();
    const result = await runFanout([address], 'raw', { clients: 12, rounds: 6, warmupRounds: 2 });
    expect(result.server).toBe('raw');
    expect(result.histogram.count).toBe(6);
    expect(result.rounds).toBe(6);
    expect(result.histogram.quantile(0.5)).toBeGreaterThan(0);
    expect(result.maxNs).toBeGreaterThanOrEqual(result.meanNs);
  });

  it('rejects when nothing is listening', async () => {
    const server = createRawChatFanoutServer({ port: 0 });
    const { port } = await server.listen();
    await server.shutdown({ drainMs: 0 });
    await expect(
      runFanout([{ host: '127.0.0.1', port }], 'raw', { clients: 2, rounds: 1, warmupRounds: 0 }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('parseChatFanoutArgs', () => {
  it('defaults to 200 clients and 50 rounds, and bounds every option', () => {
    expect(parseChatFanoutArgs([])).toEqual({ clients: 200, rounds: 50, warmupRounds: 5 });
    expect(parseChatFanoutArgs(['--clients', '3', '--rounds', '4', '--warmup-rounds', '0'])).toEqual({
      clients: 3,
      rounds: 4,
      warmupRounds: 0,
    });
    expect(parseChatFanoutArgs(['--clients', '5001'])).toBe(
      "--clients: expected a whole number from 1 to 5000, got '5001'",
    );
    expect(parseChatFanoutArgs(['--rounds'])).toBe("--rounds: expected a whole number from 1 to 10000, got ''");
    expect(parseChatFanoutArgs(['--seconds', '1'])).toMatch(/^unknown option '--seconds'/);
  });
});

describe('pnpm bench chat-fanout', () => {
  it('measures the generated chat server, the raw baseline and the room over 2 processes on Redis, prints them and the ratios, and stops', async () => {
    const result = await runProgram({
      cwd,
      script: 'src/main.ts',
      args: ['chat-fanout', '--clients', '10', '--rounds', '5', '--warmup-rounds', '1'],
      timeoutMs: 60_000,
    });
    expect(result.stderr).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout[0]).toMatch(
      /^chat fan-out: one Say reaching 10 clients in one room .* 5 rounds after 1 warm-up/,
    );
    const header = result.stdout.findIndex((line) => /^server\s+p50 ms\s+p99 ms\s+mean ms\s+max ms$/.test(line));
    expect(header).toBeGreaterThan(0);
    const rows = result.stdout.slice(header + 1, header + 4).map((line) => line.trim().split(/\s{2,}/));
    expect(rows.map((row) => row[0])).toEqual(['generated', 'raw', 'generated, 2 processes on Redis']);
    for (const row of rows) {
      const [p50, p99, mean, max] = row.slice(1).map(Number);
      expect(p50).toBeGreaterThan(0);
      expect(p99).toBeGreaterThanOrEqual(p50!);
      expect(max).toBeGreaterThanOrEqual(mean!);
    }
    const ratios = result.stdout.filter((line) => /^ratio generated\/raw p(50|99): \d+\.\d+$/.test(line));
    expect(ratios).toHaveLength(2);
    const shared = result.stdout.filter((line) =>
      /^ratio 2 processes on Redis\/generated p(50|99): \d+\.\d+$/.test(line),
    );
    expect(shared).toHaveLength(2);
  });

  it('rejects a bad option with exit status 2 before starting a server', async () => {
    const result = await runProgram({ cwd, script: 'src/main.ts', args: ['chat-fanout', '--clients', '0'] });
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    expect(result.stderr[0]).toBe("bench chat-fanout: --clients: expected a whole number from 1 to 5000, got '0'");
  });
});
