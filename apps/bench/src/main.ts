#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
/**
 * `pnpm bench echo [--seconds N] [--connections N]`: the generated echo
 * server against a hand-written node:net echo, on loopback, in one run.
 * `pnpm bench cpu ...`, `pnpm bench chat-fanout ...`,
 * `pnpm bench file-transfer ...`, `pnpm bench codec ...`,
 * `pnpm bench pipeline ...` and `pnpm bench memory ...` are in cpu.ts,
 * chat-fanout.ts, file-transfer.ts, codec.ts, pipeline.ts and memory.ts;
 * `pnpm bench all` runs every one with its defaults.
 */
import { fileURLToPath } from 'node:url';
import { USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { buildC } from './c-baseline.js';
import { runChatFanoutBench } from './chat-fanout.js';
import { type ChildServer, FROM_SOURCE, startChildServer, stopChildServer } from './child-server.js';
import { runCodecBench } from './codec.js';
import { runCpuBench } from './cpu.js';
import { runFileTransferBench } from './file-transfer.js';
import { type PingPongOptions, type PingPongResult, pingPong } from './load.js';
import { runMemoryBench } from './memory.js';
import { nativePingPong } from './native-load.js';
import { parseBenchArgs } from './options.js';
import { runPipelineBench } from './pipeline.js';
import { formatSvgChart, formatTable, toRecords } from './report.js';

const SERVER_CHILD = fileURLToPath(new URL(FROM_SOURCE ? './server-child.ts' : './server-child.js', import.meta.url));
const SERVER_KINDS = ['generated', 'raw', 'c-epoll', 'python-asyncio', 'python-threading'] as const;
type ServerKind = (typeof SERVER_KINDS)[number];
/** The Python baselines: what a user of the seeds would run (asyncio.Protocol; socketserver.ThreadingTCPServer). */
const PYTHON_SERVERS: Partial<Record<ServerKind, string>> = {
  'python-asyncio': fileURLToPath(new URL('../python/asyncio_echo.py', import.meta.url)),
  'python-threading': fileURLToPath(new URL('../python/threading_echo.py', import.meta.url)),
};

interface BenchServer extends ChildServer {
  readonly kind: ServerKind;
}

// Exiting (rather than dying of the signal) runs the exit hook that kills the servers.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping the servers\n`);
    process.exit(130);
  });
}

async function startServer(kind: ServerKind, epollEcho: string | null): Promise<BenchServer | null> {
  if (kind === 'c-epoll') {
    if (epollEcho === null) return null;
    return {
      kind,
      ...(await startChildServer(epollEcho, [], { name: 'the C epoll server', interpreter: null, ipc: false })),
    };
  }
  const python = PYTHON_SERVERS[kind];
  if (python !== undefined) {
    return {
      kind,
      ...(await startChildServer(python, [], { name: `the ${kind} server`, interpreter: 'python3', ipc: false })),
    };
  }
  return { kind, ...(await startChildServer(SERVER_CHILD, [kind, '--port', '0'], { name: `the ${kind} server` })) };
}

/** Every bench by name; `pnpm bench all` runs them in this order with their defaults. */
const BENCHES: Readonly<Record<string, (args: readonly string[]) => number | Promise<number>>> = {
  echo: runEchoBench,
  pipeline: runPipelineBench,
  codec: runCodecBench,
  'file-transfer': runFileTransferBench,
  'chat-fanout': runChatFanoutBench,
  memory: runMemoryBench,
  cpu: runCpuBench,
};

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (name === 'all') {
    let worst = 0;
    for (const [each, run] of Object.entries(BENCHES)) {
      process.stdout.write(`\n## pnpm bench ${each}\n\n`);
      worst = Math.max(worst, await run([]));
    }
    return worst;
  }
  const run = name === undefined ? undefined : BENCHES[name];
  if (run === undefined) {
    process.stderr.write(
      `${name === undefined ? 'bench: which bench?' : `bench: no bench named ${name}`}; use one of ${Object.keys(BENCHES).join(', ')}, or all (each with its defaults)\n`,
    );
    return USAGE_EXIT_CODE;
  }
  return run(args);
}

async function runEchoBench(args: readonly string[]): Promise<number> {
  const options = parseBenchArgs(['echo', ...args]);
  if (typeof options === 'number') return options;
  const c = buildC('epoll_echo');
  const loader = options.client === 'c' ? buildC('epoll_load') : null;
  const nativeClient = loader !== null && 'binary' in loader ? loader.binary : null;
  const load = nativeClient === null ? pingPong : (phase: PingPongOptions) => nativePingPong(nativeClient, phase);
  const started = await Promise.all(SERVER_KINDS.map((kind) => startServer(kind, 'binary' in c ? c.binary : null)));
  const servers = started.filter((server): server is BenchServer => server !== null);
  const results: { scenario: string; server: ServerKind; result: PingPongResult }[] = [];
  try {
    for (const connections of [1, ...options.connections.filter((count) => count !== 1)]) {
      const scenario = `ping-pong x${connections}`;
      for (const server of servers) {
        const result = await load({
          host: server.host,
          port: server.port,
          connections,
          messageBytes: options.messageBytes,
          warmupMs: options.warmupSeconds * 1000,
          durationMs: options.seconds * 1000,
          maxMessages: options.maxMessages,
        });
        results.push({ scenario, server: server.kind, result });
      }
    }
  } finally {
    await Promise.all(servers.map(stopChildServer));
  }
  if ('skipped' in c) process.stdout.write(`${c.skipped}\n`);
  if (loader !== null && 'skipped' in loader)
    process.stdout.write(`${loader.skipped}; the Node client made the load\n`);
  const client = nativeClient === null ? 'the Node client in the bench process' : 'the C epoll load generator';
  const title = `echo benchmark: ${options.messageBytes}-byte lines, ${options.warmupSeconds} s warm-up + ${options.seconds} s per phase, load from ${client}, loopback, node ${process.version}`;
  process.stdout.write(`${title}\n\n`);
  process.stdout.write(formatTable(results));
  const records = toRecords(results);
  if (options.json !== null) {
    writeFileSync(
      options.json,
      `${JSON.stringify({ title, date: new Date().toISOString(), results: records }, null, 2)}\n`,
    );
    process.stdout.write(`wrote ${options.json}\n`);
  }
  if (options.svg !== null) {
    writeFileSync(options.svg, formatSvgChart(records, `echo msgs/s, load from ${client}`));
    process.stdout.write(`wrote ${options.svg}\n`);
  }
  let failed = false;
  for (const { scenario, server, result } of results) {
    for (const failure of result.failures) {
      failed = true;
      process.stderr.write(`bench: ${scenario} against the ${server} server: ${failure}\n`);
    }
    if (result.wrongReplies > 0 || result.messages === 0) failed = true;
    if (result.messages === 0) process.stderr.write(`bench: ${scenario} against the ${server} server: no replies\n`);
  }
  for (const server of servers) {
    if (failed && server.stderr.length > 0)
      process.stderr.write(`${server.kind} server stderr:\n${server.stderr.join('\n')}\n`);
  }
  return failed ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
