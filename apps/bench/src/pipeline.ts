/**
 * `pnpm bench pipeline [--requests N] [--connections N] [--rounds N]`:
 * memcached-binary GETs in flight at once to a real `memcached -B binary`
 * (so the server is never what is measured): 10,000 and 100,000 on one
 * connection, then 100 connections with 1,000 each. Three clients take
 * turns: the generated one, the one people write by hand on node:net
 * (hand-written-memcached.ts: a promise per request, a Map by opaque), and
 * the bytes-only floor (frames encoded before the clock, replies only
 * counted). Requests per second (median of the rounds) and the ratios.
 * Needs memcached (Debian: apt-get install memcached).
 */
import { connect } from 'node:net';
import { startMemcached } from '@sockspec/app-gallery';
import { USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { createClient, encodeGet } from '@sockspec/protocol-memcached';
import { HandWrittenMemcachedClient } from './hand-written-memcached.js';

const MAX_REQUESTS = 1_000_000;
const MAX_ROUNDS = 50;
const WARMUP_REQUESTS = 200_000;
/** Each holds its own socket to memcached, for every client compared. */
const MAX_CONNECTIONS = 1000;
const KEY = 'sockspec-bench';
const VALUE_BYTES = 100;
/** memcached's binary header: every response is these 24 bytes plus totalBodyLength (bytes 8-11). */
const HEADER_BYTES = 24;

export interface PipelineOptions {
  /** Connections, each with `requests` GETs in flight at once. */
  readonly connections: number;
  readonly requests: number;
  readonly rounds: number;
}

export type PipelineClientName = 'sockspec' | 'hand-written node:net' | 'bytes only';

export interface PipelineResult {
  readonly client: PipelineClientName;
  readonly connections: number;
  readonly requests: number;
  /** Requests per second over all connections, median of the rounds. */
  readonly perSecond: number;
}

/** One connection's share of a round: resolves once its `requests` replies are in. */
type Round = (requests: number) => Promise<void>;

interface PipelineClient {
  readonly round: Round;
  readonly close: () => Promise<void> | void;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Every GET issued at once through a client's promise API, then awaited together. */
async function promiseRound(get: () => Promise<unknown>, requests: number): Promise<void> {
  const pending = new Array<Promise<unknown>>(requests);
  for (let index = 0; index < requests; index += 1) pending[index] = get();
  const replies = await Promise.all(pending);
  if (replies.length !== requests) throw new Error('bench pipeline: a reply is missing');
}

async function connectSockspec(host: string, port: number): Promise<PipelineClient> {
  const client = await createClient({ host, port });
  const request = { key: KEY };
  return { round: (requests) => promiseRound(() => client.get(request), requests), close: () => client.close() };
}

async function connectHandWritten(host: string, port: number): Promise<PipelineClient> {
  const client = await HandWrittenMemcachedClient.connect(host, port);
  return { round: (requests) => promiseRound(() => client.get(KEY), requests), close: () => client.close() };
}

/**
 * The floor: the same GET frames (opaque 1..N), encoded before the clock
 * starts and written at once, and replies only counted from their headers;
 * no object per request or reply. What the socket and memcached allow.
 */
async function connectBytesOnly(host: string, port: number): Promise<PipelineClient> {
  const socket = connect({ host, port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const framesFor = new Map<number, Buffer>();
  // One listener for the connection's life, failing whichever round is running (one per round would pile up).
  let failRound: ((error: Error) => void) | null = null;
  socket.on('error', (error) => failRound?.(error));
  const round = (requests: number): Promise<void> => {
    let frames = framesFor.get(requests);
    if (frames === undefined) {
      frames = Buffer.concat(
        Array.from({ length: requests }, (_, index) => encodeGet({ key: KEY, opaque: index + 1 })),
      );
      framesFor.set(requests, frames);
    }
    return new Promise((resolve, reject) => {
      let seen = 0;
      let held: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
        let offset = 0;
        while (held.length - offset >= HEADER_BYTES) {
          const frameBytes = HEADER_BYTES + held.readUInt32BE(offset + 8);
          if (held.length - offset < frameBytes) break;
          offset += frameBytes;
          seen += 1;
        }
        held = held.subarray(offset);
        if (seen === requests) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      failRound = reject;
      socket.write(frames);
    });
  };
  return { round, close: () => void socket.destroy() };
}

const CONNECT: Record<PipelineClientName, (host: string, port: number) => Promise<PipelineClient>> = {
  sockspec: connectSockspec,
  'hand-written node:net': connectHandWritten,
  'bytes only': connectBytesOnly,
};

/** One round on every connection at once; requests per second over all of them. */
async function timedRound(clients: readonly PipelineClient[], requests: number): Promise<number> {
  const started = performance.now();
  await Promise.all(clients.map((client) => client.round(requests)));
  return (clients.length * requests) / ((performance.now() - started) / 1000);
}

export async function measurePipeline(host: string, port: number, options: PipelineOptions): Promise<PipelineResult[]> {
  const names = Object.keys(CONNECT) as PipelineClientName[];
  const clients = new Map<PipelineClientName, PipelineClient[]>();
  try {
    for (const name of names) {
      const connected: PipelineClient[] = [];
      clients.set(name, connected);
      for (let index = 0; index < options.connections; index += 1) connected.push(await CONNECT[name](host, port));
    }
    const setter = await createClient({ host, port });
    await setter.set({ key: KEY, extras: { flags: 0, expiration: 0 }, value: new Uint8Array(VALUE_BYTES) });
    await setter.close();
    // Warm-up rounds of at least WARMUP_REQUESTS each (a 10,000-request round measured before the JIT settles ran
    // at half speed), then the measured ones, taking turns so that all see the same machine.
    const warmups = Math.ceil(WARMUP_REQUESTS / (options.connections * options.requests));
    for (const name of names) {
      for (let round = 0; round < warmups; round += 1) await timedRound(clients.get(name)!, options.requests);
    }
    const rates = new Map<PipelineClientName, number[]>(names.map((name) => [name, []]));
    for (let round = 0; round < options.rounds; round += 1) {
      for (const name of names) rates.get(name)!.push(await timedRound(clients.get(name)!, options.requests));
    }
    return names.map((client) => ({
      client,
      connections: options.connections,
      requests: options.requests,
      perSecond: median(rates.get(client)!),
    }));
  } finally {
    for (const connected of clients.values()) for (const client of connected) await client.close();
  }
}

function shapeOf(result: PipelineResult): string {
  return result.connections === 1
    ? `${result.requests.toLocaleString('en-US')} in flight on 1 connection`
    : `${result.connections} connections × ${result.requests.toLocaleString('en-US')} in flight`;
}

export function formatPipelineResults(results: readonly PipelineResult[]): string {
  const lines = ['requests in flight | client | requests/s'];
  for (const result of results) {
    lines.push(`${shapeOf(result)} | ${result.client} | ${Math.round(result.perSecond).toLocaleString('en-US')}`);
  }
  for (const shape of new Set(results.map(shapeOf))) {
    const rate = (client: PipelineClientName): number =>
      results.find((result) => shapeOf(result) === shape && result.client === client)!.perSecond;
    const ours = rate('sockspec');
    lines.push(
      `ratio ${shape}: sockspec / hand-written ${(ours / rate('hand-written node:net')).toFixed(2)}, sockspec / bytes only ${(ours / rate('bytes only')).toFixed(2)}`,
    );
  }
  return lines.join('\n');
}

interface PipelineShape {
  readonly connections: number;
  readonly requests: number;
}

interface PipelineArgs {
  /** Each a separate measurement. */
  readonly shapes: readonly PipelineShape[];
  readonly rounds: number;
}

function parsePipelineArgs(args: readonly string[]): PipelineArgs | number {
  let requests: number | undefined;
  let connections: number | undefined;
  let rounds = 9;
  for (let index = 0; index < args.length; index += 1) {
    const value = Number(args[index + 1]);
    if (args[index] === '--requests' && Number.isInteger(value) && value > 0 && value <= MAX_REQUESTS) requests = value;
    else if (args[index] === '--connections' && Number.isInteger(value) && value > 0 && value <= MAX_CONNECTIONS)
      connections = value;
    else if (args[index] === '--rounds' && Number.isInteger(value) && value > 0 && value <= MAX_ROUNDS) rounds = value;
    else {
      process.stderr.write(
        `bench pipeline: unknown or invalid option ${args[index]}; use --requests N (1 to ${MAX_REQUESTS}), --connections N (1 to ${MAX_CONNECTIONS}) and --rounds N (1 to ${MAX_ROUNDS})\n`,
      );
      return USAGE_EXIT_CODE;
    }
    index += 1;
  }
  // The three shapes unless one is asked for.
  const shapes =
    requests === undefined && connections === undefined
      ? [
          { connections: 1, requests: 10_000 },
          { connections: 1, requests: 100_000 },
          { connections: 100, requests: 1_000 },
        ]
      : [{ connections: connections ?? 1, requests: requests ?? 10_000 }];
  return { shapes, rounds };
}

export async function runPipelineBench(args: readonly string[]): Promise<number> {
  const options = parsePipelineArgs(args);
  if (typeof options === 'number') return options;
  const server = await startMemcached(64);
  try {
    const results: PipelineResult[] = [];
    for (const shape of options.shapes) {
      results.push(...(await measurePipeline(server.host, server.port, { ...shape, rounds: options.rounds })));
    }
    process.stdout.write(`${formatPipelineResults(results)}\n`);
    return 0;
  } finally {
    await server.stop();
  }
}
