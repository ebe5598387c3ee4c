import { GroupLimitError } from './errors.js';
import type { Connection, Peers } from './types.js';

const DEFAULT_MAX_GROUPS_PER_CONNECTION = 256;
const DEFAULT_MAX_BROADCAST_BACKLOG_BYTES = 8 * 1024 * 1024;
const EMPTY: ReadonlySet<never> = new Set();

export interface PeerDirectoryOptions {
  readonly protocol: string;
  readonly maxGroupsPerConnection?: number;
  readonly maxBroadcastBacklogBytes?: number;
  readonly log: (line: string) => void;
}

/** The in-process Peers of one server: its open connections and their groups. */
export class PeerDirectory implements Peers {
  readonly #open = new Set<Connection>();
  readonly #groups = new Map<string, Set<Connection>>();
  readonly #memberships = new Map<Connection, Set<string>>();
  readonly #options: PeerDirectoryOptions;
  readonly #maxGroups: number;
  readonly #maxBacklog: number;

  constructor(options: PeerDirectoryOptions) {
    this.#options = options;
    this.#maxGroups = options.maxGroupsPerConnection ?? DEFAULT_MAX_GROUPS_PER_CONNECTION;
    this.#maxBacklog = options.maxBroadcastBacklogBytes ?? DEFAULT_MAX_BROADCAST_BACKLOG_BYTES;
  }

  add(connection: Connection): void {
    this.#open.add(connection);
  }

  /** The connection closed: it leaves every group. */
  remove(connection: Connection): void {
    this.#open.delete(connection);
    const groups = this.#memberships.get(connection);
    if (groups === undefined) return;
    for (const group of groups) this.#dropMember(group, connection);
    this.#memberships.delete(connection);
  }

  connections(): Iterable<Connection> {
    return this.#open;
  }

  join(group: string, connection: Connection): boolean {
    if (!this.#open.has(connection)) return false;
    let groups = this.#memberships.get(connection);
    if (groups?.has(group)) return false;
    if (groups !== undefined && groups.size >= this.#maxGroups) {
      throw new GroupLimitError(
        `${this.#options.protocol}: ${connection.remote.label} is already in ${groups.size} groups, the most one connection may join (maxGroupsPerConnection); leave one first`,
      );
    }
    if (groups === undefined) {
      groups = new Set();
      this.#memberships.set(connection, groups);
    }
    groups.add(group);
    let members = this.#groups.get(group);
    if (members === undefined) {
      members = new Set();
      this.#groups.set(group, members);
    }
    members.add(connection);
    return true;
  }

  leave(group: string, connection: Connection): boolean {
    const groups = this.#memberships.get(connection);
    if (groups === undefined || !groups.delete(group)) return false;
    this.#dropMember(group, connection);
    return true;
  }

  members(group: string): ReadonlySet<Connection> {
    return this.#groups.get(group) ?? EMPTY;
  }

  groupNames(): string[] {
    return [...this.#groups.keys()].sort();
  }

  groupsOf(connection: Connection): ReadonlySet<string> {
    return this.#memberships.get(connection) ?? EMPTY;
  }

  broadcast(frame: Uint8Array, to: Iterable<Connection>, except?: Connection): number {
    let sent = 0;
    // A copy: closing a slow member below changes the group being iterated.
    for (const connection of [...to]) {
      if (connection === except || connection.closed) continue;
      if (connection.pendingWriteBytes > this.#maxBacklog) {
        this.#options.log(
          `${this.#options.protocol}: ${connection.remote.label}: ${connection.pendingWriteBytes} bytes of broadcasts unread (maxBroadcastBacklogBytes ${this.#maxBacklog}); closing connection`,
        );
        connection.close();
        continue;
      }
      connection.send(frame);
      sent += 1;
    }
    return sent;
  }

  #dropMember(group: string, connection: Connection): void {
    const members = this.#groups.get(group);
    if (members === undefined) return;
    members.delete(connection);
    if (members.size === 0) this.#groups.delete(group);
  }
}
