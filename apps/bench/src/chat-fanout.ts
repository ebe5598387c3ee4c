/**
 * `pnpm bench chat-fanout [--clients N] [--rounds N] [--warmup-rounds N]`:
 * N clients join one room of the chat server, one of them says a line, and
 * a round lasts from that Say until every one of the N (the sender too) has
 * the Said. The same run repeats it against a hand-written node:net server
 * that writes one pre-encoded Said to every socket: the least work any
 * server can do for a fan-out, so the ratio is the framework's overhead.
 *
 * Each server runs in its own process (this file with `--serve <kind>`),
 * so the N clients never share an event loop with it. The clients are raw
 * sockets speaking the spec's byte layout, the same for both servers, so
 * only the servers differ.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type ServerProgram, USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { type RealServer, startRealServer } from '@sockspec/app-kit/testing';
import type { ProtocolServer, ServerOptions } from '@sockspec/server';
import { type BoundAddress, formatUrl } from '@sockspec/transport';
import { type ChildServer, serveChildProgram, startChildServer, stopChildServer } from './child-server.js';
import { closeNetServer } from './close-net-server.js';
import { LatencyHistogram } from './histogram.js';

const THIS_FILE = fileURLToPath(import.meta.url);

export const FANOUT_SERVER_KINDS = ['generated', 'raw'] as const;
export type FanoutServerKind = (typeof FANOUT_SERVER_KINDS)[number];

/** The chat server's room size limit (MAX_ROOM_MEMBERS); each client is a socket here and one in the server. */
const MAX_CLIENTS = 5000;
const MAX_ROUNDS = 10_000;
/** A round that takes longer than this is a broken server, not a slow one; the run stops. */
const ROUND_TIMEOUT_MS = 10_000;
const JOIN_TIMEOUT_MS = 30_000;
/** Joins in flight at once, so connection setup does not overflow a listen backlog. */
const JOIN_BATCH = 50;
const ROOM = 'bench';

// Byte layout of specs/chat.protocol.yaml, the subset this benchmark speaks.
const MAX_FRAME_BYTES = 16_384;
const LENGTH_BYTES = 4;
const HEADER_BYTES = 5;
const CODE = { Join: 1, Joined: 2, Say: 3, Said: 4, Ok: 13, Failed: 14 } as const;

export interface ChatFanoutOptions {
  readonly clients: number;
  readonly rounds: number;
  readonly warmupRounds: number;
}

/** The room spread over two generated chat server processes sharing their groups on a real redis-server. */
export const SHARED_ROOM_LABEL = 'generated, 2 processes on Redis';

export interface FanoutResult {
  /** A FanoutServerKind, or SHARED_ROOM_LABEL. */
  readonly server: string;
  /** Send-to-last-delivery time of each measured round, in nanoseconds. */
  readonly histogram: LatencyHistogram;
  readonly rounds: number;
  readonly meanNs: number;
  readonly maxNs: number;
}

function shortString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.of(bytes.length), bytes]);
}

function longString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** One whole frame: u32 length (of what follows), u8 type, u32 id, fields. */
export function chatFrame(type: number, id: number, ...fields: Buffer[]): Buffer {
  const body = Buffer.concat(fields);
  const frame = Buffer.alloc(LENGTH_BYTES + HEADER_BYTES + body.length);
  frame.writeUInt32BE(HEADER_BYTES + body.length, 0);
  frame.writeUInt8(type, 4);
  frame.writeUInt32BE(id, 5);
  body.copy(frame, LENGTH_BYTES + HEADER_BYTES);
  return frame;
}

/**
 * Splits a byte stream into frames. A frame that fits one chunk is handed
 * on as a view of that chunk; only frames split across reads are copied.
 */
export class FrameReader {
  private pending: Buffer | undefined;

  constructor(private readonly onFrame: (type: number, id: number, body: Buffer) => void) {}

  /** Throws when a length is outside what the spec allows, before anything is buffered for it. */
  push(chunk: Buffer): void {
    let data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    while (data.length >= LENGTH_BYTES) {
      const length = data.readUInt32BE(0);
      if (length < HEADER_BYTES || length > MAX_FRAME_BYTES) {
        throw new Error(`frame length ${length} is outside ${HEADER_BYTES}..${MAX_FRAME_BYTES}`);
      }
      if (data.length < LENGTH_BYTES + length) break;
      this.onFrame(data.readUInt8(4), data.readUInt32BE(5), data.subarray(9, LENGTH_BYTES + length));
      data = data.subarray(LENGTH_BYTES + length);
    }
    if (data.length > 0) this.pending = Buffer.from(data);
  }
}

