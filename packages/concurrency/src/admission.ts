import { type AdmissionLimits, ConnectionLimitError } from './errors.js';
import type { ReleaseConnection } from './types.js';

interface Waiter {
  readonly resolve: (release: ReleaseConnection) => void;
  timer: NodeJS.Timeout | undefined;
  /** False once it timed out or gave up: its entry stays in the queue and is skipped. */
  live: boolean;
  /** Stops listening to the caller's AbortSignal. */
  forget: () => void;
}

/**
 * Connection slots shared by every model: a cap, and past it a FIFO queue
 * bounded in length and in waiting time, or a refusal.
 */
export class Admission {
  readonly #model: string;
  readonly #limits: AdmissionLimits;
  #admitted = 0;
  // Waiting connections in arrival order; a plain array with a head index so
  // admitting does not shift the whole queue each time. A waiter that timed
  // out stays in place, not live, and is skipped.
  #waiting: Waiter[] = [];
  #head = 0;
  #queued = 0;

  constructor(model: string, limits: AdmissionLimits) {
    this.#model = model;
    this.#limits = limits;
  }

  get admitted(): number {
    return this.#admitted;
  }

  /**
   * A slot, now or once one frees. `signal` aborting while the connection
   * waits gives its place up (its peer left): the promise rejects and the
   * queue does not count it any more.
   */
  admit(signal?: AbortSignal): Promise<ReleaseConnection> {
    const { maxConnections, overflow, maxQueued, queueTimeoutMs } = this.#limits;
    if (this.#admitted < maxConnections) {
      this.#admitted += 1;
      return Promise.resolve(this.#makeRelease());
    }
    const served = `${maxConnections} of maxConnections ${maxConnections} are being served`;
    if (overflow === 'refuse') {
      return Promise.reject(
        new ConnectionLimitError(`${this.#model}: refused a connection: ${served} (overflow: 'refuse')`),
      );
    }
    if (this.#queued >= maxQueued) {
      return Promise.reject(
        new ConnectionLimitError(
          `${this.#model}: refused a connection: ${served} and ${this.#queued} wait for a slot (maxQueued ${maxQueued})`,
        ),
      );
    }
    if (signal?.aborted === true) return Promise.reject(this.#gaveUp());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, timer: undefined, live: true, forget: () => undefined };
      const leave = (error: ConnectionLimitError): void => {
        if (!waiter.live) return;
        waiter.live = false;
        waiter.forget();
        clearTimeout(waiter.timer);
        this.#queued -= 1;
        // Drop the dead entries once they outnumber the live ones, so peers that keep timing out or leaving
        // while no slot frees do not grow the queue without bound.
        if (this.#waiting.length - this.#head > 2 * this.#queued + 64) {
          this.#waiting = this.#waiting.slice(this.#head).filter((entry) => entry.live);
          this.#head = 0;
        }
        reject(error);
      };
      waiter.timer = setTimeout(
        () =>
          leave(
            new ConnectionLimitError(
              `${this.#model}: refused a connection after it waited ${queueTimeoutMs} ms for a slot: ${served} (queueTimeoutMs ${queueTimeoutMs})`,
            ),
          ),
        queueTimeoutMs,
      );
      // A queued connection must not keep a stopping process alive.
      waiter.timer.unref();
      if (signal !== undefined) {
        const onAbort = (): void => leave(this.#gaveUp());
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.forget = () => signal.removeEventListener('abort', onAbort);
      }
      this.#waiting.push(waiter);
      this.#queued += 1;
    });
  }

  /** The first live waiter, taken off the queue; undefined when none waits. */
  #takeNext(): Waiter | undefined {
    while (this.#head < this.#waiting.length) {
      const waiter = this.#waiting[this.#head]!;
      this.#head += 1;
      if (this.#head > 64 && this.#head * 2 > this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head);
        this.#head = 0;
      }
      if (!waiter.live) continue;
      this.#queued -= 1;
      waiter.forget();
      return waiter;
    }
    return undefined;
  }

  #gaveUp(): ConnectionLimitError {
    return new ConnectionLimitError(`${this.#model}: a waiting connection gave up its place: its peer left`);
  }

  #makeRelease(): ReleaseConnection {
    let released = false;
    // Idempotent: a connection torn down along two paths must not free two slots.
    return () => {
      if (released) return;
      released = true;
      const next = this.#takeNext();
      if (next !== undefined) {
        clearTimeout(next.timer);
        // The slot passes straight to the next connection, so `admitted` stays the same.
        next.resolve(this.#makeRelease());
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
