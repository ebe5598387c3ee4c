/**
 * One interface over every transport, so the server and client engines never
 * know which socket family they run on. Stream transports (tcp, tcp6, unix,
 * tls, websocket) carry a byte stream; datagram transports (udp, udp6,
 * unix-dgram) present one ByteChannel per peer address whose chunks are
 * whole datagrams.
 */
export type TransportKind = 'tcp' | 'tcp6' | 'unix' | 'udp' | 'udp6' | 'unix-dgram' | 'tls' | 'websocket';

/**
 * The plain net.Socket kinds. Kept with its original members so callers that
 * only ever handled these keep type-checking; TransportKind covers them all.
 */
export type StreamTransportKind = 'tcp' | 'tcp6' | 'unix';

/** One datagram per chunk, one datagram per write(): udp, udp6, unix-dgram. */
export type DatagramTransportKind = 'udp' | 'udp6' | 'unix-dgram';

/** Where a listener is bound or a channel is connected, with a printable URL. */
export interface BoundAddress {
  readonly transport: TransportKind;
  /** IP address for tcp/tcp6/udp/udp6/tls/websocket (no brackets), socket path for unix and unix-dgram. */
  readonly host: string;
  /** Port for IP transports; 0 for unix and unix-dgram. */
  readonly port: number;
  /** `tcp://127.0.0.1:40123`, `tcp6://[::1]:40123`, `unix:///tmp/x.sock`, `ws://127.0.0.1:80/chat`, … */
  readonly url: string;
}

export interface PeerAddress {
  readonly transport: TransportKind;
  /** Remote IP, or the socket path for unix and unix-dgram peers. */
  readonly host: string;
  readonly port: number;
  /** Printable form for log lines, e.g. `127.0.0.1:51234`. */
  readonly label: string;
}

/**
 * Certificates and keys for `tls`: each either a file path (read once, when
 * listening or connecting) or the PEM contents. A listener needs `cert` and
 * `key`; a client passes `ca` to trust a private CA, and `cert`/`key` when the
 * server sets `requestCert`.
 */
export interface TlsOptions {
  readonly cert?: string | Uint8Array;
  readonly key?: string | Uint8Array;
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Listener: ask every client for a certificate. Default false. */
  readonly requestCert?: boolean;
  /**
   * Refuse a peer whose certificate does not verify against `ca` (or the
   * system roots). Default true on both sides; false is for tests only.
   */
  readonly rejectUnauthorized?: boolean;
  /** Client: the name to verify the certificate against (and send as SNI). Default: the host. */
  readonly servername?: string;
}

export interface WebSocketOptions {
  /** HTTP path of the endpoint, default `/`. A listener answers 404 on every other path. */
  readonly path?: string;
  /**
   * Largest message accepted from the peer. A bigger one closes the
   * connection (1009) before it is buffered. Default 16 MiB.
   */
  readonly maxMessageBytes?: number;
  /**
   * Listeners: the browser origins allowed to connect (`https://chat.example`,
   * `http://127.0.0.1:8080`; compared case-insensitively, without a trailing
   * slash). An upgrade carrying any other Origin header is refused with 403
   * and one log line, so a page on another site cannot open a connection in
   * its visitor's name. Requests without an Origin header (not from a
   * browser) are let in. Default: every origin.
   */
  readonly allowOrigins?: readonly string[];
}

/** Socket options shared by listeners (for accepted channels) and connectors. */
export interface SocketOptions {
  /** Disable Nagle's algorithm (tcp, tcp6, tls, websocket). Default true: protocols here are request/response. */
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
  /**
   * How destroy() closes a stream channel: `graceful` (the default) sends FIN
   * after nothing more is written; `reset` (tcp and tcp6 only) aborts with
   * RST (SO_LINGER 0), so the peer sees ECONNRESET. `end()` is always graceful.
   */
  readonly closeMode?: 'graceful' | 'reset';
  /**
   * Close a channel that received nothing for this long (socket.setTimeout
   * on stream transports, a timer on datagram ones); it closes with
   * SOCKSPEC_READ_TIMEOUT. Default: no read timeout. (Named apart from the
   * server engine's protocol-level idleTimeoutMs.)
   */
  readonly readTimeoutMs?: number;
  /**
   * udp/udp6 only: SO_SNDBUF / SO_RCVBUF in bytes. Node has no API to set
   * these on stream sockets, so other transports refuse the options.
   */
  readonly sendBufferSize?: number;
  readonly receiveBufferSize?: number;
  /** Datagram transports: largest datagram sent or accepted. Default 65 507 (udp), 65 536 (unix-dgram). */
  readonly maxDatagramBytes?: number;
  /** Datagram listeners: a peer silent (both ways) for this long loses its channel. Default 60 000 ms. */
  readonly datagramPeerIdleMs?: number;
  /** Datagram listeners: at most this many peer channels at once; datagrams from more peers are dropped. Default 1024. */
  readonly maxDatagramPeers?: number;
  /**
   * Datagram listeners: what one channel stands for. `peer` (the default):
   * every datagram from one address goes to that address's channel, which
   * closes after datagramPeerIdleMs of silence. `datagram`: each datagram is
   * a channel of its own whose input ends after that datagram, so a server
   * serves it as one whole request and then releases it — Python's
   * socketserver.UDPServer. The server engine picks `datagram` under the
   * `serial` model, where a peer channel would hold the one slot until idle.
   */
  readonly datagramChannels?: 'peer' | 'datagram';
  /** Where transport-level events (dropped datagrams, refused websocket frames) are reported, one line each. Default: standard error. */
  readonly transportLog?: (line: string) => void;
  /**
   * Listeners only. udp/udp6: SO_REUSEADDR, so several sockets may bind the same port. tcp,
   * tcp6, tls, websocket: libuv always sets SO_REUSEADDR on listeners (a port
   * in TIME_WAIT can be rebound); `true` additionally asks for SO_REUSEPORT
   * where Node offers it (22.12+), `false` is refused because it cannot be
   * honoured.
   */
  readonly reuseAddress?: boolean;
  readonly tls?: TlsOptions;
  readonly websocket?: WebSocketOptions;
}

export interface ListenOptions extends SocketOptions {
  readonly transport: TransportKind;
  /** IPv4 transports default `127.0.0.1`, IPv6 ones `::1`. */
  readonly host?: string;
  /** 0 (the default) picks an ephemeral port. */
  readonly port?: number;
  /** Socket path for unix and unix-dgram. */
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
  /**
   * tls and websocket only: a connection that has not finished its TLS
   * handshake or its HTTP upgrade this long after it was accepted is closed
   * and its descriptor freed, whether it is silent or dripping bytes.
   * Default 10 000 ms (Node's own TLS default is 120 s, a long time for a
   * scan to hold descriptors).
   */
  readonly handshakeTimeoutMs?: number;
}

export interface ConnectOptions extends SocketOptions {
  readonly transport: TransportKind;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  /**
   * unix-dgram only: the path this client binds so the server can reply.
   * Default: a fresh file in the OS temp directory, removed on close.
   */
  readonly localPath?: string;
  /** Reject with SOCKSPEC_CONNECT_TIMEOUT after this long. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
}

/**
 * A connected peer. On stream transports writes are batched: write() queues
 * the chunk and the channel flushes everything queued once at the end of the
 * current tick, so a burst of small frames costs one syscall. On datagram
 * transports every write() is one datagram and nothing is batched.
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
