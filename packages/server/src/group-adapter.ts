/**
 * Where a server's groups live beyond its own connections. The engine keeps
 * every member it serves itself (a connection, in PeerDirectory) and tells
 * the adapter what changed; the adapter shares that with the other servers
 * on the same store, carries broadcasts between them and answers the
 * questions only the whole cluster can (who is in a room, is a name taken).
 *
 * Two implementations: inProcessGroups() (the default: one server, nothing
 * shared, no I/O) and redisGroups() in @sockspec/groups-redis.
 */
export interface GroupAdapter {
  /** `in-process`, `redis`, … for log lines and errors. */
  readonly kind: string;
  /**
   * True when several servers (processes, machines) share the groups, so
   * the server may run under `processes` or `threads`.
   */
  readonly shared: boolean;
  /**
   * Called once, before the server accepts: connects to the store and
   * starts delivering other servers' broadcasts through `context`. Rejects
   * with a GroupsUnavailableError when the store cannot be reached.
   */
  start(context: GroupContext): Promise<void>;
  /** A member of this server joined a group. */
  joined(group: string, member: LocalMember): void;
  /** A member of this server left a group (or closed: once per group it was in). */
  left(group: string, member: LocalMember): void;
  /** A member of this server closed: its name is free again. */
  gone(member: LocalMember): void;
  /** Claims a name unique across every server of the adapter; false when someone else holds it. */
  claimName(member: LocalMember, name: string): Promise<boolean>;
  /** Carries a frame to the other servers' members: of `group`, or of everyone when `group` is null. */
  publish(group: string | null, frame: Uint8Array, except?: LocalMember): void;
  /** Sends a frame to whoever holds `name`, wherever they are; false when nobody does. */
  sendToName(name: string, frame: Uint8Array): Promise<boolean>;
  /** Members of a group on every server. */
  groupSize(group: string): Promise<number>;
  /** The names members of `group` claimed, sorted (members without a name are counted by groupSize only). */
  memberNames(group: string): Promise<string[]>;
  /** Every group with at least one member, sorted by name. */
  groupList(): Promise<GroupSummary[]>;
  /**
   * Runs `listener` when members on another server are gone without
   * leaving (the server died, or lost the store for longer than its
   * lease): the application tells the rest of the group, as if each had
   * left. `deliver` sends a frame to the group's remaining members
   * everywhere. Runs on exactly one server per loss.
   */
  onMembersGone(listener: MembersGoneListener): void;
  /** Stops heartbeats and delivery; this server's members leave their groups. */
  close(): Promise<void>;
}

export interface GroupSummary {
  readonly name: string;
  readonly members: number;
}

export type MembersGoneListener = (
  gone: { readonly group: string; readonly names: readonly string[] },
  deliver: (frame: Uint8Array) => void,
) => void;

/** One connection of this server as the adapter knows it. */
export interface LocalMember {
  /** The connection's id, unique within this server. */
  readonly id: number;
  /** The name it claimed, if any. */
  readonly name: string | undefined;
}

/** What the engine gives its adapter: local delivery and what it holds now. */
export interface GroupContext {
  readonly protocol: string;
  readonly log: (line: string) => void;
  /**
   * Delivers a frame published by another server to this server's members
   * of `group` (all connections when null), but `exceptId`.
   */
  deliver(group: string | null, frame: Uint8Array, exceptId?: number): void;
  /** Delivers a frame to one member of this server; false when it is gone. */
  deliverTo(id: number, frame: Uint8Array): boolean;
  /** This server's members and their groups now, to restore the store's copy after it lost it (a restart). */
  snapshot(): Iterable<{ readonly member: LocalMember; readonly groups: Iterable<string> }>;
  /** This server's groups and how many of its members each has. */
  localGroups(): ReadonlyMap<string, ReadonlySet<LocalMember>>;
  /** The member of this server that holds `name`, if any. */
  localName(name: string): LocalMember | undefined;
  /** The groups one member of this server is in. */
  groupsOf(id: number): Iterable<string>;
}

/**
 * The default adapter: this server is the whole world, so every question is
 * answered from its own connections and publishing to other servers has
 * nobody to reach. No I/O, no promise that does not resolve at once.
 */
export function inProcessGroups(): GroupAdapter {
  let context: GroupContext | null = null;
  const own = (): GroupContext => {
    if (context === null) throw new Error('in-process groups: used before the server started it');
    return context;
  };
  return {
    kind: 'in-process',
    shared: false,
    async start(given) {
      context = given;
    },
    joined() {},
    left() {},
    gone() {},
    async claimName(member, name) {
      const holder = own().localName(name);
      return holder === undefined || holder.id === member.id;
    },
    publish() {},
    async sendToName(name, frame) {
      const holder = own().localName(name);
      return holder !== undefined && own().deliverTo(holder.id, frame);
    },
    async groupSize(group) {
      return own().localGroups().get(group)?.size ?? 0;
    },
    async memberNames(group) {
      const members = own().localGroups().get(group) ?? [];
      return [...members].flatMap((member) => (member.name === undefined ? [] : [member.name])).sort();
    },
    async groupList() {
      return [...own().localGroups()]
        .map(([name, members]) => ({ name, members: members.size }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    // Nobody else can die: one server has no members elsewhere.
    onMembersGone() {},
    async close() {},
  };
}
