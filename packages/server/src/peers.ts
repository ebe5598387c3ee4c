import { GroupLimitError } from './errors.js';
import type { GroupAdapter, GroupContext, GroupSummary, LocalMember } from './group-adapter.js';
import type { Connection, Peers } from './types.js';

const DEFAULT_MAX_GROUPS_PER_CONNECTION = 256;
const DEFAULT_MAX_BROADCAST_BACKLOG_BYTES = 8 * 1024 * 1024;
const EMPTY: ReadonlySet<never> = new Set();

export interface PeerDirectoryOptions {
  readonly protocol: string;
  readonly maxGroupsPerConnection?: number;
  readonly maxBroadcastBacklogBytes?: number;
  readonly log: (line: string) => void;
  readonly adapter: GroupAdapter;
}

/** What the directory knows of one open connection. */
interface Member extends LocalMember {
  readonly connection: Connection;
  name: string | undefined;
  readonly groups: Set<string>;
}

/**
 * The Peers of one server: its open connections and their groups, which it
 * holds itself (broadcasts to them cost no I/O), mirrored to the group
 * adapter so servers that share it see one set of groups.
 */
export class PeerDirectory implements Peers {
  readonly #members = new Map<Connection, Member>();
  readonly #byId = new Map<number, Member>();
  readonly #groups = new Map<string, Set<Member>>();
  readonly #names = new Map<string, Member>();
  readonly #options: PeerDirectoryOptions;
  readonly #maxGroups: number;
  readonly #maxBacklog: number;
  readonly adapter: GroupAdapter;

  constructor(options: PeerDirectoryOptions) {
    this.#options = options;
    this.adapter = options.adapter;
    this.#maxGroups = options.maxGroupsPerConnection ?? DEFAULT_MAX_GROUPS_PER_CONNECTION;
    this.#maxBacklog = options.maxBroadcastBacklogBytes ?? DEFAULT_MAX_BROADCAST_BACKLOG_BYTES;
  }

  get shared(): boolean {
    return this.adapter.shared;
  }

