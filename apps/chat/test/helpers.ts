import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ListeningAddress } from '@sockspec/app-kit/testing';
import {
  type ChatClient,
  createClient,
  createServer,
  type Failed,
  RemoteError,
  type ServerMessage,
} from '@sockspec/protocol-chat';
import type { ServerOptions } from '@sockspec/server';
import type { BoundAddress } from '@sockspec/transport';
import { expect } from 'vitest';
import { type ChatLimits, createChatHandlers, createChatServer } from '../src/server-program.js';

export type TestTransport = 'tcp' | 'unix';

/** Everything a test opened, closed by `closeAll` in afterEach. */
const servers: Pick<ReturnType<typeof createServer>, 'shutdown'>[] = [];
const clients: ChatClient[] = [];
const dirs: string[] = [];

export async function closeAll(): Promise<void> {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
  await Promise.all(servers.splice(0).map((server) => server.shutdown({ drainMs: 0 })));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sockspec-chat-'));
  dirs.push(dir);
  return dir;
}

export interface Started {
  readonly address: BoundAddress;
  /** Where a client connects, as ClientOptions. */
  readonly endpoint: { transport: 'tcp'; host: string; port: number } | { transport: 'unix'; path: string };
  readonly logged: string[];
}

/** A server program's `listening` address as a Started, for peers to connect to. */
export function asStarted(address: ListeningAddress): Started {
  return {
    address: { ...address, url: address.url } as Started['address'],
    endpoint:
      'path' in address
        ? { transport: 'unix', path: address.path }
        : { transport: 'tcp', host: address.host, port: address.port },
    logged: [],
  };
}

export async function startChatServer(
  transport: TestTransport,
  options: ServerOptions = {},
  limits?: ChatLimits,
): Promise<Started> {
  const logged: string[] = [];
  const where: ServerOptions =
    transport === 'unix'
      ? { transport: 'unix', path: join(await tempDir(), 'chat.sock') }
      : { transport: 'tcp', host: '127.0.0.1', port: 0 };
  const serverOptions: ServerOptions = { ...where, log: (line) => logged.push(line), ...options };
  const server =
    limits === undefined ? createChatServer(serverOptions) : createServer(createChatHandlers(limits), serverOptions);
  servers.push(server);
  const address = await server.listen();
  const endpoint =
    transport === 'unix'
      ? { transport: 'unix' as const, path: where.path! }
      : { transport: 'tcp' as const, host: address.host, port: address.port };
  return { address, endpoint, logged };
}

/** A connected client that records every push it gets, for assertions and for waiting on. */
export class Peer {
  readonly pushes: ServerMessage[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(readonly client: ChatClient) {
    for (const type of ['Said', 'Joined', 'Left', 'Whispered'] as const) {
      client.on(type, (message: ServerMessage) => {
        this.pushes.push(message);
        for (const waiter of this.waiters) waiter();
      });
    }
  }

  static async connect(started: Started): Promise<Peer> {
    const client = await createClient({ ...started.endpoint, requestTimeoutMs: 5000 });
    clients.push(client);
    return new Peer(client);
  }

  /** Connects and joins `room` as `nick`. */
  static async join(started: Started, nick: string, room: string): Promise<Peer> {
    const peer = await Peer.connect(started);
    await peer.client.join({ nick, room });
    return peer;
  }

  /** Resolves with the first push (already received or still to come) that `match` accepts. */
  waitFor<T extends ServerMessage>(
    describe: string,
    match: (message: ServerMessage) => message is T,
    timeoutMs = 5000,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.pushes.find(match);
        if (found === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${describe} within ${timeoutMs} ms; pushes: ${JSON.stringify(this.pushes)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  said(room: string, text: string): Promise<Extract<ServerMessage, { type: 'Said' }>> {
    return this.waitFor(
      `Said '${text}' in #${room}`,
      (message): message is Extract<ServerMessage, { type: 'Said' }> =>
        message.type === 'Said' && message.room === room && message.text === text,
    );
  }

  /** The texts of every Said received so far in `room`. */
  saidIn(room: string): string[] {
    return this.pushes.flatMap((message) => (message.type === 'Said' && message.room === room ? [message.text] : []));
  }
}

/** Asserts `promise` rejects with the chat protocol's Failed carrying `reason`, and returns its text. */
export async function refusal(promise: Promise<unknown>, reason: string): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RemoteError);
  const remote = error as RemoteError<Failed>;
  expect(remote.code).toBe('SOCKSPEC_REMOTE_ERROR');
  expect(remote.reply.reason).toBe(reason);
  return remote.reply.text;
}
