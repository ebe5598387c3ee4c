/**
 * `pnpm bench cpu [--seconds N] [--connections N] [--burn-ms N] [--workers N]`:
 * requests/s for N ping-pong clients against a CPU-heavy handler (a busy
 * loop per request) under each concurrency model, in one run. Each server
 * runs in its own process (this file with `--serve <model>`), so the load
 * generator never shares an event loop or a worker pool with it.
 *
 * This file is also the handler module of the `threads` workers and the
 * program of the `processes` workers: both import or run it again.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { type ConcurrencyModelName, resolveConcurrency } from '@sockspec/concurrency';
import { type Connection, createProtocolServer, type ServerProtocol } from '@sockspec/server';
import { startChildServer, stopChildServer } from './child-server.js';
import { type PingPongResult, pingPong } from './load.js';
import { MESSAGE_BYTES } from './options.js';

const MODELS: readonly ConcurrencyModelName[] = ['serial', 'async', 'threads', 'processes'];
/** The handler's CPU cost travels by environment: thread and cluster workers inherit it. */
const BURN_ENV = 'SOCKSPEC_BENCH_BURN_MS';
const MAX_BURN_MS = 1000;
const MAX_CONNECTIONS = 500;
const MAX_WORKERS = 256;
const MAX_SECONDS = 600;

const THIS_FILE = fileURLToPath(import.meta.url);

/** Lines in, the same line out after `burnMs` of busy CPU. */
export function cpuProtocol(burnMs: number): ServerProtocol<Uint8Array> {
  return {
    name: 'cpu',
    framing: {
      kind: 'delimited',
      delimiter: [0x0a],
      keepDelimiter: false,
      stripCarriageReturn: false,
      maxFrameBytes: 1024,
    },
    idleTimeoutMs: null,
    decode: (frame) => frame,
    dispatch(line: Uint8Array, connection: Connection): void {
      const until = performance.now() + burnMs;
      while (performance.now() < until) {
        // The CPU-heavy handler the models are compared on.
      }
      const reply = new Uint8Array(line.length + 1);
      reply.set(line);
      reply[line.length] = 0x0a;
      connection.send(reply);
    },
  };
}

/** What a `threads` worker loads from this module. */
export default cpuProtocol(Number(process.env[BURN_ENV] ?? '2'));

interface CpuBenchOptions {
  readonly seconds: number;
  readonly connections: number;
  readonly burnMs: number;
  readonly workers: number;
}

function parseCpuArgs(argv: readonly string[]): CpuBenchOptions | string {
  const values = new Map<string, number>();
  const limits: Record<string, [number, number]> = {
    '--seconds': [0.1, MAX_SECONDS],
    '--connections': [1, MAX_CONNECTIONS],
    '--burn-ms': [0, MAX_BURN_MS],
    '--workers': [1, MAX_WORKERS],
  };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index]!;
    const raw = argv[index + 1];
    const range = limits[name];
    if (range === undefined) return `unknown option '${name}'; expected ${Object.keys(limits).join(', ')}`;
    const value = raw !== undefined && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= range[0] && value <= range[1])) {
      return `${name}: expected a number from ${range[0]} to ${range[1]}, got '${raw ?? ''}'`;
    }
    values.set(name, value);
  }
  const wholeOnly = ['--connections', '--workers'].find((name) => !Number.isInteger(values.get(name) ?? 1));
  if (wholeOnly !== undefined) return `${wholeOnly}: expected a whole number`;
  return {
    seconds: values.get('--seconds') ?? 3,
    connections: values.get('--connections') ?? 50,
    burnMs: values.get('--burn-ms') ?? 2,
    workers: values.get('--workers') ?? availableParallelism(),
  };
}

/** `cpu.ts --serve <model> --workers N`: one benchmark server; prints `listening <url>`. */
async function serve(model: string, workers: number): Promise<void> {
  if (!(MODELS as readonly string[]).includes(model)) throw new Error(`--serve: unknown model '${model}'`);
  const concurrency = resolveConcurrency(model as ConcurrencyModelName, {
    ...(model === 'threads' || model === 'processes' ? { workers } : {}),
    module: import.meta.url,
  });
  const server = createProtocolServer(cpuProtocol(Number(process.env[BURN_ENV] ?? '2')), {
    concurrency,
    host: '127.0.0.1',
    port: 0,
  });
  const address = await server.listen();
  // Cluster workers' stdout is not shown; only the primary's line reaches the parent.
  process.stdout.write(`listening ${address.url}\n`);
  process.once('SIGTERM', () => {
    void server
      .shutdown({ drainMs: 1000 })
      .then(() => concurrency.close())
      .finally(() => process.exit(0));
  });
  await server.serveForever();
}

