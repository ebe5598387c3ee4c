import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
