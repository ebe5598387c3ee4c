import type net from 'node:net';
import { isSockspecError } from '@sockspec/errors';
import {
  ConnectionClosedError,
  InvalidAddressError,
  ReadTimeoutError,
  systemErrorCode,
  WriteQueueFullError,
} from './errors.js';
import type { BoundAddress, ByteChannel, PeerAddress, SocketOptions } from './types.js';

export const DEFAULT_WRITE_HIGH_WATER_MARK = 64 * 1024;
export const DEFAULT_MAX_WRITE_QUEUE_BYTES = 16 * 1024 * 1024;

/**
 * At or below this many bytes per tick, a burst is copied into one buffer and
 * written with one write(); above it the chunks go out by writev without a
 * copy. bench/write-batching.mjs measured (Node 20, loopback): for 64×40 B and
 * 256×16 B bursts, copy-and-write was ~20–40 % faster than cork/uncork writev
 * (Writable's per-chunk bookkeeping costs more than copying a few KiB); for
 * 16–64 KiB chunks the copy made it ~2× slower than writev. Either way one
 * syscall leaves per tick.
 */
const COPY_BURST_MAX_BYTES = 16 * 1024;
/**
 * A burst of many small chunks is copied however large it is: 10,000
 * pipelined 38-byte requests (380 KB) spent more in Writable's per-chunk
 * bookkeeping (writeOrBuffer, a Buffer made from each Uint8Array) than a copy
 * costs. Chunks averaging below this size are copied into one buffer.
 */
const COPY_CHUNK_MAX_AVERAGE_BYTES = 1024;

/** Resolved, validated socket options shared by every channel of a listener or connector. */
export interface ChannelSettings {
  readonly noDelay: boolean;
  readonly keepAlive: boolean | number;
  readonly writeHighWaterMark: number;
  readonly maxWriteQueueBytes: number;
  readonly closeMode: 'graceful' | 'reset';
  /** 0: no read timeout. */
  readonly readTimeoutMs: number;
}

export function resolveChannelSettings(options: SocketOptions): ChannelSettings {
  const writeHighWaterMark = options.writeHighWaterMark ?? DEFAULT_WRITE_HIGH_WATER_MARK;
  const maxWriteQueueBytes = options.maxWriteQueueBytes ?? DEFAULT_MAX_WRITE_QUEUE_BYTES;
  if (!Number.isSafeInteger(writeHighWaterMark) || writeHighWaterMark < 1) {
    throw new InvalidAddressError(`writeHighWaterMark must be a positive integer, got ${writeHighWaterMark}`);
  }
  if (!Number.isSafeInteger(maxWriteQueueBytes) || maxWriteQueueBytes < writeHighWaterMark) {
    throw new InvalidAddressError(
      `maxWriteQueueBytes must be an integer ≥ writeHighWaterMark (${writeHighWaterMark}), got ${maxWriteQueueBytes}`,
    );
  }
  const keepAlive = options.keepAlive ?? false;
  if (typeof keepAlive === 'number' && (!Number.isSafeInteger(keepAlive) || keepAlive < 0)) {
    throw new InvalidAddressError(`keepAlive delay must be a non-negative integer of ms, got ${keepAlive}`);
  }
  return {
    noDelay: options.noDelay ?? true,
    keepAlive,
    writeHighWaterMark,
    maxWriteQueueBytes,
    closeMode: options.closeMode ?? 'graceful',
    readTimeoutMs: options.readTimeoutMs ?? 0,
  };
}

/**
 * A ByteChannel over a connected net.Socket (tcp, tcp6, unix stream, or the
 * tls.TLSSocket of tls, which is one).
 *
 * Reading starts only when the first onData listener is registered, so bytes
 * that arrive before anyone listens wait in the socket instead of being
 * dropped; a peer's FIN likewise surfaces through onEnd only once the data
 * before it has been delivered.
 */
export class SocketChannel implements ByteChannel {
  readonly remote: PeerAddress;
  readonly local: BoundAddress;

  readonly #socket: net.Socket;
  readonly #settings: ChannelSettings;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #flushScheduled = false;
  #needDrain = false;
  #ended = false;
  #closed = false;
  #closeError: Error | undefined;
  #readingStarted = false;
  #closeEmitted = false;
  #paused = false;

  // Each list is replaced by an exact-size copy when a listener is added: a
  // pushed-to empty array reserves 17 slots (152 bytes), and with one
  // listener each that was 600 of the 4,600 bytes an idle server connection
  // cost (pnpm bench memory).
  #dataListeners: readonly ((chunk: Uint8Array) => void)[] = [];
  #drainListeners: readonly (() => void)[] = [];
  #endListeners: readonly (() => void)[] = [];
  #closeListeners: readonly ((error?: Error) => void)[] = [];

