import type { PeerAddress } from '@sockspec/transport';

/** One log line per peer address per this long, however many of its connections are refused. */
const LOG_INTERVAL_MS = 10_000;

/**
 * Open connections per peer IP, so a few addresses cannot take every slot
 * (`maxConnectionsPerAddress`). Unix-socket peers all share the socket's
 * path, so they are not counted.
 */
export class AddressQuota {
  readonly #limit: number;
  readonly #log: (line: string) => void;
  readonly #open = new Map<string, number>();
  /** Per address: when its last refusal line was written, and how many refusals since. */
  readonly #refusals = new Map<string, { loggedAt: number; unlogged: number }>();

  constructor(limit: number, log: (line: string) => void) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`maxConnectionsPerAddress must be a positive integer, got ${String(limit)}`);
    }
    this.#limit = limit;
    this.#log = log;
  }

  /** Counts a new connection from `peer`; returns its release, or null when `peer` already has the limit open. */
  take(peer: PeerAddress): (() => void) | null {
    if (peer.transport === 'unix' || peer.transport === 'unix-dgram') return () => {};
    const host = peer.host;
    const open = this.#open.get(host) ?? 0;
    if (open >= this.#limit) {
      this.#refused(peer);
      return null;
    }
    this.#open.set(host, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(host) ?? 1) - 1;
      if (left === 0) this.#open.delete(host);
      else this.#open.set(host, left);
    };
  }

  #refused(peer: PeerAddress): void {
    const now = Date.now();
    const seen = this.#refusals.get(peer.host);
    if (seen !== undefined && now - seen.loggedAt < LOG_INTERVAL_MS) {
      seen.unlogged += 1;
      return;
    }
    const earlier = seen === undefined || seen.unlogged === 0 ? '' : ` (and ${seen.unlogged} more since the last line)`;
    this.#log(
      `${peer.label}: refused a connection: ${this.#limit} of maxConnectionsPerAddress ${this.#limit} from ${peer.host} are open${earlier}`,
    );
    this.#refusals.set(peer.host, { loggedAt: now, unlogged: 0 });
    // Forget addresses that have been quiet for an interval, so the map does not grow with every scanner seen.
    if (this.#refusals.size > 1024) {
      for (const [host, entry] of this.#refusals) {
        if (now - entry.loggedAt >= LOG_INTERVAL_MS) this.#refusals.delete(host);
      }
    }
  }
}
