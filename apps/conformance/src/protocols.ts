import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chatServerProgram } from '@sockspec/app-chat';
import { echoServerProgram, lineEchoServerProgram } from '@sockspec/app-echo';
import { createFileTransferServer, fileTransferServerProgram } from '@sockspec/app-file-transfer';
import type { ServerProgram } from '@sockspec/app-kit';
import { timestampServerProgram } from '@sockspec/app-timestamp';
import type { ClientOptions } from '@sockspec/client';
import * as chat from '@sockspec/protocol-chat';
import * as echo from '@sockspec/protocol-echo';
import * as fileTransfer from '@sockspec/protocol-file-transfer';
import * as rawEcho from '@sockspec/protocol-raw-echo';
import * as timestamp from '@sockspec/protocol-timestamp';
import { WrongReplyError } from './errors.js';

/** What the matrix needs to know about one generated protocol. */
export interface ConformanceProtocol {
  /** The spec's `protocol:` name; its spec is `specs/<name>.protocol.yaml`. */
  readonly name: string;
  /**
   * The protocol's server program: its `createServer` (the generated one)
   * runs in-process for every model but `processes`, with its
   * `threadsModule` for `threads`.
   */
  readonly server: ServerProgram;
  /**
   * Where that program's entry is (`<package>/<script>`), for `processes`:
   * node:cluster forks the running program, so it has to be a real program
   * rather than a server built inside the test.
   */
  readonly serverEntry: { readonly packageName: string; readonly script: string };
  /**
   * Connects the generated client with `options`, exchanges messages and
   * throws WrongReplyError on the first reply that is not exactly the one
   * expected. Resolves with how many replies were checked.
   */
  exchange(options: ClientOptions, where: string): Promise<number>;
  /** How many replies one `exchange` checks. */
  readonly checksPerExchange: number;
  /**
   * Set when the protocol's server keeps shared state (rooms, uploads in
   * progress) in one process's memory: why `threads` and `processes` do not
   * apply to it.
   */
  readonly singleProcess?: string;
  /**
   * Set when the server shares its groups through Redis with `--groups`:
   * under `processes` the matrix starts a redis-server and passes it, and
   * this says why `threads` still does not apply.
   */
  readonly sharedGroups?: { readonly threads: string };
}

/** Why `model` does not apply to the protocol's server, from its state alone (not the transport). */
export function serverModelReason(protocol: ConformanceProtocol, model: string): string | undefined {
  if (protocol.sharedGroups !== undefined && model === 'threads') return protocol.sharedGroups.threads;
  return protocol.sharedGroups === undefined ? protocol.singleProcess : undefined;
}

/**
 * Lines every line protocol gets: empty, non-ASCII, long, and a run of them
 * in flight at once, so replies out of order or mixed up are caught.
 */
export const SAMPLE_LINES: readonly string[] = [
  'hello',
  '',
  'ünïcødé ✓ 日本',
  'tab\tseparated  spaces ',
  'x'.repeat(3000),
  ...Array.from({ length: 8 }, (_, index) => `pipelined ${index}`),
];

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

const echoProtocol: ConformanceProtocol = {
  name: 'echo',
  checksPerExchange: SAMPLE_LINES.length,
  server: lineEchoServerProgram,
  serverEntry: { packageName: '@sockspec/app-echo', script: 'src/line-server.ts' },
  async exchange(options, where) {
    const client = await echo.createClient(options);
    try {
      const replies = await Promise.all(SAMPLE_LINES.map((text) => client.line({ text })));
      replies.forEach((reply, index) => {
        const text = SAMPLE_LINES[index]!;
        if (reply.type !== 'Line' || reply.text !== text) {
          throw new WrongReplyError(where, `Line ${show(text)}`, show({ type: 'Line', text }), show(reply));
        }
      });
      return replies.length;
    } finally {
      await client.close();
    }
  },
};

/**
 * Raw echo has no framing: two requests in flight may come back as one read,
 * so each sample goes out only after the one before it came back whole.
 * Empty samples are left out: zero bytes on a stream are no message.
 */
