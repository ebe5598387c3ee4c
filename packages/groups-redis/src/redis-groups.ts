import { randomUUID } from 'node:crypto';
import {
  type GroupAdapter,
  type GroupContext,
  type GroupSummary,
  GroupsUnavailableError,
  type LocalMember,
  type MembersGoneListener,
} from '@sockspec/server';
import { Redis } from 'ioredis';
import { decodeBusMessage, encodeBusMessage } from './bus.js';
import { CLAIM, HEARTBEAT, JOIN, LEAVE, RELEASE, REMOVE_SERVER, SWEEP } from './scripts.js';

/**
 * A dead server's members are swept after this: long enough that a Redis
 * failover or a GC pause (hundreds of ms) does not evict a live server,
 * short enough that a room hears of a crash within seconds.
 */
const DEFAULT_LEASE_MS = 10_000;
/** Unreachable at start for this long is an error, not a wait: a typo in --groups must not hang. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/**
 * Broadcast bytes queued for other servers while Redis is away (delivered
 * when it is back). Past this, further broadcasts reach this server's
 * members only, with one log line: 4 MiB is 1,000 chat Said frames of 4 KB.
 */
const DEFAULT_MAX_OFFLINE_BYTES = 4 * 1024 * 1024;
/**
 * Broadcasts go through a Redis stream rather than pub/sub: pub/sub drops
 * what is published while a subscriber reconnects, a stream keeps it for
 * the reader to catch up. About this many entries are kept (XADD MAXLEN ~):
 * 10,000 chat Said frames of ~100 bytes is about 1 MB of Redis memory.
 */
const BUS_MAX_ENTRIES = 10_000;
const READ_COUNT = 1000;
const READ_BLOCK_MS = 1000;
/** Reconnect backoff: 100 ms doubling to 5 s, for ever (a server outlives a Redis restart). */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface RedisGroupsOptions {
  /** `redis://host:port` (or `rediss://`, with user, password and database as ioredis reads them). */
  readonly url: string;
  /** Key and channel prefix. Default `sockspec:<protocol>:`, so protocols on one Redis do not meet. */
  readonly keyPrefix?: string;
  /** How long this server's members outlive its last heartbeat. Default 10,000 ms; heartbeats every third of it. */
  readonly leaseMs?: number;
  /** Longest start() waits for Redis. Default 5,000 ms. */
  readonly connectTimeoutMs?: number;
  /** Broadcast bytes held for other servers while Redis is down. Default 4 MiB. */
  readonly maxOfflineBytes?: number;
}

type Script = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

/**
 * Groups shared through Redis: membership in hashes, names as keys claimed
 * with a script, broadcasts through one stream every server reads, each server's members
 * held under a lease it renews, so the members of a server that dies are
 * swept and their rooms told. Every server keeps its own members in memory
 * too, and writes them back after Redis comes back empty (a restart
 * without persistence), so a restart loses nobody.
 */
export function redisGroups(options: RedisGroupsOptions): GroupAdapter {
  return new RedisGroups(options);
}

class RedisGroups implements GroupAdapter {
  readonly kind = 'redis';
  readonly shared = true;
  readonly #options: RedisGroupsOptions;
  readonly #id = randomUUID();
  readonly #leaseMs: number;
  readonly #maxOfflineBytes: number;
  readonly #goneListeners: MembersGoneListener[] = [];
  #context: GroupContext | null = null;
  #prefix = '';
  #commands: Redis | null = null;
  /** The last bus entry read; the next read starts after it, so an outage of this server loses nothing. */
  #lastId = '0-0';
  /** A second connection, for the blocking reads of the bus. */
  #reader: Redis | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #downSince: number | null = null;
  #offlineBytes = 0;
  #droppedWhileDown = false;
  #closing = false;
  #lastError: string | undefined;

  constructor(options: RedisGroupsOptions) {
    this.#options = options;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#maxOfflineBytes = options.maxOfflineBytes ?? DEFAULT_MAX_OFFLINE_BYTES;
    if (!Number.isInteger(this.#leaseMs) || this.#leaseMs < 300) {
      throw new RangeError(
        `redis groups: leaseMs must be a whole number of at least 300 ms, got ${String(options.leaseMs)}`,
      );
    }
  }

  get #label(): string {
    return `groups: Redis at ${this.#options.url}`;
  }