/** The text field of a Said body (room, nick, text, at). */
function saidText(body: Buffer): string {
  let offset = 1 + body.readUInt8(0);
  offset += 1 + body.readUInt8(offset);
  const length = body.readUInt16BE(offset);
  return body.toString('utf8', offset + 2, offset + 2 + length);
}

/**
 * The baseline server: Join is answered with Joined, Say with Ok, and the
 * Said is encoded once and written to every joined socket; nothing else
 * (no validation beyond framing, no rooms, no guards).
 */
export function createRawChatFanoutServer(options: ServerOptions): Pick<ProtocolServer, 'listen' | 'shutdown'> {
  const sockets = new Set<Socket>();
  const members = new Map<Socket, string>();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      members.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader((type, id, body) => {
      if (type === CODE.Join) {
        const nick = body.toString('utf8', 1, 1 + body.readUInt8(0));
        const room = body.subarray(1 + body.readUInt8(0));
        members.set(socket, nick);
        socket.write(chatFrame(CODE.Joined, id, room, shortString(nick)));
      } else if (type === CODE.Say) {
        const roomBytes = 1 + body.readUInt8(0);
        const at = Buffer.alloc(8);
        at.writeBigUInt64BE(BigInt(Date.now()));
        const said = chatFrame(
          CODE.Said,
          0,
          body.subarray(0, roomBytes),
          shortString(members.get(socket) ?? ''),
          body.subarray(roomBytes),
          at,
        );
        socket.write(chatFrame(CODE.Ok, id));
        for (const member of members.keys()) member.write(said);
      } else {
        log(`raw chat: unexpected message type ${type} from ${socket.remoteAddress}:${socket.remotePort}`);
        socket.destroy();
      }
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (error) {
        log(`raw chat: ${error instanceof Error ? error.message : String(error)}`);
        socket.destroy();
      }
    });
    socket.on('end', () => socket.end());
  });

  return {
    listen: () =>
      new Promise<BoundAddress>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () => {
          server.off('error', reject);
          const bound = server.address();
          if (bound === null || typeof bound === 'string') {
            reject(new Error('raw chat server: expected a TCP address'));
            return;
          }
          const address = { transport: 'tcp' as const, host: bound.address, port: bound.port };
          resolve({ ...address, url: formatUrl(address) });
        });
      }),
    shutdown: ({ drainMs = 5000 } = {}) => closeNetServer(server, sockets, drainMs),
  };
}

export const rawChatServerProgram: ServerProgram = {
  name: 'sockspec-bench-raw-chat',
  description: 'Hand-written node:net chat fan-out: the baseline for the chat-fanout benchmark.',
  defaultPort: 0,
  createServer: createRawChatFanoutServer,
};

/** A joined client of the benchmark: counts the Said of the current round. */
interface FanoutClient {
  readonly socket: Socket;
  /** Set when this client saw something no correct server sends. */
  problem?: string;
}

/**
 * Joins `clients` sockets to the room, runs the rounds and closes them.
 * Rejects when a join is refused, a round times out, or a client gets a
 * wrong Said or a Failed.
 */