function formatResults(results: ReadonlyArray<{ model: string; result: PingPongResult }>): string {
  const asyncRate = results.find((entry) => entry.model === 'async')?.result.messagesPerSecond ?? Number.NaN;
  const ms = (ns: number) => (Number.isNaN(ns) ? '-' : (ns / 1e6).toFixed(1));
  const rows = [
    ['model', 'req/s', 'vs async', 'p50 ms', 'p99 ms'],
    ...results.map(({ model, result }) => [
      model,
      result.messagesPerSecond.toFixed(0),
      `${(result.messagesPerSecond / asyncRate).toFixed(2)}x`,
      ms(result.histogram.quantile(0.5)),
      ms(result.histogram.quantile(0.99)),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    )
    .join('\n')}\n`;
}

/** `pnpm bench cpu ...`; resolves with the exit status. */
export async function runCpuBench(argv: readonly string[]): Promise<number> {
  const options = parseCpuArgs(argv);
  if (typeof options === 'string') {
    process.stderr.write(
      `bench cpu: ${options}\nusage: pnpm bench cpu [--seconds N] [--connections N] [--burn-ms N] [--workers N]\n`,
    );
    return USAGE_EXIT_CODE;
  }
  const results: Array<{ model: string; result: PingPongResult }> = [];
  const notes: string[] = [];
  let failed = false;
  for (const model of MODELS) {
    // serve() does not watch for a disconnect, so an IPC channel would do nothing for it.
    const server = await startChildServer(THIS_FILE, ['--serve', model, '--workers', String(options.workers)], {
      name: `the ${model} server`,
      env: { ...process.env, [BURN_ENV]: String(options.burnMs) },
      ipc: false,
    });
    try {
      const result = await pingPong({
        host: server.host,
        port: server.port,
        connections: options.connections,
        messageBytes: MESSAGE_BYTES,
        warmupMs: Math.min(500, (options.seconds * 1000) / 4),
        durationMs: options.seconds * 1000,
        maxMessages: 50_000_000,
        graceMs: 2000,
      });
      results.push({ model, result });
      if (model === 'serial') {
        // Serial serves one connection until it leaves; the others wait the whole run by design.
        if (result.failures.length > 0) notes.push(`serial: ${result.failures.length} note(s): ${result.failures[0]}`);
      } else {
        for (const failure of result.failures) notes.push(`${model}: ${failure}`);
        if (result.failures.length > 0 || result.wrongReplies > 0 || result.messages === 0) failed = true;
      }
    } finally {
      await stopChildServer(server);
      if (failed && server.stderr.length > 0) notes.push(`${model} server stderr: ${server.stderr.join(' | ')}`);
    }
  }
  process.stdout.write(
    `cpu benchmark: ${options.burnMs} ms busy handler per request, ${options.connections} ping-pong clients, ` +
      `${options.seconds} s per model, threads/processes workers ${options.workers}, ${availableParallelism()} CPUs, node ${process.version}\n\n`,
  );
  process.stdout.write(formatResults(results));
  process.stdout.write(
    `\nserial serves one connection at a time: its rate and latencies come from the first client while the other ${options.connections - 1} wait.\n`,
  );
  for (const note of notes) process.stderr.write(`bench cpu: ${note}\n`);
  return failed ? 1 : 0;
}

// Run directly with --serve (a benchmark server, or a cluster worker running the same program).
if (isMainThread && process.argv[1] === THIS_FILE && process.argv[2] === '--serve') {
  const workersAt = process.argv.indexOf('--workers');
  const workers = workersAt === -1 ? availableParallelism() : Number(process.argv[workersAt + 1]);
  try {
    await serve(process.argv[3] ?? '', workers);
  } catch (error) {
    process.stderr.write(`bench cpu server: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
