import type { ArmedDeadline } from './deadlines.js';
import type { ReplyQueue } from './reply-stream.js';

export interface PendingRequest<Incoming> {
  readonly isReply: (message: Incoming) => boolean;
  readonly resolve: (message: Incoming) => void;
  readonly reject: (error: Error) => void;
  /** The correlation id the request carries, when the protocol has one: its reply is found by it. */
  readonly id: number | undefined;
  /** The request's timeout, while it runs (see Deadlines). */
  armed: ArmedDeadline | null;
  /** Timed out, but keeps its place among requests answered in order; see PendingRequests. */
  abandoned: boolean;
  /** Answered (or failed): a stream being sent for it stops. */
  settled: boolean;
  /** Set for a request answered by many replies: they go here, and the pending stays until the end. */
  readonly many?: {
    readonly isEnd: (message: Incoming) => boolean;
    readonly endIncluded: boolean;
    readonly replies: ReplyQueue<Incoming>;
    readonly timeoutMs: number;
  };
}

/**
 * Ids of timed-out requests remembered so that their late replies are
 * dropped instead of surfacing as pushes; the oldest are forgotten first.
 * 4,096 covers a burst of timeouts on a busy connection at 40 bytes each.
 */
const LATE_IDS = 4096;

/**
 * Requests without an id that timed out keep their place, since replies pair
 * with them by order. This many unanswered places mean the server stopped
 * answering in order; the connection is then failed (issue 8: 50,000
 * timed-out requests held 62 MB and slowed every later reply).
 */
export const MAX_ABANDONED = 1024;

/**
 * The requests waiting for a reply. With a correlation id a reply finds its
 * request in a Map, in constant time however many are in flight (a scan per
 * reply made 10,000 pipelined requests quadratic); without one, replies go to
 * the oldest request that accepts them.
 */
export class PendingRequests<Incoming> {
  readonly #byId = new Map<number, PendingRequest<Incoming>>();
  readonly #ordered: PendingRequest<Incoming>[] = [];
  readonly #late = new Set<number>();
  #abandoned = 0;

  get size(): number {
    return this.#byId.size + this.#ordered.length;
  }

  add(request: PendingRequest<Incoming>): void {
    if (request.id !== undefined) this.#byId.set(request.id, request);
    else this.#ordered.push(request);
  }

  remove(request: PendingRequest<Incoming>): void {
    if (request.id !== undefined) {
      if (this.#byId.get(request.id) === request) this.#byId.delete(request.id);
      return;
    }
    const index = this.#ordered.indexOf(request);
    if (index === -1) return;
    this.#ordered.splice(index, 1);
    if (request.abandoned) this.#abandoned -= 1;
  }

  /**
   * A request's timeout fired. Returns false when too many requests without
   * an id wait for replies that do not come (see MAX_ABANDONED).
   */
  timedOut(request: PendingRequest<Incoming>): boolean {
    request.abandoned = true;
    if (request.id !== undefined) {
      this.remove(request);
      this.#late.add(request.id);
      if (this.#late.size > LATE_IDS) this.#late.delete(this.#late.values().next().value as number);
      return true;
    }
    if (request.many !== undefined) {
      // How many replies are still to come is unknown, so no place can be kept for them: they arrive as pushes.
      const index = this.#ordered.indexOf(request);
      if (index !== -1) this.#ordered.splice(index, 1);
      return true;
    }
    this.#abandoned += 1;
    return this.#abandoned <= MAX_ABANDONED;
  }

  /** The request a message answers; 'late' for the reply to a request that timed out. */
  find(message: Incoming, id: number | undefined): PendingRequest<Incoming> | 'late' | undefined {
    if (id !== undefined) {
      const request = this.#byId.get(id);
      if (request?.isReply(message)) return request;
    }
    for (const request of this.#ordered) if (request.isReply(message)) return request;
    if (id !== undefined && this.#late.has(id)) return 'late';
    return undefined;
  }

  /** Takes every request off the list (the connection closed). */
  drain(): PendingRequest<Incoming>[] {
    const all = [...this.#byId.values(), ...this.#ordered];
    this.#byId.clear();
    this.#ordered.length = 0;
    this.#abandoned = 0;
    return all;
  }
}
