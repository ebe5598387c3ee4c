/**
 * Quiet requests (memcached GETQ) get a reply only when the server has
 * something to say. The client batches the ones sent in one turn of the event
 * loop and follows them with one barrier request (memcached NOOP); the server
 * answers in order, so once the barrier's reply arrives, every quiet request
 * before it that got nothing is settled as "nothing" (undefined).
 */
export class QuietBatches<Pending> {
  readonly #waiting = new Map<() => Promise<unknown>, Pending[]>();
  #scheduled = false;
  readonly #settle: (covered: readonly Pending[], error: Error | null) => void;

  constructor(settle: (covered: readonly Pending[], error: Error | null) => void) {
    this.#settle = settle;
  }

  add(pending: Pending, barrier: () => Promise<unknown>): void {
    const list = this.#waiting.get(barrier);
    if (list === undefined) this.#waiting.set(barrier, [pending]);
    else list.push(pending);
    if (this.#scheduled) return;
    this.#scheduled = true;
    // After the caller's synchronous burst: a multi-get of 100 keys costs one barrier.
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = [...this.#waiting];
    this.#waiting.clear();
    for (const [barrier, covered] of batches) {
      barrier().then(
        () => this.#settle(covered, null),
        (error: unknown) => this.#settle(covered, error instanceof Error ? error : new Error(String(error))),
      );
    }
  }
}
