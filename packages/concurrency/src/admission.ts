import { ConnectionLimitError } from './errors.js';
import type { OverflowPolicy, ReleaseConnection } from './types.js';

/** Connection slots shared by every model: a cap, and a FIFO queue or a refusal past it. */
export class Admission {
  readonly #model: string;
  readonly #maxConnections: number;
  readonly #overflow: OverflowPolicy;
  #admitted = 0;
  // Waiting connections in arrival order; a plain array with a head index so
  // admitting does not shift the whole queue each time.
  #waiting: Array<((release: ReleaseConnection) => void) | undefined> = [];
  #head = 0;

  constructor(model: string, maxConnections: number, overflow: OverflowPolicy) {
    this.#model = model;
    this.#maxConnections = maxConnections;
    this.#overflow = overflow;
  }

  get admitted(): number {
    return this.#admitted;
  }

  admit(): Promise<ReleaseConnection> {
    if (this.#admitted < this.#maxConnections) {
      this.#admitted += 1;
      return Promise.resolve(this.#makeRelease());
    }
    if (this.#overflow === 'refuse') {
      return Promise.reject(
        new ConnectionLimitError(
          `${this.#model}: refused a connection: ${this.#maxConnections} of maxConnections ${this.#maxConnections} are being served (overflow: 'refuse')`,
        ),
      );
    }
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
    });
  }

  #makeRelease(): ReleaseConnection {
    let released = false;
    // Idempotent: a connection torn down along two paths must not free two slots.
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting[this.#head];
      if (next !== undefined) {
        this.#waiting[this.#head] = undefined;
        this.#head += 1;
        if (this.#head > 64 && this.#head * 2 > this.#waiting.length) {
          this.#waiting = this.#waiting.slice(this.#head);
          this.#head = 0;
        }
        // The slot passes straight to the next connection, so `admitted` stays the same.
        next(this.#makeRelease());
      } else {
        this.#admitted -= 1;
      }
    };
  }
}

/** Runs tasks inline on the event loop and remembers the pending ones, so close() can wait for them. */
export class InlineRunner {
  readonly #running = new Set<Promise<unknown>>();

  run<T>(task: () => T | Promise<T>): Promise<T> {
    let result: T | Promise<T>;
    try {
      result = task();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!isThenable(result)) return Promise.resolve(result);
    const tracked: Promise<T> = Promise.resolve(result).finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
    return tracked;
  }

  async settle(): Promise<void> {
    // Task failures belong to whoever called run(); close only waits.
    await Promise.allSettled([...this.#running]);
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
