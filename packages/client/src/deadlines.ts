/**
 * Request timeouts without a timer per request. A `setTimeout` per request
 * and a `clearTimeout` per reply were most of the garbage of a pipelined
 * client (issue 9: 100,000 memcached GETs in flight ran at 0.07× a
 * hand-written `node:net` client, and the profile's largest entry was the
 * garbage collector). Requests with the same timeout expire in the order they
 * were made, so each distinct timeout is one lane: a FIFO of deadlines and one
 * timer, set for the oldest.
 *
 * A settled request only marks its entry dead. Dead entries at the head are
 * dropped at once (replies mostly come in order), and a lane whose dead
 * entries outnumber its live ones is compacted, so a lane holds at most about
 * twice the requests in flight, whatever the order of replies.
 */

/** One armed deadline; `live` turns false when the request settles or is re-armed. */
export interface ArmedDeadline {
  live: boolean;
  readonly deadline: number;
  readonly startedAt: number;
  readonly lane: Lane;
  /** What expires: the pending request, handed to the one expiry callback. */
  readonly item: unknown;
}

/** Below this many entries a lane is never compacted: scanning a few dead ones costs less than copying. */
const COMPACT_MIN_ENTRIES = 1024;

export class Lane {
  readonly timeoutMs: number;
  entries: ArmedDeadline[] = [];
  head = 0;
  dead = 0;
  timer: NodeJS.Timeout | null = null;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Drops dead entries at the front; compacts when most of the lane is dead. */
  prune(): void {
    const { entries } = this;
    while (this.head < entries.length && !entries[this.head]!.live) {
      this.head += 1;
      this.dead -= 1;
    }
    const length = entries.length - this.head;
    if (length >= COMPACT_MIN_ENTRIES && this.dead * 2 > length) {
      this.entries = entries.slice(this.head).filter((entry) => entry.live);
      this.head = 0;
      this.dead = 0;
    } else if (this.head >= COMPACT_MIN_ENTRIES && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
  }
}

export class Deadlines<Item> {
  readonly #lanes = new Map<number, Lane>();
  readonly #expire: (item: Item, timeoutMs: number, startedAt: number) => void;

  /** `expire` runs for each item whose deadline passes before it is disarmed; one callback, no closure per item. */
  constructor(expire: (item: Item, timeoutMs: number, startedAt: number) => void) {
    this.#expire = expire;
  }

  /** Arms `item` to expire `timeoutMs` from now unless the returned deadline is disarmed first. */
  arm(item: Item, timeoutMs: number): ArmedDeadline {
    let lane = this.#lanes.get(timeoutMs);
    if (lane === undefined) {
      lane = new Lane(timeoutMs);
      this.#lanes.set(timeoutMs, lane);
    }
    const startedAt = Date.now();
    const armed: ArmedDeadline = { live: true, deadline: startedAt + timeoutMs, startedAt, lane, item };
    lane.entries.push(armed);
    if (lane.timer === null) this.#schedule(lane, timeoutMs);
    return armed;
  }

  /** The request settled: its deadline will not fire. */
  disarm(armed: ArmedDeadline | null): void {
    if (armed === null || !armed.live) return;
    armed.live = false;
    armed.lane.dead += 1;
    armed.lane.prune();
    if (armed.lane.head === armed.lane.entries.length) this.#retire(armed.lane);
  }

  /** Stops every timer (the connection closed; its requests are settled another way). */
  clear(): void {
    for (const lane of this.#lanes.values()) if (lane.timer !== null) clearTimeout(lane.timer);
    this.#lanes.clear();
  }

  #schedule(lane: Lane, delayMs: number): void {
    lane.timer = setTimeout(() => this.#fire(lane), Math.max(0, delayMs));
  }

  #fire(lane: Lane): void {
    lane.timer = null;
    const now = Date.now();
    while (lane.head < lane.entries.length) {
      const entry = lane.entries[lane.head]!;
      if (entry.live && entry.deadline > now) break;
      lane.head += 1;
      if (!entry.live) {
        lane.dead -= 1;
        continue;
      }
      entry.live = false;
      this.#expire(entry.item as Item, lane.timeoutMs, entry.startedAt);
    }
    // An expiry may have closed the connection, which cleared every lane: nothing to schedule then.
    if (this.#lanes.get(lane.timeoutMs) !== lane) return;
    lane.prune();
    const next = lane.entries[lane.head];
    if (next === undefined) this.#retire(lane);
    else if (lane.timer === null) this.#schedule(lane, next.deadline - now);
  }

  #retire(lane: Lane): void {
    if (lane.timer !== null) clearTimeout(lane.timer);
    lane.timer = null;
    lane.entries = [];
    lane.head = 0;
    lane.dead = 0;
    if (this.#lanes.get(lane.timeoutMs) === lane) this.#lanes.delete(lane.timeoutMs);
  }
}
