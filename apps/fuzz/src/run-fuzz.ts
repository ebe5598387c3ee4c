import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type ChildServer, startChildServer, stopChildServer } from '@sockspec/bench';
import { concat, createRandom, cut, mutate, type Random } from './mutate.js';
import type { FuzzTarget } from './targets.js';

export interface FuzzOptions {
  /** Mutated frames to send in all; the run also stops after `seconds`. */
  readonly frames: number;
  readonly seconds: number;
  /** Fuzzing connections open at once. */
  readonly connections: number;
  readonly seed: number;
  /** How long the server may take to close a connection after the fuzzer ended its side, before it counts as a hang. */
  readonly hangMs: number;
  /** A probe slower than this is counted as late (the issue asks for 100 ms). */
  readonly probeBudgetMs: number;
}

export interface ProcessFigures {
  readonly rssBytes: number;
  readonly descriptors: number;
}

export interface FuzzResult {
  readonly target: string;
  readonly seed: number;
  readonly frames: number;
  readonly connections: number;
  readonly seconds: number;
  /** The server process exited during the run. */
  readonly crashed: boolean;
  /** Connections the server neither closed nor finished within hangMs of the fuzzer's FIN. */
  readonly hangs: number;
  readonly probes: number;
  readonly probesFailed: number;
  readonly probesLate: number;
  readonly probeMaxMs: number;
  readonly before: ProcessFigures;
  readonly after: ProcessFigures;
  /** Lines the server logged (bad input it refused, mostly): proof the mutations reached its decoders. */
  readonly serverLogLines: number;
  /** The server's stderr lines, for a report when something failed. */
  readonly stderrTail: readonly string[];
}

/** Frames per fuzzing connection: enough to reach a decoder's later states, few enough to open many connections. */
const MAX_FRAMES_PER_CONNECTION = 16;
const PROBE_EVERY_MS = 250;
const PROBE_TIMEOUT_MS = 2000;

export function processFigures(pid: number): ProcessFigures {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return { rssBytes: rssKiB * 1024, descriptors: readdirSync(`/proc/${pid}/fd`).length };
}

/** Starts the target's server, fuzzes it, probes it alongside, stops it. */
export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sockspec-fuzz-${target.name}-`));
  let server: ChildServer | undefined;
  try {
    server = await startChildServer(target.script, ['--port', '0', ...target.args(dir)], {
      name: `the ${target.name} server`,
    });
    return await fuzzServer(target, server, options);
  } finally {
    if (server !== undefined) await stopChildServer(server);
    await rm(dir, { recursive: true, force: true });
  }
}

async function fuzzServer(target: FuzzTarget, server: ChildServer, options: FuzzOptions): Promise<FuzzResult> {
  const pid = server.child.pid!;
  const { host, port } = server;
  // The first probe also warms the server up, so `before` is not its cold start.
  await target.probe(host, port, PROBE_TIMEOUT_MS);
  const before = processFigures(pid);
  const seeds = target.seeds();
  const random = createRandom(options.seed);
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  let crashed = false;
  server.child.once('exit', () => {
    crashed = true;
  });

  let sent = 0;
  let hangs = 0;
  const more = () => !crashed && sent < options.frames && performance.now() < deadline;
  const worker = async () => {
    while (more()) {
      const count = Math.min(1 + Math.floor(random() * MAX_FRAMES_PER_CONNECTION), options.frames - sent);
      sent += count;
      const frames: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const seed = seeds[Math.floor(random() * seeds.length)]!;
        // Now and then a valid frame between mutated ones, so later decoder states are reached.
        frames.push(random() < 0.2 ? seed : mutate(random, seed, seeds));
      }
      if (!(await fuzzConnection(host, port, concat(frames), random, options.hangMs))) hangs += 1;
    }
  };

  const probe = { count: 0, failed: 0, late: 0, maxMs: 0 };
  let probing = true;
  const prober = (async () => {
    while (probing && !crashed) {
      const at = performance.now();
      try {
        await target.probe(host, port, PROBE_TIMEOUT_MS);
      } catch {
        probe.failed += 1;
      }
      const took = performance.now() - at;
      probe.count += 1;
      probe.maxMs = Math.max(probe.maxMs, took);
      if (took > options.probeBudgetMs) probe.late += 1;
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
  })();

  await Promise.all(Array.from({ length: options.connections }, worker));
  probing = false;
  await prober;
  // Let the server finish closing what the fuzzer left, then measure what it still holds.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = crashed ? { rssBytes: Number.NaN, descriptors: Number.NaN } : processFigures(pid);
  return {
    target: target.name,
    seed: options.seed,
    frames: sent,
    connections: options.connections,
    seconds: (performance.now() - started) / 1000,
    crashed,
    hangs,
    probes: probe.count,
    probesFailed: probe.failed,
    probesLate: probe.late,
    probeMaxMs: probe.maxMs,
    before,
    after,
    serverLogLines: server.stderr.length,
    stderrTail: server.stderr.slice(-5),
  };
}

/**
 * Sends `bytes` in random pieces, ends its side and waits for the server to
 * close: after an answer, an error frame, or at once. Resolves false when
 * the server held the connection past `hangMs`.
 */
function fuzzConnection(
  host: string,
  port: number,
  bytes: Uint8Array,
  random: Random,
  hangMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, noDelay: true });
    let timer: NodeJS.Timeout | undefined;
    socket.on('error', () => {});
    // Replies are read and dropped: a peer that never reads is another test.
    socket.on('data', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once('connect', () => {
      socket.cork();
      for (const piece of cut(random, bytes)) socket.write(piece);
      socket.uncork();
      socket.end();
      timer = setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, hangMs);
    });
  });
}
