/**
 * `pnpm bench file-transfer [--mib N] [--rounds N]`: put and get one file
 * of N MiB over loopback TCP with the generated file-transfer client and
 * server, then the same bytes through a raw node:net pipe (file → socket →
 * file, nothing else), and report MB/s for each and the ratio.
 *
 * Each server runs in its own process (this file with `--serve <kind>`),
 * so the client's work never shares an event loop with the server's. Both
 * write to and read from real files in a fresh temp directory; the
 * generated path also does what the protocol asks on top: SHA-256 on both
 * ends, fsync and rename before Stored.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { BatchedFileWriter, CHUNK_BYTES, fileTransferServerProgram } from '@sockspec/app-file-transfer';
import { processIO, runServer, USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { createClient } from '@sockspec/protocol-file-transfer';
import { type ChildServer, startChildServer, stopChildServer } from './child-server.js';

const THIS_FILE = fileURLToPath(import.meta.url);

export const TRANSFER_SERVER_KINDS = ['generated', 'raw'] as const;
export type TransferServerKind = (typeof TRANSFER_SERVER_KINDS)[number];

/** A run writes the file three times over (source, server copy, download): 4 GiB keeps that on any test disk. */
const MAX_MIB = 4096;
const MAX_ROUNDS = 20;
/** A transfer slower than 10 MB/s for the largest file is a broken server: the run stops. */
const TRANSFER_TIMEOUT_MS = 600_000;
const REMOTE_NAME = 'bench.bin';
const RAW_PUT = 0x50; // 'P'
const RAW_GET = 0x47; // 'G'

export interface FileTransferBenchOptions {
  readonly mib: number;
  readonly rounds: number;
}

export interface TransferTimes {
  readonly server: TransferServerKind;
  /** Seconds of each round's put and get. */
  readonly put: number[];
  readonly get: number[];
}

