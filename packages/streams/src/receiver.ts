/** The receiving side of a stream of chunks closed by an end message. */
export interface ReceivedStream<Chunk, End> extends AsyncIterable<Chunk> {
  /**
   * Resolves with the end message once it has arrived; rejects when the
   * stream fails first (connection lost, error from the peer).
   */
  readonly end: Promise<End>;
}

export interface StreamReceiverOptions {
  /** Chunks held before `push` returns false and the sender is asked to wait. */
  readonly highWaterMark?: number;
}

const DEFAULT_HIGH_WATER_MARK = 16;

/**
 * A bounded queue between whoever receives chunks off the wire and the code
 * that consumes them. `push` reports when the queue is full, and `space()`
 * resolves once the consumer has drained it to half, so the receiver can
 * stop reading its socket meanwhile: a fast sender then waits on TCP flow
 * control instead of filling memory. One consumer per stream.
 */
export class StreamReceiver<Chunk, End> implements ReceivedStream<Chunk, End> {
  readonly end: Promise<End>;
  readonly #highWaterMark: number;
  #buffer: Chunk[] = [];
  #head = 0;
  #waiter: { resolve: (result: IteratorResult<Chunk>) => void; reject: (error: Error) => void } | null = null;
  #spaceWaiters: Array<() => void> = [];
  #state: 'open' | 'ended' | 'failed' = 'open';
  #error: Error | undefined;
  #iterating = false;
  /** The consumer stopped early: chunks are dropped and never make the sender wait. */
  #abandoned = false;
  #resolveEnd!: (end: End) => void;
  #rejectEnd!: (error: Error) => void;

  constructor(options: StreamReceiverOptions = {}) {
    this.#highWaterMark = Math.max(1, options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK);
    this.end = new Promise<End>((resolve, reject) => {
      this.#resolveEnd = resolve;
      this.#rejectEnd = reject;
    });
    // A consumer that only iterates must not see an unhandled rejection from `end`.
    this.end.catch(() => undefined);
  }

  /** Chunks received and not yet consumed. */
  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /** True once the end arrived or the stream failed. */
  get settled(): boolean {
    return this.#state !== 'open';
  }

  /** Queues a chunk; false when the queue is at its high-water mark and the sender should wait for `space()`. */
  push(chunk: Chunk): boolean {
    if (this.#state !== 'open' || this.#abandoned) return true;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve({ value: chunk, done: false });
      return true;
    }
    this.#buffer.push(chunk);
    return this.buffered < this.#highWaterMark;
  }

  /** Resolves once the queue is down to half its high-water mark, or the stream is over. */
  space(): Promise<void> {
    if (this.#hasSpace()) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /** The end message arrived: consumers see the queued chunks, then the end. */
  finish(end: End): void {
    if (this.#state !== 'open') return;
    this.#state = 'ended';
    this.#resolveEnd(end);
    this.#wakeSpace();
    const waiter = this.#waiter;
    if (waiter !== null && this.buffered === 0) {
      this.#waiter = null;
      waiter.resolve({ value: undefined, done: true });
    }
  }

  /** The stream broke: consumers see the queued chunks, then `error`. */
  fail(error: Error): void {
    if (this.#state !== 'open') return;
    this.#state = 'failed';
    this.#error = error;
    this.#rejectEnd(error);
    this.#wakeSpace();
    const waiter = this.#waiter;
    if (waiter !== null && this.buffered === 0) {
      this.#waiter = null;
      waiter.reject(error);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Chunk> {
    if (this.#iterating) throw new TypeError('a received stream has one consumer; it is already being iterated');
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: () => {
        this.#abandon();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #next(): Promise<IteratorResult<Chunk>> {
    if (this.buffered > 0) {
      const value = this.#buffer[this.#head] as Chunk;
      this.#buffer[this.#head] = undefined as Chunk;
      this.#head += 1;
      if (this.#head === this.#buffer.length) {
        this.#buffer = [];
        this.#head = 0;
      }
      if (this.#hasSpace()) this.#wakeSpace();
      return Promise.resolve({ value, done: false });
    }
    if (this.#state === 'ended' || this.#abandoned) return Promise.resolve({ value: undefined, done: true });
    if (this.#state === 'failed') return Promise.reject(this.#error);
    if (this.#waiter !== null) {
      return Promise.reject(new TypeError('received stream: next() called again before the previous call settled'));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Nobody will consume further chunks (the handler returned early): drop them, never make the sender wait. */
  abandon(): void {
    this.#abandon();
  }

  #abandon(): void {
    this.#abandoned = true;
    this.#buffer = [];
    this.#head = 0;
    this.#wakeSpace();
  }

  #hasSpace(): boolean {
    return this.#state !== 'open' || this.#abandoned || this.buffered <= this.#highWaterMark / 2;
  }

  #wakeSpace(): void {
    const waiters = this.#spaceWaiters;
    if (waiters.length === 0) return;
    this.#spaceWaiters = [];
    for (const wake of waiters) wake();
  }
}
