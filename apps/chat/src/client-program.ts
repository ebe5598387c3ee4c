import { createInterface, type Interface } from 'node:readline';
import {
  describeEndpoint,
  type ProgramIO,
  parseMilliseconds,
  parseProgramArgs,
  processIO,
  USAGE_EXIT_CODE,
} from '@sockspec/app-kit';
import { isSockspecError } from '@sockspec/errors';
import { type ChatClient, createClient, type Failed, RemoteError } from '@sockspec/protocol-chat';
import { type ChatCommand, ChatCommandError, helpLines, parseCommand } from './commands.js';
import { checkString, NICK, ROOM } from './limits.js';
import { listAllMembers, listAllRooms } from './paging.js';
import { type ChatEvent, type RenderOptions, renderEvent, renderOptionsFor } from './render.js';
import { CHAT_DEFAULT_PORT } from './server-program.js';

export const CHAT_CLIENT_NAME = 'sockspec-chat';
const DEFAULT_TIMEOUT_MS = 10_000;

const identity = {
  name: CHAT_CLIENT_NAME,
  description:
    'Chat client. On a terminal: a prompt, /help lists the commands, what others say appears above it. ' +
    'Otherwise: runs each stdin line as a command (plain text is said in the current room) and prints ' +
    'tab-separated lines (said, joined, left, whispered, ...); exits at the end of the input.',
  defaultPort: CHAT_DEFAULT_PORT,
};

/** What one person's session knows beyond the server: which rooms it is in and where plain text goes. */
interface Session {
  readonly client: ChatClient;
  readonly nick: string;
  readonly rooms: Set<string>;
  current: string | undefined;
  /** Shows the server's pushes from now on, after those that arrived before it was called. */
  showPushes(show: (event: ChatEvent) => void): void;
  /** Stops showing pushes. */
  stopPushes(): void;
}

/** A command refused by the server or by the client, with the spec's reason where there is one. */
interface Refused {
  readonly reason: string;
  readonly text: string;
}

/**
 * Runs the chat client from the command line; resolves with the exit
 * status: 0 done (end of input or /quit), 1 connection failure, a refused
 * --room join or (script mode) any refused command, 2 bad arguments.
 */
