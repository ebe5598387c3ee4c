import { SockspecError } from '@sockspec/errors';

/** A server method was called in a state that does not allow it (listen twice, listen after shutdown). */
export class ServerStateError extends SockspecError {
  constructor(message: string) {
    super('SOCKSPEC_SERVER_STATE', message);
  }
}

/** A connection was cut off because it was still busy when shutdown's drain time ran out. */
export class DrainTimeoutError extends SockspecError {
  constructor(message: string) {
    super('SOCKSPEC_CONNECTION_CLOSED', message);
  }
}

/** One-line description of an error for log lines: the stable code first when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof SockspecError) return `${error.code} ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A connection tried to join more groups than maxGroupsPerConnection allows. */
export class GroupLimitError extends SockspecError {
  constructor(message: string) {
    super('SOCKSPEC_CONNECTION_LIMIT', message);
  }
}

/**
 * The store behind shared groups (Redis) cannot be reached: at start, or
 * for a question only it can answer (is a name taken, who is in a room).
 */
export class GroupsUnavailableError extends SockspecError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SOCKSPEC_GROUPS_UNAVAILABLE', message, options);
  }
}
