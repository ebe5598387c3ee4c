import type { ConcurrencyModel, ConcurrencyModelName, ReleaseConnection } from './types.js';

export interface EventLoopOptions {
  /**
   * Connections served at once; further accepted connections wait, first in
   * first out, until one leaves. Default: no limit.
   */
  readonly maxConnections?: number;
}

/**
 * The `async` model: every connection is served on the event loop and
 * handler calls run inline. With `maxConnections` it also caps how many
 * connections are served at once.
 */
export function eventLoop(options: EventLoopOptions = {}): ConcurrencyModel {
  const maxConnections = options.maxConnections ?? Number.POSITIVE_INFINITY;
  if (!(maxConnections === Number.POSITIVE_INFINITY || (Number.isInteger(maxConnections) && maxConnections >= 1))) {
    throw new RangeError(`eventLoop: maxConnections must be a positive integer, got ${String(maxConnections)}`);
  }
  return createInlineModel('async', maxConnections);
}

/**
 * The `serial` model: one connection at a time, like a plain TCPServer; the
 * next accepted connection is admitted when the previous one is released.
 */
export function serial(): ConcurrencyModel {
  return createInlineModel('serial', 1);
}

/** A model whose handler calls run inline on the event loop, with a cap on admitted connections. */
function createInlineModel(name: ConcurrencyModelName, maxConnections: number): ConcurrencyModel {
  let admitted = 0;
  // Waiting connections in arrival order; a plain array with a head index so
  // admitting does not shift the whole queue each time.
  let waiting: Array<((release: ReleaseConnection) => void) | undefined> = [];
  let head = 0;
  const running = new Set<Promise<unknown>>();

  function makeRelease(): ReleaseConnection {
    let released = false;
    // Idempotent: a connection torn down along two paths must not free two slots.
    return () => {
      if (released) return;
      released = true;
      const next = waiting[head];
      if (next !== undefined) {
        waiting[head] = undefined;
        head += 1;
        if (head > 64 && head * 2 > waiting.length) {
          waiting = waiting.slice(head);
          head = 0;
        }
        // The slot passes straight to the next connection, so `admitted` stays the same.
        next(makeRelease());
      } else {
        admitted -= 1;
      }
    };
  }

  return {
    name,
    admit(): Promise<ReleaseConnection> {
      if (admitted < maxConnections) {
        admitted += 1;
        return Promise.resolve(makeRelease());
      }
      return new Promise((resolve) => {
        waiting.push(resolve);
      });
    },
    run<T>(task: () => T | Promise<T>): Promise<T> {
      let result: T | Promise<T>;
      try {
        result = task();
      } catch (error) {
        return Promise.reject(error);
      }
      if (!isThenable(result)) return Promise.resolve(result);
      const tracked: Promise<T> = Promise.resolve(result).finally(() => running.delete(tracked));
      running.add(tracked);
      return tracked;
    },
    async close(): Promise<void> {
      // Task failures belong to whoever called run(); close only waits.
      await Promise.allSettled([...running]);
    },
  };
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
