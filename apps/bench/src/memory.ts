/**
 * `pnpm bench memory [--connections N] [--partial-bytes N]`: server memory
 * per connection, for the generated line echo server and a hand-written
 * `node:net` echo, each in its own child process. Three readings of the
 * child's memory, live (heap used plus buffers, after a full collection) and
 * resident set: after one warm-up exchange, after N connections each answered once and then left idle, and
 * after each of them sent --partial-bytes of an unfinished line one byte per
 * TCP segment (what a hostile peer does to make a decoder hold many tiny
 * chunks). Reports bytes per connection and, for the partial lines, bytes of
 * server memory per byte held.
 */
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { type ChildServer, FROM_SOURCE, startChildServer, stopChildServer } from './child-server.js';

const SERVER_CHILD = fileURLToPath(new URL(FROM_SOURCE ? './server-child.ts' : './server-child.js', import.meta.url));
export const MEMORY_SERVER_KINDS = ['generated', 'raw'] as const;
export type MemoryServerKind = (typeof MEMORY_SERVER_KINDS)[number];
/** Each connection is a descriptor here and one in the server: 10,000 fits a ulimit -n of 20,000 with room to spare. */
const MAX_CONNECTIONS = 10_000;
/** Below the line echo's maxFrameBytes (65,536), so the line stays unfinished rather than refused. */
const MAX_PARTIAL_BYTES = 60_000;
/** Connections opened at once, so the listen backlog (511) never overflows. */
const CONNECT_BATCH = 200;
/** Time for the server to take in the last segments and for its allocator to settle before a reading. */
const SETTLE_MS = 1000;

export interface MemoryOptions {
  readonly connections: number;
  readonly partialBytes: number;
}

export interface MemoryResult {
  readonly server: MemoryServerKind;
  readonly connections: number;
  readonly partialBytes: number;
  readonly base: MemoryReading;
  readonly idle: MemoryReading;
  readonly partial: MemoryReading;
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** What the child holds after a full collection (server-child.ts under --expose-gc, asked with SIGUSR2). */
interface MemoryReading {
  /** Resident set: what the process costs the machine, garbage the allocator kept included. */
  readonly rss: number;
  /** Live JavaScript heap plus buffers outside it: what the server really holds. */
  readonly live: number;
}

async function collectedReading(server: ChildServer): Promise<MemoryReading> {
  await settle();
  const seen = server.stderr.length;
  server.child.kill('SIGUSR2');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = server.stderr.slice(seen).find((entry) => entry.startsWith('memory '));
    if (line !== undefined) {
      const field = (name: string): number => Number(new RegExp(`${name}=(\\d+)`).exec(line)?.[1] ?? Number.NaN);
      return { rss: field('rss'), live: field('heapUsed') + field('external') };
    }
    if (Date.now() > deadline) throw new Error('bench memory: the server did not report its memory within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Opens a connection and waits for one echoed line, so the server has surely accepted and served it. */
function openAnswered(server: ChildServer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port, noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => socket.write('ping\n'));
    socket.once('data', () => {
      socket.off('error', reject);
      // Keep errors (a reset at the end) from crashing the bench.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

export async function measureMemory(
  server: ChildServer,
  kind: MemoryServerKind,
  options: MemoryOptions,
): Promise<MemoryResult> {
  const sockets: Socket[] = [];
  try {
    sockets.push(await openAnswered(server));
    const base = await collectedReading(server);
    while (sockets.length < options.connections) {
      const batch = Math.min(CONNECT_BATCH, options.connections - sockets.length);
      sockets.push(...(await Promise.all(Array.from({ length: batch }, () => openAnswered(server)))));
    }
    const idle = await collectedReading(server);
    // One byte to every connection per turn: each write is its own segment (Nagle off), so the
    // server reads them one by one, as from a peer that drips its line.
    for (let byte = 0; byte < options.partialBytes; byte += 1) {
      for (const socket of sockets) socket.write('x');
      await nextTurn();
    }
    const partial = await collectedReading(server);
    return { server: kind, ...options, base, idle, partial };
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

const mib = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);

export function formatMemoryResults(results: readonly MemoryResult[]): string {
  const lines = ['server     measure  base MiB  idle MiB  partial MiB  idle B/conn  partial B/conn  B per byte held'];
  for (const result of results) {
    for (const measure of ['live', 'rss'] as const) {
      const { base, idle, partial } = {
        base: result.base[measure],
        idle: result.idle[measure],
        partial: result.partial[measure],
      };
      const perByte =
        result.partialBytes === 0 ? '-' : ((partial - idle) / (result.connections * result.partialBytes)).toFixed(2);
      lines.push(
        [
          result.server.padEnd(10),
          measure.padEnd(7),
          mib(base).padStart(9),
          mib(idle).padStart(9),
          mib(partial).padStart(12),
          Math.round((idle - base) / result.connections)
            .toLocaleString('en-US')
            .padStart(12),
          Math.round((partial - base) / result.connections)
            .toLocaleString('en-US')
            .padStart(15),
          perByte.padStart(16),
        ].join(' '),
      );
    }
  }
  return lines.join('\n');
}

export function parseMemoryArgs(args: readonly string[]): MemoryOptions | string {
  let connections = 10_000;
  let partialBytes = 100;
  for (let index = 0; index < args.length; index += 2) {
    const text = args[index + 1] ?? '';
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (args[index] === '--connections' && value >= 1 && value <= MAX_CONNECTIONS) connections = value;
    else if (args[index] === '--partial-bytes' && value >= 0 && value <= MAX_PARTIAL_BYTES) partialBytes = value;
    else {
      return `unknown or invalid option ${args[index]} ${text}; use --connections N (1 to ${MAX_CONNECTIONS}) and --partial-bytes N (0 to ${MAX_PARTIAL_BYTES})`;
    }
  }
  return { connections, partialBytes };
}

export async function runMemoryBench(args: readonly string[]): Promise<number> {
  const options = parseMemoryArgs(args);
  if (typeof options === 'string') {
    process.stderr.write(`bench memory: ${options}\n`);
    return USAGE_EXIT_CODE;
  }
  const results: MemoryResult[] = [];
  for (const kind of MEMORY_SERVER_KINDS) {
    const server = await startChildServer(SERVER_CHILD, [kind, '--port', '0'], {
      name: `the ${kind} echo server`,
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim() },
    });
    try {
      results.push(await measureMemory(server, kind, options));
    } finally {
      await stopChildServer(server);
    }
  }
  process.stdout.write(
    `server memory: ${options.connections} connections to a line echo server, idle, then each holding ${options.partialBytes} bytes of an unfinished line sent one byte per segment; live bytes after a full GC and resident set of the server process, loopback, node ${process.version}\n\n`,
  );
  process.stdout.write(`${formatMemoryResults(results)}\n`);
  return 0;
}
