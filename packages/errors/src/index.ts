/**
 * Every error a sockspec runtime package raises on purpose is a SockspecError
 * with a stable `code`, so callers branch on `err.code` rather than on message
 * text, and logs can be grepped for the code.
 */
export type SockspecErrorCode =
  // framing (packages/codec)
  | 'SOCKSPEC_FRAME_TOO_LARGE'
  | 'SOCKSPEC_INVALID_LENGTH'
  | 'SOCKSPEC_TRUNCATED_FRAME'
  | 'SOCKSPEC_INVALID_FRAMING'
  // message decoding (generated codecs, packages/codec primitives)
  | 'SOCKSPEC_TRUNCATED_MESSAGE'
  | 'SOCKSPEC_TRAILING_BYTES'
  | 'SOCKSPEC_UNKNOWN_MESSAGE'
  | 'SOCKSPEC_INVALID_UTF8'
  | 'SOCKSPEC_FIELD_TOO_LARGE'
  | 'SOCKSPEC_INVALID_FIELD'
  | 'SOCKSPEC_CONSTANT_MISMATCH'
  | 'SOCKSPEC_CHECKSUM_MISMATCH'
  // connections (packages/transport, server, client)
  | 'SOCKSPEC_CONNECT_TIMEOUT'
  | 'SOCKSPEC_CONNECTION_CLOSED'
  | 'SOCKSPEC_REQUEST_TIMEOUT'
  | 'SOCKSPEC_ADDRESS_IN_USE'
  | 'SOCKSPEC_UNSUPPORTED_TRANSPORT'
  | 'SOCKSPEC_INVALID_ADDRESS'
  | 'SOCKSPEC_WRITE_QUEUE_FULL'
  | 'SOCKSPEC_READ_TIMEOUT'
  | 'SOCKSPEC_TLS_HANDSHAKE_FAILED'
  | 'SOCKSPEC_TRANSPORT_UNAVAILABLE'
  | 'SOCKSPEC_SERVER_STATE'
  // request/reply and streams (packages/server, client, streams)
  | 'SOCKSPEC_REMOTE_ERROR'
  | 'SOCKSPEC_STREAM_PROTOCOL'
  | 'SOCKSPEC_STREAM_ABANDONED'
  // concurrency models (packages/concurrency)
  | 'SOCKSPEC_CONNECTION_LIMIT'
  | 'SOCKSPEC_WORKER_FAILED'
  // shared groups (packages/server's group adapters, @sockspec/groups-redis)
  | 'SOCKSPEC_GROUPS_UNAVAILABLE'
  // programs that check a server's answers (apps/load, apps/conformance)
  | 'SOCKSPEC_WRONG_REPLY'
  // a file store refusing a path or a transfer (apps/file-transfer); the error names the protocol's reason
  | 'SOCKSPEC_FILE_REFUSED';

export interface SockspecErrorOptions {
  cause?: unknown;
}

export class SockspecError extends Error {
  readonly code: SockspecErrorCode;

  constructor(code: SockspecErrorCode, message: string, options: SockspecErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `err` is a SockspecError, optionally with the given code. */
export function isSockspecError(err: unknown, code?: SockspecErrorCode): err is SockspecError {
  return err instanceof SockspecError && (code === undefined || err.code === code);
}
