import type { FramingConfig } from '@sockspec/codec';
import type { ConcurrencyModel } from '@sockspec/concurrency';
import type { SockspecError } from '@sockspec/errors';
import type { BoundAddress, PeerAddress, SocketOptions, TransportKind } from '@sockspec/transport';
import type { GroupAdapter, GroupSummary } from './group-adapter.js';
import type { MessageRate } from './token-bucket.js';

/**
 * Everything protocol-specific, already compiled to code by the generator.
 * The engine owns sockets, frames, lifecycle and errors; the protocol owns
 * bytes <-> messages and what to do with a message.
 */
export interface ServerProtocol<Incoming> {
  readonly name: string;
  readonly framing: FramingConfig;
  /** Decodes one frame sent by a client; throws a SockspecError on bad input. */
  decode(frame: Uint8Array): Incoming;
  /** Runs declared behavior or the application's handler for one message. */
  dispatch(message: Incoming, connection: Connection): void | Promise<void>;
  /** Declared on-connect behavior, such as a greeting. */
  onConnect?(connection: Connection): void | Promise<void>;
  /** The protocol's error message for a peer that sent bad input, if it has one. */
  errorFrame?(error: SockspecError): Uint8Array | null;
  /**
   * The protocol's error message for a request whose handler threw, if it
   * has one. With it the engine logs the failure, answers with this frame
   * and keeps serving the connection; without it the connection is closed.
   */
  failureFrame?(error: unknown, message: Incoming): Uint8Array | null;
  /** Idle timeout declared in the spec; null = none. */
  readonly idleTimeoutMs: number | null;
  /**
   * True when declared behavior joins groups or broadcasts. In-process
   * groups reach one process only, so the server then refuses models that
   * spread its connections over threads or processes unless its group
   * adapter is shared.
   */
  readonly usesGroups?: boolean;
}

/** A client connection as the handlers see it. */
export interface Connection {
  /** Unique within one server, increasing from 1. */
  readonly id: number;
  readonly remote: PeerAddress;
  /** Sends an encoded frame (as made by the generated encoders). Writes are batched per tick. */
  send(frame: Uint8Array): void;
  /** Flushes queued frames, then closes. */
  close(): void;
  /** Bytes sent but not yet handed to the kernel. */
  readonly pendingWriteBytes: number;
  /**
   * Resolves once the connection can take more frames without its queue
   * growing past the transport's high-water mark (at once if it can now, or
   * when it closes). Handlers that stream many frames await it between
   * sends, so a peer that does not read cannot make the server buffer
   * without bound.
   */
  writable(): Promise<void>;
  readonly closed: boolean;
  /** Per-connection state for application handlers. */
  readonly state: Map<string, unknown>;
  /** The server's other connections and its groups (rooms), for broadcasts. */
  readonly peers: Peers;
  /** Runs `listener` once the connection has closed (at once if it already has). */
  onClose(listener: () => void): void;
  /** Logs one line about this connection (a handler that failed outside the engine's view, such as a stream's). */
  log(text: string): void;
}

/**
 * The connections of one server and the named groups they joined. The
 * synchronous methods answer for this server's own connections; the
 * promise-returning ones and broadcastToGroup/broadcastToAll answer for
 * every server sharing the group adapter (just this one by default).
 */
export interface Peers {
  /** Every open connection. */
  connections(): Iterable<Connection>;
  /**
   * Adds `connection` to `group` (created on first join); false when it was
   * already a member. Throws a GroupLimitError past maxGroupsPerConnection.
   */
  join(group: string, connection: Connection): boolean;
  /** Removes `connection` from `group` (deleted when empty); false when it was not a member. */
  leave(group: string, connection: Connection): boolean;
  /** The members of `group`; empty for a group nobody is in. */
  members(group: string): ReadonlySet<Connection>;
  /** Names of the groups with at least one member, sorted. */
  groupNames(): string[];
  /** The groups `connection` is in. */
  groupsOf(connection: Connection): ReadonlySet<string>;
  /**
   * Sends one encoded frame to every connection of `to` but `except`, and
   * returns how many it went to. A member whose unsent bytes already exceed
   * maxBroadcastBacklogBytes is too slow to keep up: it is closed, with one
   * log line, rather than buffered for without bound.
   */
  broadcast(frame: Uint8Array, to: Iterable<Connection>, except?: Connection): number;
  /**
   * Sends one encoded frame to every member of `group` but `except`, on
   * this server and on every server sharing its group adapter; returns how
   * many members of this server it went to. Slow members are closed as in
   * broadcast().
   */
  broadcastToGroup(group: string, frame: Uint8Array, except?: Connection): number;
  /** Like broadcastToGroup, to every connection of every server sharing the adapter. */
  broadcastToAll(frame: Uint8Array, except?: Connection): number;
  /** True when the groups are shared with other servers (a Redis adapter), false in-process. */
  readonly shared: boolean;
  /**
   * Claims `name` for `connection`, unique across every server sharing the
   * groups, until the connection closes (a chat nick); false when another
   * connection holds it, or this one already holds another name. Rejects
   * with a GroupsUnavailableError when the shared store cannot be reached.
   */
  claimName(connection: Connection, name: string): Promise<boolean>;
  /** The name `connection` claimed, if any. */
  nameOf(connection: Connection): string | undefined;
  /** Members of `group` on every server sharing the groups. */
  groupSize(group: string): Promise<number>;
  /** The names the members of `group` claimed, on every server, sorted. */
  memberNames(group: string): Promise<string[]>;
  /** Every group with at least one member on any server, sorted by name, with its size. */
  groupList(): Promise<GroupSummary[]>;
  /** Sends a frame to the connection holding `name`, on whichever server; false when nobody holds it. */
  sendToName(name: string, frame: Uint8Array): Promise<boolean>;
}

