import { SockspecError, type SockspecErrorCode } from '@sockspec/errors';

/**
 * A connection arrived while `maxConnections` were served and the overflow
 * policy is `refuse`, or the wait queue was full, or it waited past queueTimeoutMs.
 */
export class ConnectionLimitError extends SockspecError {
  constructor(message: string) {
    super('SOCKSPEC_CONNECTION_LIMIT', message);
  }
}

/** A worker thread or process died, failed to start, or could not load the handler module. */
export class WorkerFailedError extends SockspecError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SOCKSPEC_WORKER_FAILED', message, options);
  }
}

/**
 * The worker's decoder rejected a frame. Carries the decoder's own code, so
 * the engine treats it exactly like bad input decoded on the main thread
 * (log line, the protocol's error frame, close).
 */
export class RemoteInputError extends SockspecError {
  constructor(code: SockspecErrorCode, message: string) {
    super(code, message);
  }
}

/** The limits every model's admission takes, checked and with defaults filled in. */
export interface AdmissionLimits {
  readonly maxConnections: number;
  readonly overflow: 'queue' | 'refuse';
  readonly maxQueued: number;
  readonly queueTimeoutMs: number;
}

const DEFAULT_MAX_QUEUED = 1024;
const DEFAULT_QUEUE_TIMEOUT_MS = 30_000;
/** setTimeout's ceiling; a longer delay would fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Validates a connection cap, overflow policy and queue bounds; every model takes the same options. */
export function checkLimits(
  model: string,
  limits: {
    readonly maxConnections?: number | undefined;
    readonly overflow?: string | undefined;
    readonly maxQueued?: number | undefined;
    readonly queueTimeoutMs?: number | undefined;
  },
): AdmissionLimits {
  const maxConnections = limits.maxConnections ?? Number.POSITIVE_INFINITY;
  if (!(maxConnections === Number.POSITIVE_INFINITY || (Number.isInteger(maxConnections) && maxConnections >= 1))) {
    throw new RangeError(`${model}: maxConnections must be a positive integer, got ${String(maxConnections)}`);
  }
  const overflow = limits.overflow ?? 'queue';
  if (overflow !== 'queue' && overflow !== 'refuse') {
    throw new RangeError(`${model}: overflow must be 'queue' or 'refuse', got '${String(overflow)}'`);
  }
  const maxQueued = limits.maxQueued ?? DEFAULT_MAX_QUEUED;
  if (!Number.isInteger(maxQueued) || maxQueued < 0) {
    throw new RangeError(`${model}: maxQueued must be an integer 0 or more, got ${String(maxQueued)}`);
  }
  const queueTimeoutMs = limits.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS;
  if (!Number.isInteger(queueTimeoutMs) || queueTimeoutMs < 1 || queueTimeoutMs > MAX_TIMER_MS) {
    throw new RangeError(
      `${model}: queueTimeoutMs must be an integer 1–${MAX_TIMER_MS}, got ${String(queueTimeoutMs)}`,
    );
  }
  return { maxConnections, overflow, maxQueued, queueTimeoutMs };
}