/** Parses `--mib N --rounds N`; a string is the usage error. */
export function parseFileTransferArgs(argv: readonly string[]): FileTransferBenchOptions | string {
  const limits: Record<string, [number, number]> = { '--mib': [1, MAX_MIB], '--rounds': [1, MAX_ROUNDS] };
  const values = new Map<string, number>();
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index]!;
    const raw = argv[index + 1];
    const range = limits[name];
    if (range === undefined) return `unknown option '${name}'; expected ${Object.keys(limits).join(', ')}`;
    const value = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= range[0] && value <= range[1])) {
      return `${name}: expected a whole number from ${range[0]} to ${range[1]}, got '${raw ?? ''}'`;
    }
    values.set(name, value);
  }
  return { mib: values.get('--mib') ?? 100, rounds: values.get('--rounds') ?? 3 };
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took longer than ${TRANSFER_TIMEOUT_MS} ms`)),
      TRANSFER_TIMEOUT_MS,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Writes `bytes` of random data in 1 MiB blocks (never the whole file in memory) and returns its SHA-256. */
async function writeRandomFile(path: string, bytes: number): Promise<Uint8Array> {
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    const block = Buffer.allocUnsafe(1 << 20);
    for (let written = 0; written < bytes; written += block.length) {
      const part = block.subarray(0, Math.min(block.length, bytes - written));
      randomFillSync(part);
      hash.update(part);
      await handle.write(part, 0, part.length, written);
    }
  } finally {
    await handle.close();
  }
  return new Uint8Array(hash.digest());
}

/** Put then get with the generated client; each timed from the first request to the last byte on disk. */
async function generatedRound(
  address: { host: string; port: number },
  source: string,
  target: string,
  size: number,
  sha256: Uint8Array,
): Promise<{ put: number; get: number }> {
  const client = await createClient({ host: address.host, port: address.port, requestTimeoutMs: TRANSFER_TIMEOUT_MS });
  try {
    const putStarted = performance.now();
    const ready = await client.offer({ path: REMOTE_NAME, size: BigInt(size), sha256 });
    if (ready.offset !== 0n)
      throw new Error(`the server offered to resume at ${ready.offset}, expected a fresh upload`);
    async function* chunks(): AsyncGenerator<{ bytes: Uint8Array }> {
      for await (const bytes of createReadStream(source, { highWaterMark: CHUNK_BYTES }))
        yield { bytes: bytes as Buffer };
    }
    const stored = await client.upload(
      { path: REMOTE_NAME, size: BigInt(size), sha256, offset: 0n, held: ready.held },
      { chunks: chunks(), end: {} },
    );
    if (stored.size !== BigInt(size)) throw new Error(`Stored says ${stored.size} bytes, sent ${size}`);
    const put = (performance.now() - putStarted) / 1000;

    const getStarted = performance.now();
    const sending = await client.get({ path: REMOTE_NAME, offset: 0n });
    const hash = createHash('sha256');
    const handle = await open(target, 'w');
    // As sockspec-file-transfer-client get writes: a batch of chunks per writev.
    const file = new BatchedFileWriter(handle, 0);
    let position = 0;
    try {
      for await (const chunk of sending.stream) {
        hash.update(chunk.bytes);
        await file.write(chunk.bytes);
        position += chunk.bytes.length;
      }
      await sending.stream.end;
      await file.flush();
    } finally {
      await handle.close();
    }
    const get = (performance.now() - getStarted) / 1000;
    if (position !== size || !hash.digest().equals(sha256)) {
      throw new Error(`get returned ${position} bytes with a different SHA-256 than the ${size} put`);
    }
    if (!Buffer.from(sending.sha256).equals(sha256)) throw new Error('Sending announced a different SHA-256');
    return { put, get };
  } finally {
    await client.close();
  }
}

/** The baseline: one byte of command (and a u64 size for a put), then the file's bytes piped as they are. */
async function rawRound(
  address: { host: string; port: number },
  source: string,
  target: string,
  size: number,
): Promise<{ put: number; get: number }> {
  const putStarted = performance.now();
  const putSocket = connect({ host: address.host, port: address.port, noDelay: true });
  await once(putSocket, 'connect');
  const header = Buffer.alloc(9);
  header[0] = RAW_PUT;
  header.writeBigUInt64BE(BigInt(size), 1);
  putSocket.write(header);
  const acked = once(putSocket, 'data');
  await pipeline(createReadStream(source, { highWaterMark: CHUNK_BYTES }), putSocket, { end: false });
  await acked;
  putSocket.destroy();
  const put = (performance.now() - putStarted) / 1000;

  const getStarted = performance.now();
  const getSocket = connect({ host: address.host, port: address.port, noDelay: true });
  await once(getSocket, 'connect');
  // Not end(): a half-close would make the server (allowHalfOpen off) end its side before the file is sent.
  getSocket.write(Buffer.of(RAW_GET));
  await pipeline(getSocket, createWriteStream(target));
  const get = (performance.now() - getStarted) / 1000;
  const received = (await stat(target)).size;
  if (received !== size) throw new Error(`the raw get returned ${received} bytes, expected ${size}`);
  return { put, get };
}

/** The raw server: a put pipes `size` bytes into the file and acknowledges with one byte; a get pipes the file back. */
function serveRaw(root: string): Promise<number> {
  const file = join(root, REMOTE_NAME);
  const server = createServer({ noDelay: true }, (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    let header = Buffer.alloc(0);
    let remaining = -1;
    let out: WriteStream | undefined;
    const onData = (data: Buffer): void => {
      let chunk = data;
      if (remaining < 0) {
        // Only until the 9-byte header is complete: at most one read's worth is joined.
        header = Buffer.concat([header, chunk]);
        if (header[0] === RAW_GET) {
          socket.off('data', onData);
          void pipeline(createReadStream(file, { highWaterMark: CHUNK_BYTES }), socket).catch(() => socket.destroy());
          return;
        }
        if (header.length < 9) return;
        remaining = Number(header.readBigUInt64BE(1));
        chunk = header.subarray(9);
        out = createWriteStream(file);
      }
      const part = chunk.subarray(0, remaining);
      remaining -= part.length;
      if (!out!.write(part)) {
        socket.pause();
        out!.once('drain', () => socket.resume());
      }
      if (remaining === 0) {
        socket.off('data', onData);
        out!.end(() => socket.end(Buffer.of(1)));
      }
    };
    socket.on('data', onData);
  });
  return listenUntilStopped(server);
}

async function listenUntilStopped(server: ReturnType<typeof createServer>): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') return 1;
  process.stdout.write(`listening tcp://127.0.0.1:${address.port}\n`);
  process.channel?.unref();
  await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT'), once(process, 'disconnect')]);
  server.close();
  return 0;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** MB/s (10^6 bytes per second) of the median round, per transfer and server, and generated/raw. */
