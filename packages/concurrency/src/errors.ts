import { SockspecError, type SockspecErrorCode } from '@sockspec/errors';

/** A connection arrived while `maxConnections` were served and the overflow policy is `refuse`. */
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

/** Validates a connection cap and overflow policy; every model takes the same two options. */
export function checkLimits(
  model: string,
  limits: { readonly maxConnections?: number | undefined; readonly overflow?: string | undefined },
): { maxConnections: number; overflow: 'queue' | 'refuse' } {
  const maxConnections = limits.maxConnections ?? Number.POSITIVE_INFINITY;
  if (!(maxConnections === Number.POSITIVE_INFINITY || (Number.isInteger(maxConnections) && maxConnections >= 1))) {
    throw new RangeError(`${model}: maxConnections must be a positive integer, got ${String(maxConnections)}`);
  }
  const overflow = limits.overflow ?? 'queue';
  if (overflow !== 'queue' && overflow !== 'refuse') {
    throw new RangeError(`${model}: overflow must be 'queue' or 'refuse', got '${String(overflow)}'`);
  }
  return { maxConnections, overflow };
}