  async start(context: GroupContext): Promise<void> {
    this.#context = context;
    this.#prefix = this.#options.keyPrefix ?? `sockspec:${context.protocol}:`;
    const commands = this.#connection();
    const reader = this.#connection();
    this.#commands = commands;
    this.#reader = reader;
    for (const [name, lua, keys] of [
      ['sockspecJoin', JOIN, 3],
      ['sockspecLeave', LEAVE, 3],
      ['sockspecClaim', CLAIM, 2],
      ['sockspecRelease', RELEASE, 2],
      ['sockspecHeartbeat', HEARTBEAT, 1],
      ['sockspecSweep', SWEEP, 1],
      ['sockspecRemoveServer', REMOVE_SERVER, 1],
    ] as const) {
      commands.defineCommand(name, { lua, numberOfKeys: keys });
    }
    try {
      await withTimeout(
        Promise.all([commands.connect(), reader.connect()]),
        this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      );
      this.#lastId = await lastEntryId(commands, this.#busKey);
      await this.#renewLease();
    } catch (cause) {
      commands.disconnect();
      reader.disconnect();
      throw new GroupsUnavailableError(
        `cannot reach Redis at ${this.#options.url} (${this.#lastError ?? describe(cause)}); start redis-server there or point --groups at one`,
        { cause },
      );
    }
    void this.#readBus(reader);
    commands.on('close', () => this.#lost());
    commands.on('ready', () => void this.#back());
    this.#heartbeat = setInterval(() => void this.#tick(), Math.floor(this.#leaseMs / 3));
    this.#heartbeat.unref();
  }

  joined(group: string, member: LocalMember): void {
    this.#fire(
      this.#script('sockspecJoin')(
        this.#key(`g:${group}`),
        this.#key('groups'),
        this.#key(`m:${this.#id}`),
        this.#memberKey(member),
        member.name ?? '',
        group,
      ),
    );
  }

