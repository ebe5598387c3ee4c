import { SockspecError } from '@sockspec/errors';

/** No reply arrived in time for a request. */
export class RequestTimeoutError extends SockspecError {
  readonly timeoutMs: number;
  readonly elapsedMs: number;

  constructor(protocol: string, peer: string, timeoutMs: number, elapsedMs: number) {
    super(
      'SOCKSPEC_REQUEST_TIMEOUT',
      `${protocol}: request to ${peer} got no reply after ${elapsedMs} ms (timeout ${timeoutMs} ms)`,
    );
    this.timeoutMs = timeoutMs;
    this.elapsedMs = elapsedMs;
  }
}

/** The connection closed (or was being closed) while something still needed it. */
export class ConnectionClosedError extends SockspecError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SOCKSPEC_CONNECTION_CLOSED', message, options);
  }
}

/** The server answered a request with the protocol's errors message. */
export class RemoteError<Reply = unknown> extends SockspecError {
  /** The errors message as decoded, e.g. `{ type: 'Failed', reason: 'nickTaken', text: '…' }`. */
  readonly reply: Reply;

  constructor(protocol: string, peer: string, text: string, reply: Reply) {
    super('SOCKSPEC_REMOTE_ERROR', `${protocol}: ${peer} refused the request: ${text}`);
    this.reply = reply;
  }
}
