import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openDescriptorCount } from '../src/descriptor-watch.js';
import type { ByteChannel, Listener } from '../src/index.js';

/** Tracks every listener, channel and temp dir a test opens, so afterEach can close them all. */
export class Resources {
  readonly #listeners: Listener[] = [];
  readonly #channels: ByteChannel[] = [];
  readonly #cleanups: (() => Promise<void> | void)[] = [];

  listener<T extends Listener>(listener: T): T {
    this.#listeners.push(listener);
    listener.onChannel((channel) => this.channel(channel));
    return listener;
  }

  channel<T extends ByteChannel>(channel: T): T {
    this.#channels.push(channel);
    return channel;
  }

  defer(cleanup: () => Promise<void> | void): void {
    this.#cleanups.push(cleanup);
  }

  async tempDir(): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sockspec-transport-'));
    this.defer(() => fs.rm(dir, { recursive: true, force: true }));
    return dir;
  }

  async closeAll(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const channel of this.#channels.splice(0)) {
      if (channel.closed) continue;
      closing.push(new Promise((resolve) => channel.onClose(() => resolve())));
      channel.destroy();
    }
    for (const listener of this.#listeners.splice(0)) closing.push(listener.close());
    await Promise.all(closing);
    for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup();
  }
}

/** Resolves with the next channel the listener hands out. */
export function nextChannel(listener: Listener): Promise<ByteChannel> {
  return new Promise((resolve) => {
    let done = false;
    listener.onChannel((channel) => {
      if (done) return;
      done = true;
      resolve(channel);
    });
  });
}

/** Collects everything a channel receives until it reaches `bytes`. */
export function readBytes(channel: ByteChannel, bytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    channel.onData((chunk) => {
      chunks.push(chunk);
      total += chunk.byteLength;
      if (total >= bytes) resolve(Buffer.concat(chunks));
    });
  });
}

export function once(register: (listener: () => void) => void): Promise<void> {
  return new Promise((resolve) => register(() => resolve()));
}

export function closedWith(channel: ByteChannel): Promise<Error | undefined> {
  return new Promise((resolve) => channel.onClose((error) => resolve(error)));
}

/**
 * Waits for a condition that has no event of its own (e.g. the listener
 * holding a connection), checking once per event-loop turn, bounded.
 */
export async function until(condition: () => boolean, what: string, maxTurns = 5000): Promise<void> {
  for (let turn = 0; turn < maxTurns; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what} after ${maxTurns} event-loop turns`);
}

/** Descriptors this process has open (Linux /proc): a leak shows as a count that does not come back. */
export async function openDescriptors(): Promise<number> {
  return openDescriptorCount();
}

/**
 * Opens `count` plain TCP connections to port and, per connection, runs
 * `behave` (stay silent, drip bytes, send FIN); resolves with how long each
 * took until the server closed it, or null where it was still open after
 * `waitMs`. Every socket is destroyed before this returns.
 */
export async function rawPeers(
  port: number,
  count: number,
  behave: (socket: net.Socket) => void,
  waitMs: number,
): Promise<(number | null)[]> {
  const started = Date.now();
  const peers = Array.from({ length: count }, () => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    const closedAfter = new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), waitMs);
      // 'end' is the server's FIN or RST: the server has let the connection go.
      socket.once('end', () => (clearTimeout(timer), resolve(Date.now() - started)));
      socket.once('close', () => (clearTimeout(timer), resolve(Date.now() - started)));
    });
    socket.once('connect', () => behave(socket));
    return { socket, closedAfter };
  });
  const results = await Promise.all(peers.map((peer) => peer.closedAfter));
  for (const peer of peers) peer.socket.destroy();
  return results;
}

/** A peer behaviour: writes `bytes` one byte every `everyMs`, so it is never silent for long and never done. */
export function drip(bytes: ArrayLike<number>, everyMs = 50): (socket: net.Socket) => void {
  return (socket) => {
    const left = Array.from(bytes);
    const timer = setInterval(
      () => (left.length > 0 ? socket.write(Uint8Array.of(left.shift()!)) : undefined),
      everyMs,
    );
    socket.once('close', () => clearInterval(timer));
  };
}

/** 20 silent and 20 dripping peers at once; resolves with when the server closed each, and fails if one is still open after 3 s. */
export async function closeSilentAndDripping(port: number, dripping: (socket: net.Socket) => void): Promise<number[]> {
  const [silent, dripped] = await Promise.all([rawPeers(port, 20, () => {}, 3000), rawPeers(port, 20, dripping, 3000)]);
  const times = [...silent, ...dripped];
  if (times.some((after) => after === null)) throw new Error(`still open after 3000 ms: ${JSON.stringify(times)}`);
  return times as number[];
}