export async function runFanout(
  addresses: ReadonlyArray<{ readonly host: string; readonly port: number }>,
  server: string,
  options: ChatFanoutOptions,
): Promise<FanoutResult> {
  const clients: FanoutClient[] = [];
  let round = -1;
  let delivered = 0;
  let roundDone: (() => void) | undefined;
  let failRun: ((error: Error) => void) | undefined;
  const expected = (): string => `round-${round}`;

  const fail = (client: FanoutClient, problem: string): void => {
    client.problem ??= problem;
    failRun?.(new Error(`client ${clients.indexOf(client)}: ${problem}`));
  };

  const join = (index: number): Promise<FanoutClient> =>
    new Promise((resolve, reject) => {
      // Clients alternate between the servers, so a shared room has half its members on each.
      const address = addresses[index % addresses.length]!;
      const socket = connect({ host: address.host, port: address.port, noDelay: true });
      const client: FanoutClient = { socket };
      clients.push(client);
      let joined = false;
      const timer = setTimeout(
        () => reject(new Error(`client ${index}: no Joined within ${JOIN_TIMEOUT_MS} ms`)),
        JOIN_TIMEOUT_MS,
      );
      const reader = new FrameReader((type, id, body) => {
        if (!joined) {
          if (type === CODE.Joined && id === 1) {
            joined = true;
            clearTimeout(timer);
            resolve(client);
          } else if (id === 1) {
            clearTimeout(timer);
            reject(new Error(`client ${index}: join answered with message type ${type}`));
          }
          // Joined broadcasts of later members are expected and ignored.
          return;
        }
        if (type === CODE.Said) {
          const text = saidText(body);
          if (text !== expected()) return fail(client, `expected Said '${expected()}', got '${text}'`);
          delivered += 1;
          if (delivered === options.clients) roundDone?.();
        } else if (type === CODE.Failed) {
          fail(client, 'the server answered with Failed');
        }
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk);
        } catch (error) {
          fail(client, error instanceof Error ? error.message : String(error));
        }
      });
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
        fail(client, error.message);
      });
      socket.on('close', () => {
        if (!joined) {
          clearTimeout(timer);
          reject(new Error(`client ${index}: connection closed before Joined`));
        }
        if (round < options.warmupRounds + options.rounds) fail(client, 'connection closed during the run');
      });
      socket.once('connect', () => socket.write(chatFrame(CODE.Join, 1, shortString(`u${index}`), shortString(ROOM))));
    });

  const histogram = new LatencyHistogram();
  let totalNs = 0;
  let maxNs = 0;
  try {
    for (let start = 0; start < options.clients; start += JOIN_BATCH) {
      const batch = Array.from({ length: Math.min(JOIN_BATCH, options.clients - start) }, (_, offset) =>
        join(start + offset),
      );
      await Promise.all(batch);
    }
    const sender = clients[0]!.socket;
    for (round = 0; round < options.warmupRounds + options.rounds; round++) {
      delivered = 0;
      const done = new Promise<void>((resolve, reject) => {
        roundDone = resolve;
        failRun = reject;
      });
      const timer = setTimeout(
        () =>
          failRun?.(new Error(`round ${round}: ${delivered} of ${options.clients} Said within ${ROUND_TIMEOUT_MS} ms`)),
        ROUND_TIMEOUT_MS,
      );
      const started = performance.now();
      sender.write(chatFrame(CODE.Say, round + 2, shortString(ROOM), longString(expected())));
      try {
        await done;
      } finally {
        clearTimeout(timer);
      }
      const elapsedNs = (performance.now() - started) * 1e6;
      if (round >= options.warmupRounds) {
        histogram.record(elapsedNs);
        totalNs += elapsedNs;
        maxNs = Math.max(maxNs, elapsedNs);
      }
    }
  } finally {
    for (const client of clients) client.socket.destroy();
  }
  return { server, histogram, rounds: options.rounds, meanNs: totalNs / options.rounds, maxNs };
}

/** Parses `--clients N --rounds N --warmup-rounds N`; a string is the usage error. */
export function parseChatFanoutArgs(argv: readonly string[]): ChatFanoutOptions | string {
  const limits: Record<string, [number, number]> = {
    '--clients': [1, MAX_CLIENTS],
    '--rounds': [1, MAX_ROUNDS],
    '--warmup-rounds': [0, MAX_ROUNDS],
  };
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
  return {
    clients: values.get('--clients') ?? 200,
    rounds: values.get('--rounds') ?? 50,
    warmupRounds: values.get('--warmup-rounds') ?? 5,
  };
}

