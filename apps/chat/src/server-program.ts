import { boundedInteger, type ServerProgram } from '@sockspec/app-kit';
import { redisGroups } from '@sockspec/groups-redis';
import {
  type ChatConnection,
  type ChatHandlers,
  type ChatRefusal,
  createServer,
  encodeLeft,
  refuse,
  typedConnection,
} from '@sockspec/protocol-chat';
import type { Connection, ProtocolServer, ServerOptions } from '@sockspec/server';
import { InvalidArgumentError, Option } from 'commander';

export const CHAT_DEFAULT_PORT = 5680;

/**
 * One Rooms or Members reply lists at most these (the spec's maxCount, what
 * fits one 16 KiB frame); longer lists come a page at a time (`start`).
 */
export const ROOMS_PAGE = 200;
export const MEMBERS_PAGE = 400;
/**
 * Members of one room: paging lifts the reply's bound, so this bounds the
 * broadcast instead — one Say reaches at most 5,000 peers, and the message
 * rate (20/s) caps what one sender can make the server send.
 */
export const MAX_ROOM_MEMBERS = 5000;
export const MAX_ROOMS = 1000;
/**
 * Rooms one connection may be in at once, IRC's usual CHANLIMIT. Without it
 * 4 connections (256 groups each, the engine's limit) filled all 1,000 rooms
 * and nobody else could open one (issue 13).
 */
export const DEFAULT_MAX_ROOMS_PER_CONNECTION = 20;

export interface ChatLimits {
  /** Members one room may have; at most MAX_ROOM_MEMBERS. */
  readonly maxRoomMembers?: number;
  /** Rooms the server may have at once; at most MAX_ROOMS. */
  readonly maxRooms?: number;
  /** Rooms one connection may be in at once. Default DEFAULT_MAX_ROOMS_PER_CONNECTION. */
  readonly maxRoomsPerConnection?: number;
}

/** Where a connection's rooms are kept for its finish hook: by then the engine has taken it out of every group. */
const ROOMS_KEY = 'chat:rooms';

/**
 * What the spec leaves to code: who may use which nick, who may talk in or
 * leave which room, whispers, and the two listings. Nicks are unique across
 * the server and held from the first Join until the connection closes, so
 * leaving every room does not free a nick for someone else to take over.
 * Rooms stay within what Rooms and Members can list, so a listing is
 * never cut short.
 */
export function createChatHandlers(limits: ChatLimits = {}): ChatHandlers {
  const maxRoomMembers = Math.min(limits.maxRoomMembers ?? MAX_ROOM_MEMBERS, MAX_ROOM_MEMBERS);
  const maxRooms = Math.min(limits.maxRooms ?? MAX_ROOMS, MAX_ROOMS);
  const maxRoomsPerConnection = limits.maxRoomsPerConnection ?? DEFAULT_MAX_ROOMS_PER_CONNECTION;
  const notJoined = (room: string): ChatRefusal => ({
    reason: 'notJoined',
    text: `you are not in #${room}; join it first`,
  });

  // Nicks, room sizes and listings come from the group adapter, so they hold
  // across every server sharing it (--groups redis://…), not just this one.
  return {
    async onJoin(message, connection) {
      const own = connection.session.nick;
      if (own !== undefined && own !== message.nick) {
        return {
          reason: 'badRequest',
          text: `this connection is already '${own}' and a connection keeps one nick; join #${message.room} as '${own}', or connect again to be '${message.nick}'`,
        };
      }
      if (!connection.groups.has(message.room)) {
        if (connection.groups.size >= maxRoomsPerConnection) {
          return {
            reason: 'badRequest',
            text: `you are in ${connection.groups.size} rooms, the most one connection may be in; leave one first`,
          };
        }
        const size = await connection.groupSize(message.room);
        if (size >= maxRoomMembers) {
          return {
            reason: 'badRequest',
            text: `#${message.room} is full: it has ${size} members, the most it may have`,
          };
        }
        if (size === 0) {
          const rooms = (await connection.groupList()).length;
          if (rooms >= maxRooms) {
            return {
              reason: 'badRequest',
              text: `the server has ${rooms} rooms, the most it may have; join an existing room (/rooms lists them)`,
            };
          }
        }
      }
      if (!(await connection.claimName(message.nick))) {
        return { reason: 'nickTaken', text: `nick '${message.nick}' is taken by someone else; pick another` };
      }
      rememberRooms(connection, message.room);
      return undefined;
    },
    onSay(message, connection) {
      return connection.groups.has(message.room) ? undefined : notJoined(message.room);
    },
    onLeave(message, connection) {
      if (!connection.groups.has(message.room)) return notJoined(message.room);
      rememberRooms(connection, undefined, message.room);
      return undefined;
    },
    async onWhisper(message, connection) {
      const from = connection.session.nick;
      if (from === undefined) return refuse('notJoined', 'join a room first: a whisper is sent under your nick');
      const delivered = await connection.sendToName(message.to, {
        type: 'Whispered',
        from,
        text: message.text,
        at: new Date(),
      });
      if (!delivered) return refuse('noSuchNick', `nobody is called '${message.to}'`);
      return { type: 'Ok' };
    },
    async onListRooms(message, connection) {
      // groupList() is sorted, so pages asked for one after another list every room once.
      const rooms = await connection.groupList();
      return {
        type: 'Rooms',
        total: rooms.length,
        rooms: rooms.slice(message.start, message.start + ROOMS_PAGE),
      };
    },
    async onListMembers(message, connection) {
      const nicks = await connection.memberNames(message.room);
      if (nicks.length === 0) return refuse('noSuchRoom', `no room #${message.room}: nobody is in it`);
      const page = nicks.slice(message.start, message.start + MEMBERS_PAGE);
      return { type: 'Members', room: message.room, total: nicks.length, nicks: page };
    },
    // The engine takes a closed connection out of its groups without a word;
    // the others, on every server, are told it left each room, as if it had sent Leave.
    finish(engineConnection: Connection) {
      const connection = typedConnection(engineConnection);
      const nick = connection.session.nick;
      if (nick === undefined) return;
      const rooms = connection.state.get(ROOMS_KEY) as ReadonlySet<string> | undefined;
      for (const room of rooms ?? []) connection.broadcastToGroup(room, { type: 'Left', room, nick });
    },
  };
}

