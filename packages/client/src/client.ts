import { createFrameDecoder, type FrameDecoder, framingForTransport } from '@sockspec/codec';
import {
  type ChunkSource,
  pumpChunks,
  StreamAbandonedError,
  StreamProtocolError,
  StreamReceiver,
} from '@sockspec/streams';
import {
  type ByteChannel,
  type ConnectOptions,
  connect,
  isDatagramTransport,
  type PeerAddress,
} from '@sockspec/transport';
import { Deadlines } from './deadlines.js';
import { ConnectionClosedError, RemoteError, RequestTimeoutError } from './errors.js';
import { MAX_ABANDONED, type PendingRequest, PendingRequests } from './pending.js';
import { QuietBatches } from './quiet.js';
import { ReplyQueue, type ReplyStream } from './reply-stream.js';
import type { ClientOptions, ClientProtocol, FrameSource, ProtocolClient, RequestOptions } from './types.js';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/**
 * Pushes an async iterator may hold before the client stops reading from the
 * server. Reading resumes once the slowest iterator is down to half.
 */
const PUSH_BUFFER_LIMIT = 1024;
/** Chunks of an incoming stream held for a slow consumer before reading stops. */
const STREAM_HIGH_WATER_MARK = 32;
/** setTimeout fires at once for delays above this; longer timeouts mean "no timeout". */
const MAX_TIMER_MS = 2_147_483_647;

/** Connects over the chosen transport and returns a client speaking `protocol`. */
export async function connectProtocolClient<Incoming>(
  protocol: ClientProtocol<Incoming>,
  options: ClientOptions = {},
): Promise<ProtocolClient<Incoming>> {
  const channel = await connect(connectOptions(options));
  return new ProtocolClientEngine(protocol, channel, options);
}

class ProtocolClientEngine<Incoming> implements ProtocolClient<Incoming> {
  readonly remote: PeerAddress;
  readonly closed: Promise<Error | undefined>;

