import { SockspecError, type SockspecErrorOptions } from '@sockspec/errors';

/** connect() did not complete within connectTimeoutMs. */
export class ConnectTimeoutError extends SockspecError {
  readonly url: string;
  readonly timeoutMs: number;

  constructor(url: string, timeoutMs: number, options: SockspecErrorOptions = {}) {
    super('SOCKSPEC_CONNECT_TIMEOUT', `could not connect to ${url} within ${timeoutMs} ms`, options);
    this.url = url;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A connection could not be made or was lost: refused, reset, broken pipe.
 * `syscallCode` carries the OS error code (ECONNREFUSED, ECONNRESET, …) when
 * there is one, so callers can decide whether a retry makes sense.
 */
export class ConnectionClosedError extends SockspecError {
  readonly url: string;
  readonly syscallCode: string | undefined;

  constructor(url: string, message: string, options: SockspecErrorOptions & { syscallCode?: string } = {}) {
    super('SOCKSPEC_CONNECTION_CLOSED', message, options.cause === undefined ? {} : { cause: options.cause });
    this.url = url;
    this.syscallCode = options.syscallCode;
  }
}

/** The listen address is taken: another listener, or (unix) a file that is not a socket. */
export class AddressInUseError extends SockspecError {
  readonly url: string;

  constructor(url: string, message: string, options: SockspecErrorOptions = {}) {
    super('SOCKSPEC_ADDRESS_IN_USE', message, options);
    this.url = url;
  }
}

/** An address, URL or socket option that cannot be used as given. */
export class InvalidAddressError extends SockspecError {
  constructor(message: string, options: SockspecErrorOptions = {}) {
    super('SOCKSPEC_INVALID_ADDRESS', message, options);
  }
}

/** A transport kind this package does not implement. */
export class UnsupportedTransportError extends SockspecError {
  readonly transport: string;

  constructor(transport: string) {
    super(
      'SOCKSPEC_UNSUPPORTED_TRANSPORT',
      `unsupported transport ${JSON.stringify(transport)}: expected one of tcp, tcp6, unix, udp, udp6, unix-dgram, tls, websocket`,
    );
    this.transport = transport;
  }
}

/** A producer kept writing to a peer that does not read, past maxWriteQueueBytes. */
export class WriteQueueFullError extends SockspecError {
  readonly limit: number;
  readonly attempted: number;

  constructor(peer: string, limit: number, attempted: number) {
    super(
      'SOCKSPEC_WRITE_QUEUE_FULL',
      `write queue for ${peer} would hold ${attempted} bytes, over the limit of ${limit} bytes; ` +
        'the peer is not reading and the producer ignored write() returning false',
    );
    this.limit = limit;
    this.attempted = attempted;
  }
}

/** A channel received nothing within readTimeoutMs. */
export class ReadTimeoutError extends SockspecError {
  readonly timeoutMs: number;

  constructor(peer: string, url: string, timeoutMs: number) {
    super('SOCKSPEC_READ_TIMEOUT', `nothing received from ${peer} on ${url} within ${timeoutMs} ms (readTimeoutMs)`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The TLS handshake failed: an untrusted or mismatching certificate, a
 * missing client certificate, no common protocol version. `tlsCode` carries
 * OpenSSL's / Node's code (UNABLE_TO_VERIFY_LEAF_SIGNATURE,
 * ERR_TLS_CERT_ALTNAME_INVALID, …).
 */
export class TlsHandshakeError extends SockspecError {
  readonly url: string;
  readonly tlsCode: string | undefined;

  constructor(url: string, message: string, options: SockspecErrorOptions & { tlsCode?: string } = {}) {
    super('SOCKSPEC_TLS_HANDSHAKE_FAILED', message, options.cause === undefined ? {} : { cause: options.cause });
    this.url = url;
    this.tlsCode = options.tlsCode;
  }
}

/** A transport whose implementation cannot be loaded here (the unix-dgram native addon). */
export class TransportUnavailableError extends SockspecError {
  readonly transport: string;

  constructor(transport: string, message: string, options: SockspecErrorOptions = {}) {
    super('SOCKSPEC_TRANSPORT_UNAVAILABLE', message, options);
    this.transport = transport;
  }
}

/** write() on a datagram channel with more bytes than one datagram may carry. */
export class DatagramTooLargeError extends SockspecError {
  readonly limit: number;
  readonly size: number;

  constructor(peer: string, limit: number, size: number) {
    super(
      'SOCKSPEC_FRAME_TOO_LARGE',
      `datagram of ${size} bytes to ${peer} is over maxDatagramBytes ${limit}: one write() is one datagram, ` +
        'so frames on datagram transports must fit in one',
    );
    this.limit = limit;
    this.size = size;
  }
}

/** The peer broke the websocket transport's rules: a text message, or one over maxMessageBytes. */
export class WebSocketProtocolError extends SockspecError {
  constructor(message: string) {
    super('SOCKSPEC_INVALID_FRAMING', message);
  }
}

/** The `code` of a Node system error (ECONNREFUSED, EADDRINUSE, …), if it is one. */
export function systemErrorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
