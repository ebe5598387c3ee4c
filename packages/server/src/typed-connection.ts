import type { GroupSummary } from './group-adapter.js';
import type { Connection } from './types.js';

/**
 * A client connection as handlers see it: it sends the protocol's typed
 * messages, remembers what declared behavior stored for it, and joins and
 * leaves groups. Generated servers name it for their protocol
 * (`ChatConnection = TypedConnection<ChatOutgoing, ChatSession>`), so this
 * code exists once rather than once per protocol, as TypedClient does for
 * clients.
 */
export interface TypedConnection<Outgoing, Session = Record<never, never>> {
  /** Unique within one server, increasing from 1. */
  readonly id: number;
  readonly remote: Connection['remote'];
  /** Per-connection state for handlers. */
  readonly state: Map<string, unknown>;
  readonly closed: boolean;
  /** The engine connection, for frames that are already encoded. */
  readonly connection: Connection;
  /** What declared behavior remembered for this connection (`session:` in the spec); unset until stored. */
  readonly session: Readonly<Session>;
  /** The groups this connection is in. */
  readonly groups: ReadonlySet<string>;
  /** Encodes and queues a message. */
  send(message: Outgoing): void;
  /** Every open connection of this server, this one included. */
  peers(): TypedConnection<Outgoing, Session>[];
  /** The connections in a group. */
  members(group: string): TypedConnection<Outgoing, Session>[];
  /** Groups with at least one member, sorted. */
  groupNames(): string[];
  /** Joins a group; false when already in it. */
  join(group: string): boolean;
  /** Leaves a group; false when not in it. */
  leave(group: string): boolean;
  /** Encodes a message once and sends it to each of `to` but `except`; returns how many it went to. */
  broadcast(
    message: Outgoing,
    to: Iterable<TypedConnection<Outgoing, Session>>,
    except?: TypedConnection<Outgoing, Session>,
  ): number;
  /** Encodes a message once and sends it to every member of `group` on every server sharing the groups, but `except`. */
  broadcastToGroup(group: string, message: Outgoing, except?: TypedConnection<Outgoing, Session>): number;
  /**
   * Claims a name unique across every server sharing the groups, held until
   * this connection closes; false when someone else holds it.
   */
  claimName(name: string): Promise<boolean>;
  /** Members of `group` on every server sharing the groups. */
  groupSize(group: string): Promise<number>;
  /** The names claimed by members of `group` on every server, sorted. */
  memberNames(group: string): Promise<string[]>;
  /** Every group with a member on any server, sorted by name, with its size. */
  groupList(): Promise<GroupSummary[]>;
  /** Sends a message to whoever holds `name`, on whichever server; false when nobody does. */
  sendToName(name: string, message: Outgoing): Promise<boolean>;
  /** Flushes queued messages, then closes. */
  close(): void;
}

/** The typed views of one server's connections: one per engine connection, made on first use. */
export interface TypedConnections<Outgoing, Session = Record<never, never>> {
  /** The typed view of an engine connection (as lifecycle hooks receive it); the same object every time. */
  of(connection: Connection): TypedConnection<Outgoing, Session>;
  /** The session the declared steps write; handlers read it through `of(connection).session`. */
  sessionOf(connection: Connection): { -readonly [Key in keyof Session]: Session[Key] };
}

class TypedServerConnection<Outgoing, Session> implements TypedConnection<Outgoing, Session> {
  readonly connection: Connection;
  readonly session = {} as { -readonly [Key in keyof Session]: Session[Key] };
  readonly #encode: (message: Outgoing) => Uint8Array;
  readonly #views: TypedConnections<Outgoing, Session>;

  constructor(
    connection: Connection,
    encode: (message: Outgoing) => Uint8Array,
    views: TypedConnections<Outgoing, Session>,
  ) {
    this.connection = connection;
    this.#encode = encode;
    this.#views = views;
  }

  get id(): number {
    return this.connection.id;
  }

  get remote(): Connection['remote'] {
    return this.connection.remote;
  }

  get state(): Map<string, unknown> {
    return this.connection.state;
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  get groups(): ReadonlySet<string> {
    return this.connection.peers.groupsOf(this.connection);
  }

  send(message: Outgoing): void {
    this.connection.send(this.#encode(message));
  }

  peers(): TypedConnection<Outgoing, Session>[] {
    return [...this.connection.peers.connections()].map((peer) => this.#views.of(peer));
  }

  members(group: string): TypedConnection<Outgoing, Session>[] {
    return [...this.connection.peers.members(group)].map((member) => this.#views.of(member));
  }

  groupNames(): string[] {
    return this.connection.peers.groupNames();
  }

  join(group: string): boolean {
    return this.connection.peers.join(group, this.connection);
  }

  leave(group: string): boolean {
    return this.connection.peers.leave(group, this.connection);
  }

  broadcast(
    message: Outgoing,
    to: Iterable<TypedConnection<Outgoing, Session>>,
    except?: TypedConnection<Outgoing, Session>,
  ): number {
    const frame = this.#encode(message);
    const connections = [...to].map((member) => member.connection);
    return this.connection.peers.broadcast(frame, connections, except?.connection);
  }

  broadcastToGroup(group: string, message: Outgoing, except?: TypedConnection<Outgoing, Session>): number {
    return this.connection.peers.broadcastToGroup(group, this.#encode(message), except?.connection);
  }

  claimName(name: string): Promise<boolean> {
    return this.connection.peers.claimName(this.connection, name);
  }

  groupSize(group: string): Promise<number> {
    return this.connection.peers.groupSize(group);
  }

  memberNames(group: string): Promise<string[]> {
    return this.connection.peers.memberNames(group);
  }

  groupList(): Promise<GroupSummary[]> {
    return this.connection.peers.groupList();
  }

  sendToName(name: string, message: Outgoing): Promise<boolean> {
    return this.connection.peers.sendToName(name, this.#encode(message));
  }

  close(): void {
    this.connection.close();
  }
}

/**
 * The typed views of a server's connections, over the protocol's encoder.
 * A WeakMap holds one view per engine connection, so a view (and its
 * session) lives exactly as long as its connection.
 */
export function typedConnections<Outgoing, Session = Record<never, never>>(
  encode: (message: Outgoing) => Uint8Array,
): TypedConnections<Outgoing, Session> {
  const views = new WeakMap<Connection, TypedServerConnection<Outgoing, Session>>();
  const registry: TypedConnections<Outgoing, Session> = {
    of: (connection) => view(connection),
    sessionOf: (connection) => view(connection).session,
  };
  const view = (connection: Connection): TypedServerConnection<Outgoing, Session> => {
    let typed = views.get(connection);
    if (typed === undefined) {
      typed = new TypedServerConnection(connection, encode, registry);
      views.set(connection, typed);
    }
    return typed;
  };
  return registry;
}