const rawEchoProtocol: ConformanceProtocol = {
  name: 'raw-echo',
  checksPerExchange: SAMPLE_LINES.filter((text) => text !== '').length,
  server: echoServerProgram,
  serverEntry: { packageName: '@sockspec/app-echo', script: 'src/server.ts' },
  async exchange(options, where) {
    const client = await rawEcho.createClient(options);
    let collect: ((bytes: Uint8Array) => void) | null = null;
    client.on('Data', ({ bytes }) => collect?.(bytes));
    const echoOf = (sent: Buffer): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const timer = setTimeout(() => reject(new Error(`${where}: no echo of ${sent.length} bytes in 5 s`)), 5000);
        collect = (bytes) => {
          chunks.push(Buffer.from(bytes));
          size += bytes.length;
          if (size < sent.length) return;
          clearTimeout(timer);
          collect = null;
          resolve(Buffer.concat(chunks, size));
        };
        client.send({ type: 'Data', bytes: sent });
      });
    let checked = 0;
    try {
      for (const text of SAMPLE_LINES) {
        if (text === '') continue;
        const sent = Buffer.from(text, 'utf8');
        const received = await echoOf(sent);
        if (!received.equals(sent)) {
          throw new WrongReplyError(where, `Data ${show(text)}`, show(text), show(received.toString('utf8')));
        }
        checked += 1;
      }
      return checked;
    } finally {
      await client.close();
    }
  },
};

/** ctime has whole seconds, so a correct stamp lies within the second the request was sent in and the reply's. */
const SECOND = 1000;

const timestampProtocol: ConformanceProtocol = {
  name: 'timestamp',
  checksPerExchange: SAMPLE_LINES.length,
  server: timestampServerProgram,
  serverEntry: { packageName: '@sockspec/app-timestamp', script: 'src/server.ts' },
  async exchange(options, where) {
    const client = await timestamp.createClient(options);
    try {
      const sentAt = Date.now();
      const replies = await Promise.all(SAMPLE_LINES.map((text) => client.stamp({ text })));
      const receivedAt = Date.now();
      replies.forEach((reply, index) => {
        const text = SAMPLE_LINES[index]!;
        const time = reply.time.getTime();
        const inWindow = time >= Math.floor(sentAt / SECOND) * SECOND && time <= receivedAt;
        if (reply.type !== 'Stamped' || reply.text !== text || !inWindow) {
          throw new WrongReplyError(
            where,
            `Stamp ${show(text)}`,
            `Stamped ${show(text)} stamped between ${new Date(sentAt).toISOString()} and ${new Date(receivedAt).toISOString()}`,
            `${reply.type} ${show(reply.text)} stamped ${Number.isNaN(time) ? 'Invalid Date' : reply.time.toISOString()}`,
          );
        }
      });
      return replies.length;
    } finally {
      await client.close();
    }
  },
};

function expectEqual(where: string, request: string, expected: unknown, actual: unknown): void {
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw new WrongReplyError(where, request, show(expected), show(actual));
  }
}

/** The errors message's reason a request was refused with, or 'accepted' when it was not. */
async function refusalOf(request: Promise<unknown>): Promise<string> {
  try {
    await request;
    return 'accepted';
  } catch (error) {
    const reply = (error as { reply?: { reason?: unknown } }).reply;
    if (reply === undefined) throw error;
    return String(reply.reason);
  }
}

/** Lines said in chat: the line protocols' samples that fit a chat Text. */
const CHAT_LINES: readonly string[] = SAMPLE_LINES.filter((line) => line.length > 0);

/** Nicks stay unique across the exchanges one server sees. */
let chatVisitors = 0;

/** Resolves once `done()` holds, or after `timeoutMs` (the caller's check then reports what is missing). */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

const CHAT_THREADS =
  "worker threads run the handlers but not the connections' groups, so a broadcast would miss the other threads; under processes each worker shares them through Redis";

/**
 * One person, so the exchange fits `serial` too: join, every sample line
 * said and broadcast back (the sender is in the room), a whisper to
 * oneself, the listings, a refusal, leave.
 */