export function formatTransferTable(size: number, results: readonly TransferTimes[]): string {
  const rate = (seconds: number): number => size / 1e6 / seconds;
  const find = (server: TransferServerKind): TransferTimes | undefined =>
    results.find((entry) => entry.server === server);
  const rows = [['transfer', 'generated MB/s', 'raw MB/s', 'generated/raw']];
  for (const transfer of ['put', 'get'] as const) {
    const generated = find('generated');
    const raw = find('raw');
    const generatedRate = generated === undefined ? Number.NaN : rate(median(generated[transfer]));
    const rawRate = raw === undefined ? Number.NaN : rate(median(raw[transfer]));
    rows.push([transfer, generatedRate.toFixed(1), rawRate.toFixed(1), (generatedRate / rawRate).toFixed(2)]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    )
    .join('\n')}\n`;
}

/** `pnpm bench file-transfer ...`; resolves with the exit status. */
export async function runFileTransferBench(argv: readonly string[]): Promise<number> {
  const options = parseFileTransferArgs(argv);
  if (typeof options === 'string') {
    process.stderr.write(`bench file-transfer: ${options}\nusage: pnpm bench file-transfer [--mib N] [--rounds N]\n`);
    return USAGE_EXIT_CODE;
  }
  const size = options.mib * 1024 * 1024;
  const dir = await mkdtemp(join(tmpdir(), 'sockspec-bench-ft-'));
  const results: TransferTimes[] = [];
  try {
    const source = join(dir, 'source.bin');
    const target = join(dir, 'downloaded.bin');
    const sha256 = await writeRandomFile(source, size);
    for (const kind of TRANSFER_SERVER_KINDS) {
      const root = join(dir, `root-${kind}`);
      await mkdir(root);
      let server: ChildServer | undefined;
      try {
        server = await startChildServer(THIS_FILE, ['--serve', kind, '--root', root, '--port', '0'], {
          name: `the ${kind} file server`,
        });
        const times: TransferTimes = { server: kind, put: [], get: [] };
        for (let round = 0; round < options.rounds; round++) {
          const work =
            kind === 'generated'
              ? generatedRound(server, source, target, size, sha256)
              : rawRound(server, source, target, size);
          const { put, get } = await withTimeout(work, `${kind} round ${round + 1}`);
          times.put.push(put);
          times.get.push(get);
          await rm(target, { force: true });
        }
        results.push(times);
      } catch (error) {
        const detail =
          server !== undefined && server.stderr.length > 0 ? `; server stderr: ${server.stderr.join(' | ')}` : '';
        process.stderr.write(
          `bench file-transfer: ${kind}: ${error instanceof Error ? error.message : String(error)}${detail}\n`,
        );
        return 1;
      } finally {
        if (server !== undefined) await stopChildServer(server);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `file transfer: put and get of a ${options.mib} MiB file (${size} bytes), median of ${options.rounds} round(s), ` +
      `loopback tcp, node ${process.version}\n` +
      'generated: sockspec client and server, SHA-256 on both ends, fsync + rename; raw: node:net pipe, file to socket to file\n\n',
  );
  process.stdout.write(formatTransferTable(size, results));
  return 0;
}

// Run directly with --serve: one benchmark server, printing `listening <url>`.
if (process.argv[1] === THIS_FILE && process.argv[2] === '--serve') {
  const kind = process.argv[3] ?? '';
  const rest = process.argv.slice(4);
  if (kind === 'generated') {
    process.exitCode = await runServer(fileTransferServerProgram, { ...processIO(), argv: rest });
  } else if (kind === 'raw') {
    const root = rest[rest.indexOf('--root') + 1];
    process.exitCode = root === undefined ? USAGE_EXIT_CODE : await serveRaw(root);
  } else {
    process.stderr.write(`file-transfer --serve: expected 'generated' or 'raw', got '${kind}'\n`);
    process.exitCode = USAGE_EXIT_CODE;
  }
}