/**
 * Keeps the connection's rooms for its finish hook: what the engine says
 * now, plus the room a passing Join guard is about to enter, minus the one
 * a Leave is about to leave.
 */
function rememberRooms(connection: ChatConnection, joining?: string, leaving?: string): void {
  const rooms = new Set(connection.groups);
  if (joining !== undefined) rooms.add(joining);
  if (leaving !== undefined) rooms.delete(leaving);
  connection.state.set(ROOMS_KEY, rooms);
}

/**
 * Without a shared group adapter, rooms and nicks live in this process's
 * memory: worker processes would each hold their own, so two people could
 * share a nick and not hear each other. Refused with a reason rather than run wrongly.
 */
export function createChatServer(
  given: ServerOptions,
  programOptions: Readonly<Record<string, unknown>> = {},
): Pick<ProtocolServer, 'listen' | 'shutdown'> {
  const groupsUrl = programOptions.groups;
  const options: ServerOptions =
    typeof groupsUrl === 'string' && given.groups === undefined
      ? { ...given, groups: redisGroups({ url: groupsUrl, ...leaseOf(programOptions) }) }
      : given;
  const model = options.concurrency?.name;
  const shared = options.groups?.shared === true;
  const problem =
    model === 'threads'
      ? `--concurrency threads cannot carry rooms between worker threads; run --concurrency processes with --groups redis://host:port, or async (default) or serial`
      : model === 'processes' && !shared
        ? `--concurrency processes would split rooms and nicks between workers; share them with --groups redis://host:port, or run async (default) or serial`
        : undefined;
  if (problem !== undefined) {
    return {
      listen: () => Promise.reject(new Error(problem)),
      shutdown: () => options.concurrency?.close() ?? Promise.resolve(),
    };
  }
  // A server that died took its members with it: the server that notices tells their rooms, as if each had left.
  options.groups?.onMembersGone(({ group, names }, deliver) => {
    for (const nick of names) deliver(encodeLeft({ id: 0, room: group, nick }));
  });
  return createServer(createChatHandlers(), options);
}

export const chatServerProgram: ServerProgram = {
  name: 'sockspec-chat-server',
  description: `Chat server: rooms, unique nicks, whispers, room and member lists. Listens on 127.0.0.1:${CHAT_DEFAULT_PORT} unless told otherwise.`,
  defaultPort: CHAT_DEFAULT_PORT,
  createServer: createChatServer,
  addOptions: (command) =>
    command
      .addOption(
        new Option(
          '--groups <url>',
          'share rooms, nicks and broadcasts with every chat server on this Redis (redis://host:port); lets --concurrency processes run chat',
        ).argParser(parseGroupsUrl),
      )
      .addOption(
        new Option(
          '--groups-lease-ms <ms>',
          "how soon other servers sweep this one's members after it dies without closing (default 10000)",
        ).argParser(boundedInteger('milliseconds', 300, 3_600_000)),
      ),
  // Join, Leave and Say each reach every member of a room: 4,000 Join/Leave frames (68 KB) from one connection
  // were 20 MB of broadcasts to 300 members (issue 13). 20 a second, 40 at once, is more than a person types.
  // Join, Leave and Say reach a whole room, Whisper another person: those are what a flood amplifies. Listing
  // rooms and members answers only the asker, so it is not rated.
  defaultMessageRate: { perSecond: 20, burst: 40, messages: ['Join', 'Leave', 'Say', 'Whisper'] },
};

/** --groups takes a Redis URL; anything else is a usage error now rather than a failed connect later. */
function parseGroupsUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(
      `'${value}' is not a URL; give the Redis to share groups on, e.g. redis://127.0.0.1:6379`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError(
      `'${value}' is a ${url.protocol} URL; --groups takes redis://host:port or rediss://host:port`,
    );
  }
  return value;
}

function leaseOf(programOptions: Readonly<Record<string, unknown>>): { leaseMs?: number } {
  const lease = programOptions.groupsLeaseMs;
  return typeof lease === 'number' ? { leaseMs: lease } : {};
}