export async function runChatClient(io: ProgramIO = processIO()): Promise<number> {
  const parsed = parseProgramArgs<{ nick: string; room?: string; timeoutMs: number }>(
    identity,
    'connect',
    io,
    (command) =>
      command
        .requiredOption('--nick <nick>', `your nick: letters, digits, '_' or '-', at most ${NICK.maxBytes} bytes`)
        .option('--room <room>', 'room to join at once (else: /join ROOM)')
        .option(
          '--timeout-ms <ms>',
          'how long to wait for the connection and for each reply',
          parseMilliseconds,
          DEFAULT_TIMEOUT_MS,
        ),
  );
  if (typeof parsed === 'number') return parsed;
  const { nick, timeoutMs } = parsed.options;
  const room = parsed.options.room?.replace(/^#/u, '');
  const say = (line: string): void => {
    io.stderr.write(`${CHAT_CLIENT_NAME}: ${line}\n`);
  };
  const badArgument = checkString(nick, NICK) ?? (room === undefined ? undefined : checkString(room, ROOM));
  if (badArgument !== undefined) {
    say(`error: ${badArgument}`);
    return USAGE_EXIT_CODE;
  }

  let client: ChatClient;
  try {
    client = await createClient({ ...parsed.endpoint, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs });
  } catch (error) {
    // The transport's own errors already say where and why; anything else gets the where added.
    say(
      isSockspecError(error)
        ? error.message
        : `cannot connect to ${describeEndpoint(parsed.endpoint)}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  const session = startSession(client, nick);
  // Shown once the mode is set up, as the first line of the session.
  const greeting: ChatEvent[] = [];
  if (room !== undefined) {
    let refused: Refused | undefined;
    try {
      refused = await run(session, { kind: 'join', room }, (event) => greeting.push(event));
    } catch (error) {
      refused = { reason: 'connection', text: describeError(error) };
    }
    if (refused !== undefined) {
      say(`cannot join #${room} as '${nick}': ${refused.text}`);
      await client.close().catch(() => undefined);
      return 1;
    }
  }
  const terminal = io.stdin.isTTY === true && io.stdout.isTTY === true;
  return terminal ? interactive(session, io, greeting) : script(session, io, greeting);
}

/**
 * Carries out one command; `show` receives what to print. Resolves with
 * why it was refused, or undefined when it was done.
 */
async function run(
  session: Session,
  command: Exclude<ChatCommand, { kind: 'quit' }>,
  show: (event: ChatEvent) => void,
): Promise<Refused | undefined> {
  const { client } = session;
  const room = (given: string | undefined): string | Refused =>
    given ?? session.current ?? { reason: 'notJoined', text: 'you are in no room: /join ROOM first' };
  try {
    switch (command.kind) {
      case 'say': {
        const where = room(undefined);
        if (typeof where !== 'string') return where;
        // The Said broadcast, which reaches the sender too, is what shows the line.
        await client.say({ room: where, text: command.text });
        return undefined;
      }
      case 'join': {
        const joined = await client.join({ nick: session.nick, room: command.room });
        session.rooms.add(joined.room);
        session.current = joined.room;
        show(joined);
        return undefined;
      }
      case 'leave': {
        const where = room(command.room);
        if (typeof where !== 'string') return where;
        const left = await client.leave({ room: where });
        session.rooms.delete(left.room);
        if (session.current === left.room) session.current = [...session.rooms].at(-1);
        show(left);
        return undefined;
      }
      case 'msg':
        await client.whisper({ to: command.to, text: command.text });
        show({ type: 'whisper-sent', to: command.to, text: command.text });
        return undefined;
      case 'rooms':
        show(await listAllRooms(client));
        return undefined;
      case 'who': {
        const where = room(command.room);
        if (typeof where !== 'string') return where;
        show(await listAllMembers(client, where));
        return undefined;
      }
      case 'switch':
        if (!session.rooms.has(command.room)) {
          return { reason: 'notJoined', text: `you are not in #${command.room}: /join ${command.room} first` };
        }
        session.current = command.room;
        show({ type: 'switched', room: command.room });
        return undefined;
      case 'help':
        show({ type: 'info', text: helpLines().join('\n') });
        return undefined;
    }
  } catch (error) {
    if (error instanceof RemoteError) {
      const reply = (error as RemoteError<Failed>).reply;
      return { reason: reply.reason, text: reply.text };
    }
    throw error;
  }
}

function describeError(error: unknown): string {
  if (isSockspecError(error, 'SOCKSPEC_CONNECTION_CLOSED')) return 'server closed the connection';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Listens for the server's pushes (what others say, join, leave, whisper)
 * from the start: a push that shares a read with the reply to the first
 * Join is delivered before that reply's awaiter resumes, and is kept until
 * the mode shows it rather than lost.
 */
function startSession(client: ChatClient, nick: string): Session {
  let early: ChatEvent[] | undefined = [];
  let show: (event: ChatEvent) => void = (event) => early?.push(event);
  const deliver = (event: ChatEvent): void => show(event);
  const stops = [
    client.on('Said', deliver),
    client.on('Joined', deliver),
    client.on('Left', deliver),
    client.on('Whispered', deliver),
  ];
  return {
    client,
    nick,
    rooms: new Set(),
    current: undefined,
    showPushes(next) {
      show = next;
      const kept = early ?? [];
      early = undefined;
      for (const event of kept) next(event);
    },
    stopPushes() {
      for (const stop of stops) stop();
    },
  };
}

/**
 * Script mode: each stdin line is one command, run in order (each waits for
 * its reply, so the output follows the input). A refused command is one
 * line on stderr and makes the exit status 1; the rest still run.
 */
async function script(session: Session, io: ProgramIO, greeting: readonly ChatEvent[]): Promise<number> {
  const options: RenderOptions = { terminal: false, colour: false };
  const show = (event: ChatEvent): void => {
    for (const line of renderEvent(event, options)) io.stdout.write(`${line}\n`);
  };
  for (const event of greeting) show(event);
  session.showPushes(show);
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let failures = 0;
  let lineNumber = 0;
  // A server that goes away ends the input loop at once; the barrier below then reports it.
  void session.client.closed.then(() => lines.close());
  try {
    for await (const line of lines) {
      lineNumber += 1;
      const command = parseCommand(line);
      if (command === undefined) continue;
      if (command instanceof ChatCommandError) {
        failures += 1;
        io.stderr.write(`${CHAT_CLIENT_NAME}: line ${lineNumber}: ${command.message}\n`);
        continue;
      }
      if (command.kind === 'quit') break;
      const refused = await run(session, command, show);
      if (refused !== undefined) {
        failures += 1;
        io.stderr.write(`${CHAT_CLIENT_NAME}: line ${lineNumber}: ${refused.text} (${refused.reason})\n`);
      }
    }
    // Pushes caused by the last commands (our own Said) travel behind their
    // replies; one more round trip brings everything sent before it.
    await session.client.listRooms();
  } catch (error) {
    io.stderr.write(`${CHAT_CLIENT_NAME}: ${describeError(error)}\n`);
    session.stopPushes();
    void session.client.close().catch(() => undefined);
    return 1;
  } finally {
    lines.close();
  }
  session.stopPushes();
  await session.client.close();
  return failures > 0 ? 1 : 0;
}

/** Terminal mode: a readline prompt naming the current room; pushes are printed above it. */
async function interactive(session: Session, io: ProgramIO, greeting: readonly ChatEvent[]): Promise<number> {
  const base = renderOptionsFor(io.stdout, io.env);
  const lines: Interface = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
  const options = (): RenderOptions => ({
    ...base,
    self: session.nick,
    ...(session.current === undefined ? {} : { currentRoom: session.current }),
  });
  const setPrompt = (): void => lines.setPrompt(session.current === undefined ? '> ' : `#${session.current}> `);
  // Clear the prompt line, print, and draw the prompt again with what was typed so far.
  const show = (event: ChatEvent): void => {
    io.stdout.write('\r\u001b[2K');
    for (const line of renderEvent(event, options())) io.stdout.write(`${line}\n`);
    lines.prompt(true);
  };
  let serverClosed = false;
  void session.client.closed.then(() => {
    serverClosed = true;
    lines.close();
  });
  show({ type: 'info', text: `connected as ${session.nick}; /help lists the commands` });
  for (const event of greeting) show(event);
  session.showPushes(show);
  setPrompt();
  lines.prompt();
  try {
    for await (const line of lines) {
      const command = parseCommand(line);
      if (command instanceof ChatCommandError) {
        show({ type: 'error', reason: command.problem, text: command.message });
      } else if (command?.kind === 'quit') {
        break;
      } else if (command !== undefined) {
        const refused = await run(session, command, show);
        if (refused !== undefined) show({ type: 'error', reason: refused.reason, text: refused.text });
      }
      setPrompt();
      lines.prompt();
    }
  } catch (error) {
    io.stdout.write('\n');
    io.stderr.write(`${CHAT_CLIENT_NAME}: ${describeError(error)}\n`);
    session.stopPushes();
    void session.client.close().catch(() => undefined);
    return 1;
  } finally {
    lines.close();
  }
  session.stopPushes();
  if (serverClosed) {
    io.stderr.write(`${CHAT_CLIENT_NAME}: server closed the connection\n`);
    return 1;
  }
  await session.client.close();
  return 0;
}