  readonly #protocol: ClientProtocol<Incoming>;
  readonly #channel: ByteChannel;
  readonly #decoder: FrameDecoder;
  readonly #requestTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #pending = new PendingRequests<Incoming>();
  /** Every request's timeout, one timer per distinct timeout rather than one per request. */
  readonly #deadlines = new Deadlines<PendingRequest<Incoming>>((pending, timeoutMs, startedAt) =>
    this.#timedOut(pending, timeoutMs, startedAt),
  );
  readonly #listeners = new Set<(message: Incoming) => void>();
  readonly #iterators = new Set<PushIterator<Incoming>>();
  #paused = false;
  /** Incoming streams by correlation id, from the reply that opened them to their end. */
  readonly #streams = new Map<number, StreamReceiver<Incoming, Incoming>>();
  /** Streams whose consumer is behind: reading waits until each has space again. */
  #streamsWaiting = 0;
  #drainWaiters: Array<() => void> = [];
  /** A write reported a full queue; cleared on drain. */
  #writeBlocked = false;
  #ending = false;
  #isClosed = false;
  #error: Error | undefined;
  #closeTimer: NodeJS.Timeout | null = null;
  #resolveClosed!: (error: Error | undefined) => void;

  constructor(protocol: ClientProtocol<Incoming>, channel: ByteChannel, options: ClientOptions) {
    this.#protocol = protocol;
    this.#channel = channel;
    this.remote = channel.remote;
    // On a datagram transport each datagram is one frame, lines included.
    const datagram = isDatagramTransport(channel.remote.transport);
    this.#decoder = createFrameDecoder(framingForTransport(protocol.framing, { datagram }), { sender: 'server' });
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    channel.onData((chunk) => this.#onData(chunk));
    channel.onDrain(() => this.#wakeWriters());
    channel.onEnd(() => this.#onEnd());
    channel.onClose((error) => this.#onClose(error));
  }

  send(frame: Uint8Array): void {
    if (this.#ending || this.#isClosed) throw this.#closedError('send');
    this.#channel.write(frame);
  }

  request<Reply extends Incoming>(
    frame: FrameSource,
    isReply: (message: Incoming) => message is Reply,
    options?: RequestOptions,
    correlationId?: number,
  ): Promise<Reply> {
    const bytes = this.#frameToSend(frame);
    if (bytes instanceof Error) return Promise.reject(bytes);
    const { pending, reply } = this.#addPending(isReply, correlationId);
    this.#armTimeout(pending, options?.timeoutMs ?? this.#requestTimeoutMs);
    this.#channel.write(bytes);
    return reply;
  }

  /**
   * The bytes of a request, or why it cannot be sent: the connection is
   * closing, or the message does not encode (which rejects this request only;
   * nothing was sent or registered).
   */
  #frameToSend(frame: FrameSource): Uint8Array | Error {
    if (this.#ending || this.#isClosed) return this.#closedError('request');
    try {
      return typeof frame === 'function' ? frame() : frame;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  requestWithStream<Reply extends Incoming>(
    frame: FrameSource,
    chunks: ChunkSource<Uint8Array>,
    end: () => Uint8Array,
    isReply: (message: Incoming) => message is Reply,
    options: RequestOptions = {},
  ): Promise<Reply> {
    const bytes = this.#frameToSend(frame);
    if (bytes instanceof Error) return Promise.reject(bytes);
    const { pending, reply } = this.#addPending(isReply, undefined);
    this.#channel.write(bytes);
    const stopped = () => pending.settled || this.#ending || this.#isClosed;
    pumpChunks(chunks, {
      write: (chunk) => {
        if (this.#channel.write(chunk)) return true;
        this.#writeBlocked = true;
        return false;
      },
      writable: () => this.#writable(),
      stopped,
    }).then(
      ({ complete }) => {
        if (!complete || stopped()) return;
        this.#channel.write(end());
        this.#armTimeout(pending, options.timeoutMs ?? this.#requestTimeoutMs);
      },
      (error: unknown) => {
        // Half a stream cannot be taken back: the connection goes, and the request fails with the source's error.
        if (!pending.settled) {
          pending.settled = true;
          pending.abandoned = true;
          pending.reject(error instanceof Error ? error : new Error(String(error)));
        }
        this.#fail(error);
      },
    );
    return reply;
  }

  requestMany<Reply extends Incoming>(
    frame: FrameSource,
    isReply: (message: Incoming) => message is Reply,
    isEnd: (message: Reply) => boolean,
    endIncluded: boolean,
    options: RequestOptions = {},
    correlationId?: number,
  ): ReplyStream<Reply> {
    const replies = new ReplyQueue<Incoming>();
    const bytes = this.#frameToSend(frame);
    if (bytes instanceof Error) {
      replies.fail(bytes);
      return replies as unknown as ReplyStream<Reply>;
    }
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    const pending: PendingRequest<Incoming> = {
      isReply,
      resolve: () => replies.finish(),
      reject: (error) => replies.fail(error),
      id: this.#protocol.correlationOf === undefined ? undefined : correlationId,
      armed: null,
      abandoned: false,
      settled: false,
      many: { isEnd: isEnd as (message: Incoming) => boolean, endIncluded, replies, timeoutMs },
    };
    this.#pending.add(pending);
    // The timeout counts from the request, then from each reply: a sequence that stalls fails.
    this.#armTimeout(pending, timeoutMs);
    this.#channel.write(bytes);
    return replies as unknown as ReplyStream<Reply>;
  }

  requestQuiet<Reply extends Incoming>(
    frame: FrameSource,
    isReply: (message: Incoming) => message is Reply,
    barrier: () => Promise<unknown>,
    options: RequestOptions = {},
    correlationId?: number,
  ): Promise<Reply | undefined> {
    const bytes = this.#frameToSend(frame);
    if (bytes instanceof Error) return Promise.reject(bytes);
    const { pending, reply } = this.#addPending(isReply, correlationId);
    this.#armTimeout(pending, options.timeoutMs ?? this.#requestTimeoutMs);
    this.#channel.write(bytes);
    this.#quiet.add(pending, barrier);
    return reply;
  }

  /** Settles quiet requests the barrier's reply covered: the server had nothing to say to them. */
  readonly #settleQuiet = (covered: readonly PendingRequest<Incoming>[], error: Error | null): void => {
    for (const request of covered) {
      if (request.settled) continue;
      request.settled = true;
      this.#deadlines.disarm(request.armed);
      this.#pending.remove(request);
      if (error === null) request.resolve(undefined as Incoming);
      else request.reject(error);
    }
  };

  readonly #quiet = new QuietBatches<PendingRequest<Incoming>>(this.#settleQuiet);

  #addPending<Reply extends Incoming>(
    isReply: (message: Incoming) => message is Reply,
    correlationId: number | undefined,
  ): { pending: PendingRequest<Incoming>; reply: Promise<Reply> } {
    // Found by id only when the protocol can say which id a reply carries.
    const id = this.#protocol.correlationOf === undefined ? undefined : correlationId;
    let pending!: PendingRequest<Incoming>;
    const reply = new Promise<Reply>((resolve, reject) => {
      pending = {
        isReply,
        resolve: resolve as (message: Incoming) => void,
        reject,
        id,
        armed: null,
        abandoned: false,
        settled: false,
      };
    });
    this.#pending.add(pending);
    return { pending, reply };
  }

  #armTimeout(pending: PendingRequest<Incoming>, timeoutMs: number): void {
    if (!Number.isFinite(timeoutMs) || timeoutMs > MAX_TIMER_MS || pending.settled) return;
    this.#deadlines.disarm(pending.armed);
    pending.armed = this.#deadlines.arm(pending, timeoutMs);
  }

  /** A request's deadline passed before its reply came. */
  #timedOut(pending: PendingRequest<Incoming>, timeoutMs: number, startedAt: number): void {
    pending.armed = null;
    if (pending.settled) return;
    pending.settled = true;
    const keepsUp = this.#pending.timedOut(pending);
    pending.reject(new RequestTimeoutError(this.#protocol.name, this.remote.label, timeoutMs, Date.now() - startedAt));
    if (!keepsUp) {
      this.#fail(
        new ConnectionClosedError(
          `${this.#protocol.name}: ${MAX_ABANDONED} requests to ${this.remote.label} timed out without a reply; replies pair by order, so the connection is closed`,
        ),
      );
    }
  }

  #writable(): Promise<void> {
    if (this.#isClosed || !this.#writeBlocked) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #wakeWriters(): void {
    this.#writeBlocked = false;
    const waiters = this.#drainWaiters;
    if (waiters.length === 0) return;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }

  onMessage(listener: (message: Incoming) => void): () => void {
    // Wrapped so the same function can be added twice and removed independently.
    const entry = (message: Incoming) => listener(message);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<Incoming> {
    const iterator = new PushIterator<Incoming>(
      () => this.#updateFlow(),
      (it) => {
        this.#iterators.delete(it);
        this.#updateFlow();
      },
    );
    if (this.#isClosed) iterator.finish(this.#error);
    else this.#iterators.add(iterator);
    return iterator;
  }

  async close(): Promise<void> {
    if (!this.#ending && !this.#isClosed) {
      this.#ending = true;
      this.#channel.end();
      // Keep reading: replies already on their way still answer pending requests.
      this.#closeTimer = setTimeout(() => this.#channel.destroy(), this.#closeTimeoutMs);
      this.#closeTimer.unref();
    }
    await this.closed;
  }

  #onData(chunk: Uint8Array): void {
    if (this.#error !== undefined) return;
    try {
      this.#decoder.push(chunk, this.#onFrame);
    } catch (error) {
      this.#fail(error);
    }
  }

  // Decode errors and throwing listeners escape push() and close the client in #onData.
  readonly #onFrame = (frame: Uint8Array): void => {
    if (this.#error !== undefined) return;
    this.#deliver(this.#protocol.decode(frame));
  };

  /**
   * Replies go to the oldest pending request that accepts them. A request
   * that timed out keeps its place, so when its reply does arrive late it is
   * dropped there instead of being taken as the answer to a newer request
   * (protocols without correlation ids can only match by order).
   */
  #deliver(message: Incoming): void {
    const protocol = this.#protocol;
    const part = protocol.streamPart?.(message) ?? null;
    if (part !== null) {
      this.#deliverStreamPart(message, part);
      return;
    }
    const errorText = protocol.describeError?.(message) ?? null;
    if (errorText !== null && this.#streams.size > 0) {
      // An error for a stream under way (the file could not be read any further) fails that stream.
      const id = protocol.correlationOf?.(message);
      const stream = id === undefined ? undefined : this.#streams.get(id);
      if (id !== undefined && stream !== undefined) {
        this.#streams.delete(id);
        stream.fail(new RemoteError(protocol.name, this.remote.label, errorText, message));
        return;
      }
    }
    const request = this.#pending.find(message, protocol.correlationOf?.(message));
    // The reply to a request that timed out is dropped, not taken for a push.
    if (request === 'late') return;
    if (request !== undefined) {
      if (request.many !== undefined && !request.abandoned) {
        this.#deliverOneOfMany(request, request.many, message, errorText);
        return;
      }
      this.#pending.remove(request);
      if (request.abandoned) return;
      request.settled = true;
      this.#deadlines.disarm(request.armed);
      if (errorText !== null) {
        request.reject(new RemoteError(protocol.name, this.remote.label, errorText, message));
      } else if (protocol.opensStream?.(message) === true) {
        // Registered before anything else is read: the first chunk may be in this very read.
        const stream = new StreamReceiver<Incoming, Incoming>({ highWaterMark: STREAM_HIGH_WATER_MARK });
        this.#streams.set(protocol.correlationOf?.(message) ?? 0, stream);
        request.resolve({ ...message, stream } as Incoming);
      } else {
        request.resolve(message);
      }
      return;
    }
    for (const listener of this.#listeners) listener(message);
    if (this.#iterators.size === 0) return;
    for (const iterator of this.#iterators) iterator.offer(message);
    this.#updateFlow();
  }

  /** One reply of many: held for the consumer; the end (or an error) takes the request off the pending list. */
  #deliverOneOfMany(
    request: PendingRequest<Incoming>,
    many: NonNullable<PendingRequest<Incoming>['many']>,
    message: Incoming,
    errorText: string | null,
  ): void {
    this.#deadlines.disarm(request.armed);
    request.armed = null;
    const end = errorText !== null || many.isEnd(message);
    if (end) {
      this.#pending.remove(request);
      request.settled = true;
    }
    if (errorText !== null) {
      many.replies.fail(new RemoteError(this.#protocol.name, this.remote.label, errorText, message));
      return;
    }
    if (!end || many.endIncluded) many.replies.push(message);
    if (end) many.replies.finish();
    else this.#armTimeout(request, many.timeoutMs);
  }

  #deliverStreamPart(message: Incoming, part: 'chunk' | 'end'): void {
    const id = this.#protocol.correlationOf?.(message) ?? 0;
    const stream = this.#streams.get(id);
    if (stream === undefined) {
      throw new StreamProtocolError(
        `${this.#protocol.name}: ${this.remote.label} sent a stream ${part} for id ${id}, but no stream with that id is open`,
      );
    }
    if (part === 'end') {
      this.#streams.delete(id);
      stream.finish(message);
      return;
    }
    if (stream.push(message)) return;
    // The consumer is behind: stop reading until it catches up, so the server waits on TCP instead of filling memory here.
    this.#streamsWaiting += 1;
    this.#updateFlow();
    void stream.space().then(() => {
      this.#streamsWaiting -= 1;
      this.#updateFlow();
    });
  }

  #onEnd(): void {
    try {
      this.#decoder.end();
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (!this.#ending) {
      this.#ending = true;
      this.#channel.end();
    }
  }

  #fail(error: unknown): void {
    this.#error ??= error instanceof Error ? error : new Error(String(error));
    this.#channel.destroy(this.#error);
  }

  #onClose(error: Error | undefined): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#error ??= error;
    this.#deadlines.clear();
    for (const request of this.#pending.drain()) {
      if (request.abandoned) continue;
      request.settled = true;
      request.reject(
        this.#error ??
          new ConnectionClosedError(
            `${this.#protocol.name}: connection to ${this.remote.label} closed before the reply to a request arrived`,
          ),
      );
    }
    for (const iterator of this.#iterators) iterator.finish(this.#error);
    this.#iterators.clear();
    for (const stream of this.#streams.values()) {
      stream.fail(
        new StreamAbandonedError(
          `${this.#protocol.name}: connection to ${this.remote.label} closed before the stream ended`,
          { cause: this.#error },
        ),
      );
    }
    this.#streams.clear();
    this.#wakeWriters();
    this.#resolveClosed(this.#error);
  }

  #closedError(what: string): ConnectionClosedError {
    return new ConnectionClosedError(
      `${this.#protocol.name}: cannot ${what} on the connection to ${this.remote.label}: it is ${this.#isClosed ? 'closed' : 'closing'}`,
      { cause: this.#error },
    );
  }

  #updateFlow(): void {
    let fullest = 0;
    for (const iterator of this.#iterators) fullest = Math.max(fullest, iterator.buffered);
    const paused =
      this.#streamsWaiting > 0 || (this.#paused ? fullest > PUSH_BUFFER_LIMIT / 2 : fullest >= PUSH_BUFFER_LIMIT);
    if (paused === this.#paused || this.#isClosed) return;
    this.#paused = paused;
    if (paused) this.#channel.pause();
    else this.#channel.resume();
  }
}

/** One consumer of pushes: a buffer it drains at its own pace. */
class PushIterator<Incoming> implements AsyncIterator<Incoming> {
  #buffer: Incoming[] = [];
  #head = 0;
  #waiter: { resolve: (result: IteratorResult<Incoming>) => void; reject: (error: Error) => void } | null = null;
  #done = false;
  #error: Error | undefined;
  readonly #onConsume: () => void;
  readonly #onReturn: (iterator: PushIterator<Incoming>) => void;

  constructor(onConsume: () => void, onReturn: (iterator: PushIterator<Incoming>) => void) {
    this.#onConsume = onConsume;
    this.#onReturn = onReturn;
  }

  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  offer(message: Incoming): void {
    if (this.#done) return;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve({ value: message, done: false });
    } else {
      this.#buffer.push(message);
    }
  }

  /** The connection closed: deliver what is buffered, then end (or throw the error that closed it). */
  finish(error: Error | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    const waiter = this.#waiter;
    if (waiter === null) return;
    this.#waiter = null;
    if (error !== undefined) waiter.reject(error);
    else waiter.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Incoming>> {
    if (this.buffered > 0) {
      const value = this.#buffer[this.#head] as Incoming;
      this.#buffer[this.#head] = undefined as Incoming;
      this.#head += 1;
      if (this.#head === this.#buffer.length) {
        this.#buffer = [];
        this.#head = 0;
      }
      this.#onConsume();
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) {
      const error = this.#error;
      if (error !== undefined) {
        // Report the failure once; later calls just see the end.
        this.#error = undefined;
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter !== null) {
      return Promise.reject(new TypeError('push iterator: next() called again before the previous call settled'));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Incoming>> {
    this.#done = true;
    this.#error = undefined;
    this.#buffer = [];
    this.#head = 0;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve({ value: undefined, done: true });
    this.#onReturn(this);
    return Promise.resolve({ value: undefined, done: true });
  }
}

function connectOptions(options: ClientOptions): ConnectOptions {
  // Everything that is not the engine's own goes to the transport, so
  // socket options it adds later pass straight through.
  const { requestTimeoutMs: _request, closeTimeoutMs: _close, transport, ...socket } = options;
  return {
    ...socket,
    transport: transport ?? 'tcp',
    // Request/response protocols: a small request must not wait for Nagle.
    noDelay: socket.noDelay ?? true,
  };
}
