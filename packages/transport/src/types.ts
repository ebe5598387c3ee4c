/**
 * One interface over every transport, so the server and client engines never
 * know which socket family they run on. Stream transports (tcp, tcp6, unix,
 * later tls and websocket) carry a byte stream; datagram transports (later
 * udp and unix-dgram) present one ByteChannel per peer address whose chunks
 * are whole datagrams.
 */
export type StreamTransportKind = 'tcp' | 'tcp6' | 'unix';

/** Where a listener is bound or a channel is connected, with a printable URL. */
export interface BoundAddress {
  readonly transport: StreamTransportKind;
  /** IP address for tcp/tcp6 (no brackets), socket path for unix. */
  readonly host: string;
  /** Port for tcp/tcp6; 0 for unix. */
  readonly port: number;
  /** `tcp://127.0.0.1:40123`, `tcp6://[::1]:40123` or `unix:///tmp/x.sock`. */
  readonly url: string;
}

export interface PeerAddress {
  readonly transport: StreamTransportKind;
  /** Remote IP, or the socket path for unix peers. */
  readonly host: string;
  readonly port: number;
  /** Printable form for log lines, e.g. `127.0.0.1:51234`. */
  readonly label: string;
}

/** Socket options shared by listeners (for accepted channels) and connectors. */
export interface SocketOptions {
  /** Disable Nagle's algorithm. Default true: protocols here are request/response. */
  readonly noDelay?: boolean;
  /** TCP keep-alive; a number sets the initial delay in ms. Default off. */
  readonly keepAlive?: boolean | number;
  /** write() returns false once queued plus socket-buffered bytes reach this. Default 64 KiB. */
  readonly writeHighWaterMark?: number;
  /**
   * Hard ceiling on bytes a channel holds for a peer that does not read. A
   * write that would pass it destroys the channel with SOCKSPEC_WRITE_QUEUE_FULL
   * instead of buffering without bound. Default 16 MiB.
   */
  readonly maxWriteQueueBytes?: number;
}

export interface ListenOptions extends SocketOptions {
  readonly transport: StreamTransportKind;
  /** tcp default `127.0.0.1`, tcp6 default `::1`. */
  readonly host?: string;
  /** 0 (the default) picks an ephemeral port. */
  readonly port?: number;
  /** Socket path for unix. */
  readonly path?: string;
  readonly backlog?: number;
  /** Unix socket file mode, e.g. 0o660. */
  readonly socketMode?: number;
  /**
   * tcp6 only: accept IPv6 peers only. When false (the default, as in Node) a
   * wildcard `::` listener also accepts IPv4 peers as `::ffff:a.b.c.d` where
   * the OS allows dual-stack sockets.
   */
  readonly ipv6Only?: boolean;
}

export interface ConnectOptions extends SocketOptions {
  readonly transport: StreamTransportKind;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  /** Reject with SOCKSPEC_CONNECT_TIMEOUT after this long. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
}

/**
 * A connected peer. Writes are batched: write() queues the chunk and the
 * channel flushes everything queued in one writev at the end of the current
 * tick, so a burst of small frames costs one syscall.
 */
export interface ByteChannel {
  readonly remote: PeerAddress;
  readonly local: BoundAddress;
  /** Queue bytes for sending. Returns false once the queued bytes pass the high-water mark: stop producing until 'drain'. */
  write(chunk: Uint8Array): boolean;
  /** Bytes queued but not yet handed to the kernel. */
  readonly pendingWriteBytes: number;
  /** Stop delivering data (backpressure); resume() restarts it. */
  pause(): void;
  resume(): void;
  /** Half-close after flushing queued writes. */
  end(): void;
  /** Close now, dropping queued writes. */
  destroy(error?: Error): void;
  readonly closed: boolean;
  onData(listener: (chunk: Uint8Array) => void): void;
  onDrain(listener: () => void): void;
  /** Peer finished sending (half-close); the channel may still write. */
  onEnd(listener: () => void): void;
  /** Channel fully closed; `error` is set when it closed because of one. */
  onClose(listener: (error?: Error) => void): void;
}

export interface Listener {
  readonly address: BoundAddress;
  onChannel(listener: (channel: ByteChannel) => void): void;
  /** Stop accepting further connections without closing the accepted ones. */
  pauseAccepting(): void;
  resumeAccepting(): void;
  /** Stop accepting and release the address (removes the unix socket file). Accepted channels stay open. */
  close(): Promise<void>;
}