  constructor(socket: net.Socket, local: BoundAddress, remote: PeerAddress, settings: ChannelSettings) {
    this.#socket = socket;
    this.#settings = settings;
    this.local = local;
    this.remote = remote;

    socket.setNoDelay(settings.noDelay);
    if (settings.keepAlive !== false) {
      socket.setKeepAlive(true, settings.keepAlive === true ? 0 : settings.keepAlive);
    }
    if (settings.readTimeoutMs > 0) {
      // socket.setTimeout restarts on every read and write; a peer that keeps
      // reading our output but sends nothing still counts as active. That is
      // the OS-level notion of idle Node offers, documented as such.
      socket.setTimeout(settings.readTimeoutMs, this.#onReadTimeout);
    }
    socket.on('error', this.#onSocketError);
    socket.on('end', this.#onSocketEnd);
    socket.on('drain', this.#maybeEmitDrain);
    socket.on('close', this.#onSocketClose);
  }

  get pendingWriteBytes(): number {
    return this.#queuedBytes + this.#socket.writableLength;
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#ended) {
      throw new ConnectionClosedError(
        this.local.url,
        `write() after end() on the channel to ${this.remote.label}: the channel is half-closed for writing`,
      );
    }
    const pending = this.pendingWriteBytes;
    // Checked before the chunk joins the queue, so a runaway producer never
    // makes this process hold more than the limit for one peer.
    if (pending + chunk.byteLength > this.#settings.maxWriteQueueBytes) {
      this.destroy(
        new WriteQueueFullError(this.remote.label, this.#settings.maxWriteQueueBytes, pending + chunk.byteLength),
      );
      return false;
    }
    if (chunk.byteLength > 0) {
      this.#queue.push(chunk);
      this.#queuedBytes += chunk.byteLength;
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        process.nextTick(this.#flush);
      }
    }
    if (pending + chunk.byteLength < this.#settings.writeHighWaterMark) return true;
    this.#needDrain = true;
    return false;
  }

  pause(): void {
    this.#paused = true;
    this.#socket.pause();
  }

  resume(): void {
    this.#paused = false;
    // Without a data listener a flowing socket would emit chunks to no one.
    if (this.#readingStarted) this.#socket.resume();
  }

  end(): void {
    if (this.#closed || this.#ended) return;
    this.#ended = true;
    this.#flush();
    this.#socket.end();
  }

  destroy(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    if (error !== undefined) this.#closeError = error;
    this.#queue = [];
    this.#queuedBytes = 0;
    // resetAndDestroy sends RST (SO_LINGER 0) so the peer sees ECONNRESET at
    // once; it throws on a socket that is not connected yet or already gone.
    if (this.#settings.closeMode === 'reset' && !this.#socket.destroyed && this.#socket.readyState !== 'opening') {
      this.#socket.resetAndDestroy();
    } else {
      this.#socket.destroy();
    }
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.#dataListeners = withListener(this.#dataListeners, listener);
    if (this.#readingStarted) return;
    this.#readingStarted = true;
    this.#socket.on('data', this.#onSocketData);
    // Accepted sockets start with flowing === false (pauseOnConnect), which
    // 'data' listeners do not override; resume explicitly unless the owner
    // paused the channel before listening.
    if (!this.#paused) this.#socket.resume();
  }

  onDrain(listener: () => void): void {
    this.#drainListeners = withListener(this.#drainListeners, listener);
  }

  onEnd(listener: () => void): void {
    this.#endListeners = withListener(this.#endListeners, listener);
  }

  onClose(listener: (error?: Error) => void): void {
    if (!this.#closeEmitted) {
      this.#closeListeners = withListener(this.#closeListeners, listener);
      return;
    }
    // Registered after the fact: still told, once, but never re-entrantly.
    const error = this.#closeError;
    queueMicrotask(() => (error === undefined ? listener() : listener(error)));
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const chunks = this.#queue;
    if (chunks.length === 0 || this.#closed) return;
    const bytes = this.#queuedBytes;
    this.#queue = [];
    this.#queuedBytes = 0;
    const socket = this.#socket;
    // The callback on the last write fires once everything up to it reached
    // the kernel; that is where a drain owed to the producer can be paid even
    // when the socket's own (smaller) high-water mark never tripped.
    const done = this.#needDrain ? this.#maybeEmitDrain : undefined;
    if (chunks.length === 1) {
      socket.write(chunks[0]!, done);
    } else if (bytes <= COPY_BURST_MAX_BYTES || bytes < chunks.length * COPY_CHUNK_MAX_AVERAGE_BYTES) {
      socket.write(Buffer.concat(chunks, bytes), done);
    } else {
      socket.cork();
      const last = chunks.length - 1;
      for (let i = 0; i < last; i++) socket.write(chunks[i]!);
      socket.write(chunks[last]!, done);
      socket.uncork();
    }
  };

  readonly #maybeEmitDrain = (): void => {
    if (!this.#needDrain || this.#closed) return;
    if (this.pendingWriteBytes >= this.#settings.writeHighWaterMark) return;
    this.#needDrain = false;
    for (const listener of this.#drainListeners) listener();
  };

  readonly #onSocketData = (chunk: Buffer): void => {
    for (const listener of this.#dataListeners) listener(chunk);
  };

  readonly #onSocketEnd = (): void => {
    for (const listener of this.#endListeners) listener();
  };

  readonly #onReadTimeout = (): void => {
    this.destroy(new ReadTimeoutError(this.remote.label, this.local.url, this.#settings.readTimeoutMs));
  };

  readonly #onSocketError = (err: Error): void => {
    if (this.#closeError !== undefined) return;
    if (isSockspecError(err)) {
      this.#closeError = err;
      return;
    }
    const code = systemErrorCode(err);
    this.#closeError = new ConnectionClosedError(
      this.local.url,
      `connection with ${this.remote.label} on ${this.local.url} failed: ${code ?? err.message}`,
      code === undefined ? { cause: err } : { cause: err, syscallCode: code },
    );
  };

  readonly #onSocketClose = (): void => {
    this.#closed = true;
    this.#closeEmitted = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    const error = this.#closeError;
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    for (const listener of listeners) {
      if (error === undefined) listener();
      else listener(error);
    }
  };
}

/**
 * `listeners` plus `listener`, as a new array of exactly that size: an array
 * literal is allocated to fit, while a spread or push into an empty array
 * reserves 17 slots.
 */
function withListener<T>(listeners: readonly T[], listener: T): readonly T[] {
  if (listeners.length === 0) return [listener];
  return listeners.concat([listener]);
}