const chatProtocol: ConformanceProtocol = {
  name: 'chat',
  server: chatServerProgram,
  serverEntry: { packageName: '@sockspec/app-chat', script: 'src/server.ts' },
  sharedGroups: { threads: CHAT_THREADS },
  checksPerExchange: 2 * CHAT_LINES.length + 6,
  async exchange(options, where) {
    const client = await chat.createClient(options);
    try {
      const nick = `visitor${++chatVisitors}`;
      const said: chat.Said[] = [];
      client.on('Said', (message) => said.push(message));
      const whispered = new Promise<chat.Whispered>((resolve) => client.on('Whispered', resolve));
      const joined = await client.join({ nick, room: 'lobby' });
      expectEqual(
        where,
        'Join',
        { type: 'Joined', room: 'lobby', nick },
        { type: joined.type, room: joined.room, nick: joined.nick },
      );
      const oks = await Promise.all(CHAT_LINES.map((text) => client.say({ room: 'lobby', text })));
      for (const ok of oks) expectEqual(where, 'Say', 'Ok', ok.type);
      // The spec sends a Say's reply before its broadcast, so the last Said may
      // arrive just after the last Ok (in a later websocket message, from another worker): wait for it, briefly.
      await waitUntil(() => said.length >= CHAT_LINES.length, 2000);
      expectEqual(
        where,
        'Said broadcasts',
        CHAT_LINES.map((text) => ({ room: 'lobby', nick, text })),
        said.map(({ room, nick: from, text }) => ({ room, nick: from, text })),
      );
      expectEqual(where, 'Whisper', 'Ok', (await client.whisper({ to: nick, text: 'psst' })).type);
      const whisper = await whispered;
      expectEqual(where, 'Whispered', { from: nick, text: 'psst' }, { from: whisper.from, text: whisper.text });
      const rooms = await client.listRooms();
      expectEqual(where, 'ListRooms', [{ name: 'lobby', members: 1 }], rooms.rooms);
      const members = await client.listMembers({ room: 'lobby' });
      expectEqual(where, 'ListMembers', [nick], members.nicks);
      expectEqual(
        where,
        'Say in a room not joined',
        'notJoined',
        await refusalOf(client.say({ room: 'elsewhere', text: 'hi' })),
      );
      const left = await client.leave({ room: 'lobby' });
      expectEqual(where, 'Leave', { type: 'Left', nick }, { type: left.type, nick: left.nick });
      return 2 * CHAT_LINES.length + 6;
    } finally {
      await client.close();
    }
  },
};

/** Enough bytes for several Data chunks and a short last one. */
const FILE_BYTES = 3 * 65_536 + 1234;

/**
 * The file-transfer server under test serves a fresh temporary root, removed
 * at shutdown: cells never see each other's files.
 */
const fileTransferServer: ConformanceProtocol['server'] = {
  ...fileTransferServerProgram,
  createServer(options) {
    const root = mkdtempSync(join(tmpdir(), 'sockspec-conformance-files-'));
    const server = createFileTransferServer({ ...options, root });
    return {
      listen: () => server.listen(),
      async shutdown(shutdownOptions) {
        try {
          await server.shutdown(shutdownOptions);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
    };
  },
};

let fileTransfers = 0;

/** Put a file in chunks, list it, get it back byte for byte, and be refused a missing file and a path out of the root. */
const fileTransferProtocol: ConformanceProtocol = {
  name: 'file-transfer',
  server: fileTransferServer,
  serverEntry: { packageName: '@sockspec/app-file-transfer', script: 'src/server.ts' },
  singleProcess:
    'uploads in progress are tracked in one process (two uploads of one path are refused as busy); workers would each keep their own',
  checksPerExchange: 6,
  async exchange(options, where) {
    const client = await fileTransfer.createClient(options);
    try {
      const path = `sample-${++fileTransfers}.bin`;
      const bytes = randomBytes(FILE_BYTES);
      const sha256 = createHash('sha256').update(bytes).digest();
      const size = BigInt(bytes.length);
      const ready = await client.offer({ path, size, sha256 });
      expectEqual(where, 'Offer', '0', String(ready.offset));
      const chunks = Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, index) => ({
        bytes: bytes.subarray(index * 65_536, (index + 1) * 65_536),
      }));
      const stored = await client.upload({ path, size, sha256, offset: 0n, held: ready.held }, { chunks });
      expectEqual(where, 'Upload', { path, size: String(size) }, { path: stored.path, size: String(stored.size) });
      const listing = await client.list({ path: '' });
      expectEqual(
        where,
        'List',
        true,
        listing.entries.some((entry) => entry.name === path && entry.size === size),
      );
      const sending = await client.get({ path, offset: 0n });
      const received: Uint8Array[] = [];
      for await (const chunk of sending.stream) received.push(chunk.bytes.slice());
      const back = Buffer.concat(received);
      expectEqual(where, 'Get', sha256.toString('hex'), createHash('sha256').update(back).digest('hex'));
      expectEqual(
        where,
        'Get a missing file',
        'notFound',
        await refusalOf(client.get({ path: 'missing.bin', offset: 0n })),
      );
      expectEqual(
        where,
        'Get ../outside',
        'outsideRoot',
        await refusalOf(client.get({ path: '../outside', offset: 0n })),
      );
      return 6;
    } finally {
      await client.close();
    }
  },
};

/** Every protocol in the matrix. Adding one is one entry here. */
export const PROTOCOLS: readonly ConformanceProtocol[] = [
  echoProtocol,
  rawEchoProtocol,
  timestampProtocol,
  chatProtocol,
  fileTransferProtocol,
];

/** The folder of a workspace package, for starting its programs. */
export function packageDir(packageName: string): string {
  return dirname(createRequire(import.meta.url).resolve(`${packageName}/package.json`));
}