  left(group: string, member: LocalMember): void {
    this.#fire(
      this.#script('sockspecLeave')(
        this.#key(`g:${group}`),
        this.#key('groups'),
        this.#key(`m:${this.#id}`),
        this.#memberKey(member),
        group,
      ),
    );
  }

  gone(member: LocalMember): void {
    if (member.name === undefined) return;
    this.#fire(
      this.#script('sockspecRelease')(
        this.#key(`n:${member.name}`),
        this.#key(`sn:${this.#id}`),
        this.#memberKey(member),
        member.name,
      ),
    );
  }

  async claimName(member: LocalMember, name: string): Promise<boolean> {
    this.#mustBeUp('claim a name');
    if (!(await this.#claim(member, name))) return false;
    // Listings show the name in the groups the member is in already.
    for (const group of this.#own().groupsOf(member.id)) {
      this.#fire(this.#commands!.hset(this.#key(`g:${group}`), this.#memberKey(member), name));
    }
    return true;
  }

  async #claim(member: LocalMember, name: string): Promise<boolean> {
    const granted = await this.#script('sockspecClaim')(
      this.#key(`n:${name}`),
      this.#key(`sn:${this.#id}`),
      this.#memberKey(member),
      name,
    );
    return granted === 1;
  }

  publish(group: string | null, frame: Uint8Array, except?: LocalMember): void {
    if (this.#downSince !== null) {
      if (this.#offlineBytes + frame.byteLength > this.#maxOfflineBytes) {
        if (!this.#droppedWhileDown) {
          this.#droppedWhileDown = true;
          this.#own().log(
            `${this.#label} is down and ${this.#offlineBytes} bytes of broadcasts wait for it (maxOfflineBytes); further broadcasts reach this server's members only until it is back`,
          );
        }
        return;
      }
      this.#offlineBytes += frame.byteLength;
    }
    this.#publish(group === null ? 'all' : 'group', group ?? '', frame, except?.id ?? -1);
  }

  async sendToName(name: string, frame: Uint8Array): Promise<boolean> {
    this.#mustBeUp('find a name');
    const holder = await this.#commands!.get(this.#key(`n:${name}`));
    if (holder === null) return false;
    const slash = holder.lastIndexOf('/');
    if (holder.slice(0, slash) === this.#id) return this.#own().deliverTo(Number(holder.slice(slash + 1)), frame);
    this.#publish('member', holder, frame, -1);
    return true;
  }

  async groupSize(group: string): Promise<number> {
    this.#mustBeUp('count a group');
    return this.#commands!.hlen(this.#key(`g:${group}`));
  }

  async memberNames(group: string): Promise<string[]> {
    this.#mustBeUp('list a group');
    const names = await this.#commands!.hvals(this.#key(`g:${group}`));
    return names.filter((name) => name !== '').sort();
  }

  async groupList(): Promise<GroupSummary[]> {
    this.#mustBeUp('list the groups');
    const commands = this.#commands!;
    const names = (await commands.smembers(this.#key('groups'))).sort();
    const pipeline = commands.pipeline();
    for (const name of names) pipeline.hlen(this.#key(`g:${name}`));
    const sizes = (await pipeline.exec()) ?? [];
    return names
      .map((name, index) => ({ name, members: Number(sizes[index]?.[1] ?? 0) }))
      .filter((summary) => summary.members > 0);
  }

  onMembersGone(listener: MembersGoneListener): void {
    this.#goneListeners.push(listener);
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    const commands = this.#commands;
    const reader = this.#reader;
    if (commands === null || reader === null) return;
    try {
      if (commands.status === 'ready') {
        await this.#script('sockspecRemoveServer')(this.#key('servers'), this.#prefix, this.#id);
      }
    } finally {
      commands.disconnect();
      reader.disconnect();
    }
  }

  #connection(): Redis {
    const redis = new Redis(this.#options.url, {
      lazyConnect: true,
      // Commands wait for a reconnect rather than fail after 20 tries: what a
      // server mirrors while Redis restarts is sent once it is back.
      maxRetriesPerRequest: null,
      retryStrategy: (times) => (this.#closing ? null : Math.min(RETRY_MIN_MS * 2 ** (times - 1), RETRY_MAX_MS)),
    });
    // Each failed reconnect is an 'error'; the outage is logged once, by #lost and #back.
    redis.on('error', (error: Error) => {
      this.#lastError = error.message;
    });
    return redis;
  }

  get #busKey(): string {
    return `${this.#prefix}bus`;
  }

  #key(suffix: string): string {
    return `${this.#prefix}${suffix}`;
  }

  #memberKey(member: LocalMember): string {
    return `${this.#id}/${member.id}`;
  }

  #own(): GroupContext {
    if (this.#context === null) throw new Error('redis groups: used before the server started them');
    return this.#context;
  }

  #script(name: string): Script {
    const commands = this.#commands;
    if (commands === null) throw new Error('redis groups: used before the server started them');
    return (commands as unknown as Record<string, Script>)[name]!.bind(commands);
  }

  #publish(kind: 'group' | 'all' | 'member', target: string, frame: Uint8Array, except: number): void {
    const bytes = encodeBusMessage({ origin: this.#id, kind, target, except, frame });
    this.#fire(this.#commands!.xadd(this.#busKey, 'MAXLEN', '~', BUS_MAX_ENTRIES, '*', 'm', bytes));
  }

  /** Questions only Redis can answer fail at once while it is away, instead of hanging the request. */
  #mustBeUp(what: string): void {
    if (this.#commands?.status !== 'ready') {
      throw new GroupsUnavailableError(
        `${this.#label} is unreachable, so this server cannot ${what} now; try again shortly`,
      );
    }
  }

  #fire(command: Promise<unknown>): void {
    command.catch((error: unknown) => {
      if (!this.#closing) this.#own().log(`${this.#label}: ${describe(error)}`);
    });
  }

  /**
   * Reads the bus for as long as the adapter is open, from the last entry
   * read. Entry ids are Redis's clock in ms, so after a restart without
   * persistence the new stream's ids are still past the last one read, and
   * what was sent during the outage is read too. Each read blocks at most
   * READ_BLOCK_MS, so close() does not wait on it for long.
   */
  async #readBus(reader: Redis): Promise<void> {
    while (!this.#closing) {
      let batch: Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      try {
        batch = (await reader.xreadBuffer(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          this.#busKey,
          this.#lastId,
        )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      } catch (error) {
        if (this.#closing) return;
        this.#own().log(`${this.#label}: reading broadcasts: ${describe(error)}`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MIN_MS));
        continue;
      }
      for (const [, entries] of batch ?? []) {
        for (const [id, fields] of entries) {
          this.#lastId = id.toString();
          const bytes = fields[1];
          if (bytes !== undefined) this.#received(bytes);
        }
      }
    }
  }

  #received(bytes: Buffer): void {
    const message = decodeBusMessage(bytes);
    if (message === undefined || message.origin === this.#id) return;
    const context = this.#own();
    if (message.kind === 'member') {
      const slash = message.target.lastIndexOf('/');
      if (message.target.slice(0, slash) === this.#id)
        context.deliverTo(Number(message.target.slice(slash + 1)), message.frame);
      return;
    }
    // The except id belongs to the origin server, so nobody here is left out.
    context.deliver(message.kind === 'all' ? null : message.target, message.frame);
  }

  async #renewLease(): Promise<void> {
    await this.#script('sockspecHeartbeat')(this.#key('servers'), this.#id, this.#leaseMs);
  }

  async #tick(): Promise<void> {
    if (this.#commands?.status !== 'ready') return;
    try {
      await this.#renewLease();
      const swept = (await this.#script('sockspecSweep')(this.#key('servers'), this.#prefix)) as string[];
      this.#announceGone(swept);
    } catch (error) {
      this.#own().log(`${this.#label}: heartbeat: ${describe(error)}`);
    }
  }

  #announceGone(swept: readonly string[]): void {
    const byGroup = new Map<string, string[]>();
    for (let index = 0; index + 1 < swept.length; index += 2) {
      const group = swept[index]!;
      const names = byGroup.get(group) ?? [];
      names.push(swept[index + 1]!);
      byGroup.set(group, names);
    }
    for (const [group, names] of byGroup) {
      this.#own().log(
        `${this.#label}: ${names.length} member(s) of ${group} were on a server whose lease ran out; telling the group they left`,
      );
      const deliver = (frame: Uint8Array): void => {
        this.#own().deliver(group, frame);
        this.publish(group, frame);
      };
      for (const listener of this.#goneListeners) listener({ group, names }, deliver);
    }
  }

  #lost(): void {
    if (this.#closing || this.#downSince !== null) return;
    this.#downSince = Date.now();
    this.#own().log(
      `${this.#label} lost; reconnecting with backoff (${RETRY_MIN_MS} ms to ${RETRY_MAX_MS / 1000} s). Broadcasts to other servers wait for it; this server's members are still served`,
    );
  }

  /** Redis is back: renew the lease and write this server's members again, in case it came back empty. */
  async #back(): Promise<void> {
    if (this.#downSince === null || this.#closing) return;
    const downMs = Date.now() - this.#downSince;
    this.#downSince = null;
    this.#offlineBytes = 0;
    this.#droppedWhileDown = false;
    let members = 0;
    try {
      await this.#renewLease();
      for (const { member, groups } of this.#own().snapshot()) {
        members += 1;
        if (member.name !== undefined && !(await this.#claim(member, member.name))) {
          this.#own().log(
            `${this.#label}: name '${member.name}' was taken on another server while Redis was away; both keep it until one leaves`,
          );
        }
        for (const group of groups) this.joined(group, member);
      }
      this.#own().log(`${this.#label} is back after ${downMs} ms; this server's ${members} member(s) written again`);
    } catch (error) {
      this.#own().log(`${this.#label}: restoring members after reconnect: ${describe(error)}`);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The id of the stream's newest entry, or 0-0 for an empty stream: a new server reads what comes after. */
async function lastEntryId(redis: Redis, key: string): Promise<string> {
  const last = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  return last[0]?.[0] ?? '0-0';
}