  /** Starts the adapter, delivering what other servers publish to this server's members. */
  start(): Promise<void> {
    return this.adapter.start(this.#context());
  }

  add(connection: Connection): void {
    const member: Member = { id: connection.id, connection, name: undefined, groups: new Set() };
    this.#members.set(connection, member);
    this.#byId.set(connection.id, member);
  }

  /** The connection closed: it leaves every group and its name is free. */
  remove(connection: Connection): void {
    const member = this.#members.get(connection);
    if (member === undefined) return;
    this.#members.delete(connection);
    this.#byId.delete(member.id);
    for (const group of member.groups) this.#dropMember(group, member);
    member.groups.clear();
    if (member.name !== undefined && this.#names.get(member.name) === member) this.#names.delete(member.name);
    this.adapter.gone(member);
  }

  connections(): Iterable<Connection> {
    return this.#members.keys();
  }

  join(group: string, connection: Connection): boolean {
    const member = this.#members.get(connection);
    if (member === undefined || member.groups.has(group)) return false;
    if (member.groups.size >= this.#maxGroups) {
      throw new GroupLimitError(
        `${this.#options.protocol}: ${connection.remote.label} is already in ${member.groups.size} groups, the most one connection may join (maxGroupsPerConnection); leave one first`,
      );
    }
    member.groups.add(group);
    let members = this.#groups.get(group);
    if (members === undefined) {
      members = new Set();
      this.#groups.set(group, members);
    }
    members.add(member);
    this.adapter.joined(group, member);
    return true;
  }

  leave(group: string, connection: Connection): boolean {
    const member = this.#members.get(connection);
    if (member === undefined || !member.groups.delete(group)) return false;
    this.#dropMember(group, member);
    return true;
  }

  members(group: string): ReadonlySet<Connection> {
    const members = this.#groups.get(group);
    if (members === undefined) return EMPTY;
    return new Set([...members].map((member) => member.connection));
  }

  groupNames(): string[] {
    return [...this.#groups.keys()].sort();
  }

  groupsOf(connection: Connection): ReadonlySet<string> {
    return this.#members.get(connection)?.groups ?? EMPTY;
  }

  async claimName(connection: Connection, name: string): Promise<boolean> {
    const member = this.#members.get(connection);
    if (member === undefined) return false;
    if (member.name === name) return true;
    if (member.name !== undefined) return false;
    const holder = this.#names.get(name);
    if (holder !== undefined && holder !== member) return false;
    // Held here while the adapter asks the others, so two connections of
    // this server claiming one name at once cannot both get it.
    this.#names.set(name, member);
    let granted = false;
    try {
      granted = await this.adapter.claimName({ id: member.id, name: undefined }, name);
    } finally {
      if (!granted || !this.#members.has(connection)) {
        if (this.#names.get(name) === member) this.#names.delete(name);
      }
    }
    if (!granted || !this.#members.has(connection)) return false;
    member.name = name;
    return true;
  }

  nameOf(connection: Connection): string | undefined {
    return this.#members.get(connection)?.name;
  }

  groupSize(group: string): Promise<number> {
    return this.adapter.groupSize(group);
  }

  memberNames(group: string): Promise<string[]> {
    return this.adapter.memberNames(group);
  }

  groupList(): Promise<GroupSummary[]> {
    return this.adapter.groupList();
  }

  sendToName(name: string, frame: Uint8Array): Promise<boolean> {
    return this.adapter.sendToName(name, frame);
  }

  broadcast(frame: Uint8Array, to: Iterable<Connection>, except?: Connection): number {
    let sent = 0;
    // A copy: closing a slow member below changes the group being iterated.
    for (const connection of [...to]) {
      if (connection === except || connection.closed) continue;
      if (this.#sendOrDrop(connection, frame)) sent += 1;
    }
    return sent;
  }

  broadcastToGroup(group: string, frame: Uint8Array, except?: Connection): number {
    return this.#broadcastEverywhere(group, frame, except);
  }

  broadcastToAll(frame: Uint8Array, except?: Connection): number {
    return this.#broadcastEverywhere(null, frame, except);
  }

  /** To this server's members at once, and through the adapter to the other servers'. */
  #broadcastEverywhere(group: string | null, frame: Uint8Array, except: Connection | undefined): number {
    const left = except === undefined ? undefined : this.#members.get(except);
    const sent = this.#deliver(group, frame, left);
    this.adapter.publish(group, frame, left);
    return sent;
  }

  #deliver(group: string | null, frame: Uint8Array, except: Member | undefined): number {
    const members = group === null ? this.#members.values() : this.#groups.get(group);
    if (members === undefined) return 0;
    let sent = 0;
    for (const member of [...members]) {
      if (member === except || member.connection.closed) continue;
      if (this.#sendOrDrop(member.connection, frame)) sent += 1;
    }
    return sent;
  }

  #sendOrDrop(connection: Connection, frame: Uint8Array): boolean {
    if (connection.pendingWriteBytes > this.#maxBacklog) {
      this.#options.log(
        `${this.#options.protocol}: ${connection.remote.label}: ${connection.pendingWriteBytes} bytes of broadcasts unread (maxBroadcastBacklogBytes ${this.#maxBacklog}); closing connection`,
      );
      connection.close();
      return false;
    }
    connection.send(frame);
    return true;
  }

  #dropMember(group: string, member: Member): void {
    const members = this.#groups.get(group);
    if (members === undefined) return;
    members.delete(member);
    if (members.size === 0) this.#groups.delete(group);
    this.adapter.left(group, member);
  }

  #context(): GroupContext {
    return {
      protocol: this.#options.protocol,
      log: this.#options.log,
      deliver: (group, frame, exceptId) => {
        this.#deliver(group, frame, exceptId === undefined ? undefined : this.#byId.get(exceptId));
      },
      deliverTo: (id, frame) => {
        const member = this.#byId.get(id);
        if (member === undefined || member.connection.closed) return false;
        return this.#sendOrDrop(member.connection, frame);
      },
      snapshot: () => [...this.#members.values()].map((member) => ({ member, groups: [...member.groups] })),
      localGroups: () => this.#groups,
      localName: (name) => this.#names.get(name),
      groupsOf: (id) => this.#byId.get(id)?.groups ?? EMPTY,
    };
  }
}