export function formatFanout(results: readonly FanoutResult[]): string {
  const ms = (ns: number): string => (Number.isNaN(ns) ? '-' : (ns / 1e6).toFixed(3));
  const rows = [
    ['server', 'p50 ms', 'p99 ms', 'mean ms', 'max ms'],
    ...results.map((result) => [
      result.server,
      ms(result.histogram.quantile(0.5)),
      ms(result.histogram.quantile(0.99)),
      ms(result.meanNs),
      ms(result.maxNs),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  '),
  );
  const generated = results.find((result) => result.server === 'generated');
  const raw = results.find((result) => result.server === 'raw');
  const shared = results.find((result) => result.server === SHARED_ROOM_LABEL);
  const ratios = (name: string, over: FanoutResult, under: FanoutResult): void => {
    for (const [label, q] of [
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const) {
      lines.push(`ratio ${name} ${label}: ${(over.histogram.quantile(q) / under.histogram.quantile(q)).toFixed(2)}`);
    }
  };
  if (generated !== undefined && raw !== undefined) {
    lines.push('');
    ratios('generated/raw', generated, raw);
  }
  if (shared !== undefined && generated !== undefined) ratios('2 processes on Redis/generated', shared, generated);
  return `${lines.join('\n')}\n`;
}

/** `pnpm bench chat-fanout ...`; resolves with the exit status. */
export async function runChatFanoutBench(argv: readonly string[]): Promise<number> {
  const options = parseChatFanoutArgs(argv);
  if (typeof options === 'string') {
    process.stderr.write(
      `bench chat-fanout: ${options}\nusage: pnpm bench chat-fanout [--clients N] [--rounds N] [--warmup-rounds N]\n`,
    );
    return USAGE_EXIT_CODE;
  }
  const results: FanoutResult[] = [];
  for (const kind of FANOUT_SERVER_KINDS) {
    let server: ChildServer | undefined;
    try {
      // --message-rate 0: the chat server's flood protection (20 messages/s per connection) would time the
      // sender's rounds instead of the fan-out.
      server = await startChildServer(THIS_FILE, ['--serve', kind, '--port', '0', '--message-rate', '0'], {
        name: `the ${kind} chat server`,
      });
      results.push(await runFanout([server], kind, options));
    } catch (error) {
      const detail =
        server !== undefined && server.stderr.length > 0 ? `; server stderr: ${server.stderr.join(' | ')}` : '';
      process.stderr.write(
        `bench chat-fanout: ${kind} server: ${error instanceof Error ? error.message : String(error)}${detail}\n`,
      );
      return 1;
    } finally {
      if (server !== undefined) await stopChildServer(server);
    }
  }
  const shared = await runSharedRoom(options);
  if (typeof shared === 'number') return shared;
  if (shared !== undefined) results.push(shared);
  process.stdout.write(
    `chat fan-out: one Say reaching ${options.clients} clients in one room (sender included), ` +
      `${options.rounds} rounds after ${options.warmupRounds} warm-up, loopback, node ${process.version}\n\n`,
  );
  process.stdout.write(formatFanout(results));
  return 0;
}

/**
 * The same room spread over two generated chat servers that share it
 * through a redis-server started here (loopback, no persistence, stopped
 * after): the cost of crossing processes. Undefined, with one line on
 * stderr, when redis-server is not installed; a number is a failed run's exit status.
 */
async function runSharedRoom(options: ChatFanoutOptions): Promise<FanoutResult | number | undefined> {
  let redis: RealServer;
  try {
    redis = await startRealServer({
      command: 'redis-server',
      args: ['--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      debianPackage: 'redis-server',
    });
  } catch (error) {
    process.stderr.write(
      `bench chat-fanout: skipping the room over 2 processes: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return undefined;
  }
  const servers: ChildServer[] = [];
  try {
    const url = `redis://${redis.host}:${redis.port}`;
    for (let index = 0; index < 2; index++) {
      servers.push(
        await startChildServer(
          THIS_FILE,
          ['--serve', 'generated', '--port', '0', '--message-rate', '0', '--groups', url],
          {
            name: `chat server ${index + 1} on Redis`,
          },
        ),
      );
    }
    return await runFanout(servers, SHARED_ROOM_LABEL, options);
  } catch (error) {
    const detail = servers.flatMap((server) => server.stderr).join(' | ');
    process.stderr.write(
      `bench chat-fanout: room over 2 processes: ${error instanceof Error ? error.message : String(error)}${detail === '' ? '' : `; server stderr: ${detail}`}\n`,
    );
    return 1;
  } finally {
    for (const server of servers) await stopChildServer(server);
    await redis.stop();
  }
}

/** Loaded on demand, so each server process loads only its own code. */
const FANOUT_SERVERS: Readonly<Record<FanoutServerKind, () => Promise<ServerProgram>>> = {
  generated: async () => (await import('@sockspec/app-chat')).chatServerProgram,
  raw: async () => rawChatServerProgram,
};

// Run directly with --serve: one benchmark server, printing `listening <url>`.
if (process.argv[1] === THIS_FILE && process.argv[2] === '--serve') {
  process.exitCode = await serveChildProgram(
    'chat-fanout --serve',
    FANOUT_SERVERS,
    process.argv[3] ?? '',
    process.argv.slice(4),
  );
}
