/** Messages a connection may send: `perSecond` on average, `burst` at once after a quiet spell. */
export interface MessageRate {
  readonly perSecond: number;
  /** Default: one second's worth (`perSecond`), at least 1. */
  readonly burst?: number;
  /**
   * Only messages of these types take a token (chat: the ones that reach a
   * whole room or another person); the others pass at once. Default: every
   * message.
   */
  readonly messages?: readonly string[];
}

/** A MessageRate with its defaults filled in. */
export interface CheckedMessageRate {
  readonly perSecond: number;
  readonly burst: number;
  /** null: every message takes a token. */
  readonly messages: ReadonlySet<string> | null;
}

/** Checks a MessageRate; throws a RangeError saying what is wrong. */
export function checkMessageRate(rate: MessageRate): CheckedMessageRate {
  const { perSecond } = rate;
  if (!(Number.isFinite(perSecond) && perSecond > 0)) {
    throw new RangeError(`messageRate.perSecond must be a number above 0, got ${String(perSecond)}`);
  }
  const burst = rate.burst ?? Math.max(1, Math.ceil(perSecond));
  if (!Number.isInteger(burst) || burst < 1) {
    throw new RangeError(`messageRate.burst must be a positive integer, got ${String(burst)}`);
  }
  const { messages } = rate;
  if (messages !== undefined && (messages.length === 0 || messages.some((name) => typeof name !== 'string'))) {
    throw new RangeError(
      'messageRate.messages must name at least one message type; leave it out to rate every message',
    );
  }
  return { perSecond, burst, messages: messages === undefined ? null : new Set(messages) };
}

/** A token bucket: full at `burst`, refilled at `perSecond`, one token per message. */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(rate: Pick<CheckedMessageRate, 'perSecond' | 'burst'>, now: number) {
    this.#perMs = rate.perSecond / 1000;
    this.#burst = rate.burst;
    this.#tokens = rate.burst;
    this.#at = now;
  }

  /** Takes a token and returns 0, or returns how many ms until one is there (taking nothing). */
  take(now: number): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.#tokens) / this.#perMs);
  }
}
