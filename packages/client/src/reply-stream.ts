import { SockspecError } from '@sockspec/errors';

/**
 * The replies to a request that the server answers many times (memcached
 * STAT): iterate them as they arrive, or `await all()`.
 */
export interface ReplyStream<Reply> extends AsyncIterable<Reply> {
  /** Every reply, in order, once the last has arrived. */
  all(): Promise<Reply[]>;
}

/**
 * Replies held for a consumer that has not read them yet. A server that
 * never sends the end would otherwise fill memory: past this many held
 * replies the stream fails (65,536 STAT lines is 200 times what memcached
 * 1.6 sends).
 */
export const MAX_HELD_REPLIES = 65_536;

/** A ReplyStream fed by the client engine; one consumer. */
export class ReplyQueue<Reply> implements ReplyStream<Reply> {
  readonly #held: Reply[] = [];
  #waiter: { resolve: (result: IteratorResult<Reply>) => void; reject: (error: Error) => void } | null = null;
  #done = false;
  #error: Error | null = null;
  #iterated = false;

  push(reply: Reply): void {
    if (this.#done) return;
    if (this.#waiter !== null) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter.resolve({ value: reply, done: false });
      return;
    }
    if (this.#held.length >= MAX_HELD_REPLIES) {
      this.fail(
        new SockspecError(
          'SOCKSPEC_WRITE_QUEUE_FULL',
          `more than ${MAX_HELD_REPLIES} replies held for a consumer that has not read them; the request is abandoned`,
        ),
      );
      return;
    }
    this.#held.push(reply);
  }

  finish(): void {
    if (this.#done) return;
    this.#done = true;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve({ value: undefined, done: true });
  }

  fail(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#held.length = 0;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<Reply> {
    if (this.#iterated) throw new Error('the replies of a request can be iterated once');
    this.#iterated = true;
    return {
      next: () => {
        const held = this.#held.shift();
        if (held !== undefined) return Promise.resolve({ value: held, done: false });
        if (this.#error !== null) return Promise.reject(this.#error);
        if (this.#done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.#waiter = { resolve, reject };
        });
      },
      return: () => {
        // The consumer stopped early: the rest are dropped as they come.
        this.#done = true;
        this.#held.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  async all(): Promise<Reply[]> {
    const replies: Reply[] = [];
    for await (const reply of this) replies.push(reply);
    return replies;
  }
}
