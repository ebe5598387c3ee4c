import type { FramingConfig } from '@sockspec/codec';
import type { ChunkSource, ReceivedStream } from '@sockspec/streams';
import type { PeerAddress, SocketOptions, TransportKind } from '@sockspec/transport';

/** What a generated client hands the engine. */
import type { ReplyStream } from './reply-stream.js';

export interface ClientProtocol<Incoming> {
  readonly name: string;
  readonly framing: FramingConfig;
  /** Decodes one frame sent by the server; throws a SockspecError on bad input. */
  decode(frame: Uint8Array): Incoming;
  /**
   * For the protocol's errors message: a person-readable text (such as
   * `nickTaken: nick 'bob' is in use`). A request answered with it rejects
   * with a RemoteError. Null for every other message.
   */
  describeError?(message: Incoming): string | null;
  /** The correlation id a message carries, for protocols that have one. */
  correlationOf?(message: Incoming): number | undefined;
  /** True for a message that opens a stream of chunks toward the client. */
  opensStream?(message: Incoming): boolean;
  /** For a chunk or end of a stream: which one it is; null for other messages. */
  streamPart?(message: Incoming): 'chunk' | 'end' | null;
}

/** A reply that opened a stream: the reply's fields plus the stream of chunks that follows it. */
export type WithStream<Reply, Chunk, End> = Reply & { readonly stream: ReceivedStream<Chunk, End> };

export interface ClientOptions extends SocketOptions {
  /**
   * Default `tcp`. Any kind in TRANSPORT_KINDS; `tls` and `websocket` read
   * their settings from the `tls` and `websocket` options (SocketOptions),
   * which pass through to the transport untouched.
   */
  readonly transport?: TransportKind;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  /** Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Default for request(); 10 000 ms. */
  readonly requestTimeoutMs?: number;
  /** How long close() waits for the server to close its side before destroying the socket. Default 5 000 ms. */
  readonly closeTimeoutMs?: number;
}

/**
 * A request's frame, or a function that encodes it: then an encode error
 * (a field out of range, a value too long) rejects the returned promise
 * instead of throwing where the request is made.
 */
export type FrameSource = Uint8Array | (() => Uint8Array);

export interface RequestOptions {
  readonly timeoutMs?: number;
}

/**
 * A connected client. Incoming messages first answer pending requests
 * (oldest first, for protocols without correlation ids); the rest are
 * pushes, delivered to listeners and to async iterators.
 */
export interface ProtocolClient<Incoming> {
  readonly remote: PeerAddress;
  /** Sends an encoded frame without waiting for anything. */
  send(frame: Uint8Array): void;
  /**
   * Sends a frame and resolves with the first incoming message `isReply`
   * accepts. Rejects with SOCKSPEC_REQUEST_TIMEOUT,
   * SOCKSPEC_CONNECTION_CLOSED or, when the reply is the protocol's errors
   * message, SOCKSPEC_REMOTE_ERROR. A reply that opens a stream resolves
   * with a `stream` property added (see WithStream).
   */
  request<Reply extends Incoming>(
    frame: FrameSource,
    isReply: (message: Incoming) => message is Reply,
    options?: RequestOptions,
    /** The correlation id the frame carries, if any: its reply is then found by id, in constant time. */
    correlationId?: number,
  ): Promise<Reply>;
  /**
   * Sends `frame`, then every frame of `chunks` (waiting whenever the
   * transport's queue is full), then `end()`'s frame, and resolves with the
   * reply. The timeout counts from the end frame. A reply that arrives
   * before the chunks are all sent (a refusal) stops the sending.
   */
  requestWithStream<Reply extends Incoming>(
    frame: FrameSource,
    chunks: ChunkSource<Uint8Array>,
    end: () => Uint8Array,
    isReply: (message: Incoming) => message is Reply,
    options?: RequestOptions,
  ): Promise<Reply>;
  /**
   * Sends a frame answered by many replies (memcached STAT): each incoming
   * message `isReply` accepts joins the stream, until one `isEnd` accepts
   * (yielded too when `endIncluded`). The timeout counts from the request and
   * then from each reply; the protocol's errors message fails the stream.
   */
  requestMany<Reply extends Incoming>(
    frame: FrameSource,
    isReply: (message: Incoming) => message is Reply,
    isEnd: (message: Reply) => boolean,
    endIncluded: boolean,
    options?: RequestOptions,
    correlationId?: number,
  ): ReplyStream<Reply>;
  /**
   * Sends a quiet request (memcached GETQ): it resolves with its reply if the
   * server sends one, or with undefined once the reply to a `barrier` request
   * sent after it arrives. Quiet requests made in one turn of the event loop
   * share one barrier.
   */
  requestQuiet<Reply extends Incoming>(
    frame: FrameSource,
    isReply: (message: Incoming) => message is Reply,
    barrier: () => Promise<unknown>,
    options?: RequestOptions,
    correlationId?: number,
  ): Promise<Reply | undefined>;
  /** Listens for pushes; returns a function that removes the listener. */
  onMessage(listener: (message: Incoming) => void): () => void;
  /** Pushes as an async iterable; ends when the connection closes. */
  [Symbol.asyncIterator](): AsyncIterator<Incoming>;
  /** Half-closes, waits for the server to close, resolves. Pending requests reject. */
  close(): Promise<void>;
  /** Resolves when the connection has closed, with the error that closed it if any. */
  readonly closed: Promise<Error | undefined>;
}