/** The seeds' BaseRequestHandler lifecycle: setup, then messages, then finish. */
export interface ServerHooks {
  /** Before the first message of a connection is handled (and before any greeting). */
  setup?(connection: Connection): void | Promise<void>;
  /** After the connection closed; `error` is set when it closed because of one. */
  finish?(connection: Connection, error?: Error): void | Promise<void>;
}

export interface ServerOptions extends SocketOptions {
  /**
   * Default `tcp`. Any kind in TRANSPORT_KINDS; `tls` and `websocket` read
   * their settings from the `tls` and `websocket` options (SocketOptions),
   * which pass through to the transport untouched.
   */
  readonly transport?: TransportKind;
  /** Default 127.0.0.1 for tcp, ::1 for tcp6. */
  readonly host?: string;
  /** Default 0: an ephemeral port. */
  readonly port?: number;
  /** Socket path, for transport `unix`. */
  readonly path?: string;
  readonly backlog?: number;
  /** tls and websocket: how long a connection may take to finish its handshake or upgrade. Default 10,000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** Default: the event loop (`async`). */
  readonly concurrency?: ConcurrencyModel;
  readonly hooks?: ServerHooks;
  /** Overrides the spec's idle timeout; null disables it. */
  readonly idleTimeoutMs?: number | null;
  /**
   * Longest a frame may take to arrive once its first bytes are in, counted
   * from the last frame completed: a peer that trickles a frame a byte at a
   * time (slowloris) would otherwise hold its buffer and its slot for ever.
   * Default 30,000 ms; null disables it.
   */
  readonly frameTimeoutMs?: number | null;
  /**
   * Connections one peer IP may have open at once; one more is closed at
   * accept, with at most one log line per address per 10 s. Not applied to
   * unix-socket peers. Default: no limit.
   */
  readonly maxConnectionsPerAddress?: number;
  /**
   * Messages one connection may send, as a token bucket. A peer sending
   * faster is not cut off: its messages wait, reading pauses, and TCP slows
   * it down (one log line per connection the first time). Default: no limit.
   */
  readonly messageRate?: MessageRate;
  /**
   * Bytes of unfinished frames the server may hold across all its
   * connections; the connection whose bytes pass it is closed with one log
   * line. Default 256 MiB.
   */
  readonly maxBufferedBytes?: number;
  /**
   * Where groups live: inProcessGroups() (default) or a shared adapter such
   * as redisGroups() from @sockspec/groups-redis, with which several server
   * processes share rooms and the `processes` model can run a protocol
   * that declares groups. The server starts it before accepting and closes
   * it after shutdown.
   */
  readonly groups?: GroupAdapter;
  /** Groups one connection may be in at once (declared joins past it are refused). Default 256. */
  readonly maxGroupsPerConnection?: number;
  /** Unsent bytes past which a connection counts as too slow for broadcasts and is closed. Default 8 MiB. */
  readonly maxBroadcastBacklogBytes?: number;
  /** Receives one line per notable event (bad input, failed handler). Default: standard error. */
  readonly log?: (line: string) => void;
}

export interface ShutdownOptions {
  /** How long in-flight connections may take to finish before they are closed. Default 5000 ms. */
  readonly drainMs?: number;
}

export interface ProtocolServer {
  /** Binds and starts accepting; resolves with the bound address (the real port when 0 was asked). */
  listen(): Promise<BoundAddress>;
  /** The bound address once listening, else null. */
  readonly address: BoundAddress | null;
  /** Listens if needed and resolves once the server has shut down. */
  serveForever(): Promise<void>;
  /** Serves exactly one connection to its end, then stops accepting (the seeds' handle_request). */
  handleOne(): Promise<void>;
  /** Stops accepting, lets open connections finish within drainMs, then closes them. */
  shutdown(options?: ShutdownOptions): Promise<void>;
  readonly connectionCount: number;
}
