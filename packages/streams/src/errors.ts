import { SockspecError } from '@sockspec/errors';

/** The peer broke the stream rules: a chunk for a stream that is not open, a second end, a chunk after the end. */
export class StreamProtocolError extends SockspecError {
  constructor(message: string) {
    super('SOCKSPEC_STREAM_PROTOCOL', message);
  }
}

/** The stream stopped before its end: the connection closed or the sender gave up. */
export class StreamAbandonedError extends SockspecError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SOCKSPEC_STREAM_ABANDONED', message, options);
  }
}
