/**
 * `pnpm bench pipeline [--requests N] [--rounds N]`: N memcached-binary GETs
 * in flight on one connection to a real `memcached -B binary` (so the server
 * is never what is measured), through the generated client and through a
 * hand-written `node:net` client that writes the same bytes and counts the
 * replies; requests per second for each (median of the rounds) and the
 * ratio. Needs memcached (Debian: apt-get install memcached).
 */
import { connect, type Socket } from 'node:net';
import { startMemcached } from '@sockspec/app-gallery';
import { USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { createClient, encodeGet } from '@sockspec/protocol-memcached';

const MAX_REQUESTS = 1_000_000;
const MAX_ROUNDS = 50;
const KEY = 'sockspec-bench';
const VALUE_BYTES = 100;
/** memcached's binary header: every response is these 24 bytes plus totalBodyLength (bytes 8-11). */
const HEADER_BYTES = 24;

export interface PipelineOptions {
  readonly requests: number;
  readonly rounds: number;
}

export interface PipelineResult {
  readonly client: 'sockspec' | 'raw node:net';
  readonly requests: number;
  /** Requests per second, median of the rounds. */
  readonly perSecond: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One round through the generated client: every GET issued at once, then awaited together. */
async function generatedRound(client: Awaited<ReturnType<typeof createClient>>, requests: number): Promise<number> {
  const started = performance.now();
  const pending = new Array<Promise<unknown>>(requests);
  for (let index = 0; index < requests; index += 1) pending[index] = client.get({ key: KEY });
  const replies = await Promise.all(pending);
  const ms = performance.now() - started;
  if (replies.length !== requests) throw new Error('bench pipeline: a reply is missing');
  return requests / (ms / 1000);
}

/** One round by hand: the same GET frames (opaque 1..N) written at once, replies counted from their headers. */
function rawRound(socket: Socket, requests: number): Promise<number> {
  const frames = Buffer.concat(
    Array.from({ length: requests }, (_, index) => encodeGet({ key: KEY, opaque: index + 1 })),
  );
  return new Promise((resolve, reject) => {
    let seen = 0;
    let pending: Buffer = Buffer.alloc(0);
    const started = performance.now();
    const onData = (chunk: Buffer): void => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset >= HEADER_BYTES) {
        const frameBytes = HEADER_BYTES + pending.readUInt32BE(offset + 8);
        if (pending.length - offset < frameBytes) break;
        offset += frameBytes;
        seen += 1;
      }
      pending = pending.subarray(offset);
      if (seen === requests) {
        socket.off('data', onData);
        resolve(requests / ((performance.now() - started) / 1000));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(frames);
  });
}

export async function measurePipeline(host: string, port: number, options: PipelineOptions): Promise<PipelineResult[]> {
  const client = await createClient({ host, port });
  const socket = connect({ host, port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  try {
    await client.set({ key: KEY, extras: { flags: 0, expiration: 0 }, value: new Uint8Array(VALUE_BYTES) });
    // One warm-up round each, then the measured ones, alternating so both see the same machine.
    await generatedRound(client, options.requests);
    await rawRound(socket, options.requests);
    const generated: number[] = [];
    const raw: number[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      generated.push(await generatedRound(client, options.requests));
      raw.push(await rawRound(socket, options.requests));
    }
    return [
      { client: 'sockspec', requests: options.requests, perSecond: median(generated) },
      { client: 'raw node:net', requests: options.requests, perSecond: median(raw) },
    ];
  } finally {
    socket.destroy();
    await client.close();
  }
}

export function formatPipelineResults(results: readonly PipelineResult[]): string {
  const lines = ['requests in flight | client | requests/s'];
  for (const result of results) {
    lines.push(`${result.requests} | ${result.client} | ${Math.round(result.perSecond).toLocaleString('en-US')}`);
  }
  for (const requests of new Set(results.map((result) => result.requests))) {
    const ours = results.find((result) => result.requests === requests && result.client === 'sockspec')!;
    const raw = results.find((result) => result.requests === requests && result.client === 'raw node:net')!;
    lines.push(`ratio ${requests} in flight: sockspec / raw ${(ours.perSecond / raw.perSecond).toFixed(2)}`);
  }
  return lines.join('\n');
}

interface PipelineArgs {
  /** Each a separate measurement: requests in flight at once. */
  readonly requests: readonly number[];
  readonly rounds: number;
}

function parsePipelineArgs(args: readonly string[]): PipelineArgs | number {
  // 10,000 and 100,000 in flight are the two sizes.
  let requests: readonly number[] = [10_000, 100_000];
  let rounds = 5;
  for (let index = 0; index < args.length; index += 1) {
    const value = Number(args[index + 1]);
    if (args[index] === '--requests' && Number.isInteger(value) && value > 0 && value <= MAX_REQUESTS)
      requests = [value];
    else if (args[index] === '--rounds' && Number.isInteger(value) && value > 0 && value <= MAX_ROUNDS) rounds = value;
    else {
      process.stderr.write(
        `bench pipeline: unknown or invalid option ${args[index]}; use --requests N (1 to ${MAX_REQUESTS}) and --rounds N (1 to ${MAX_ROUNDS})\n`,
      );
      return USAGE_EXIT_CODE;
    }
    index += 1;
  }
  return { requests, rounds };
}

export async function runPipelineBench(args: readonly string[]): Promise<number> {
  const options = parsePipelineArgs(args);
  if (typeof options === 'number') return options;
  const server = await startMemcached(64);
  try {
    const results: PipelineResult[] = [];
    for (const requests of options.requests) {
      results.push(...(await measurePipeline(server.host, server.port, { requests, rounds: options.rounds })));
    }
    process.stdout.write(`${formatPipelineResults(results)}\n`);
    return 0;
  } finally {
    await server.stop();
  }
}
