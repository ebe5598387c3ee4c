import { styleText } from 'node:util';
import { colourEnabled, visible } from '@sockspec/app-kit';

/**
 * What the client shows. The server's messages are shown as they arrive
 * (the generated Said, Joined, ... are assignable to these: they only add
 * `id`); the lower-case kinds are the client's own notes.
 */
export type ChatEvent =
  | { readonly type: 'Said'; readonly room: string; readonly nick: string; readonly text: string; readonly at: Date }
  | { readonly type: 'Joined'; readonly room: string; readonly nick: string }
  | { readonly type: 'Left'; readonly room: string; readonly nick: string }
  | { readonly type: 'Whispered'; readonly from: string; readonly text: string; readonly at: Date }
  | { readonly type: 'Rooms'; readonly rooms: readonly { readonly name: string; readonly members: number }[] }
  | { readonly type: 'Members'; readonly room: string; readonly nicks: readonly string[] }
  | { readonly type: 'whisper-sent'; readonly to: string; readonly text: string }
  | { readonly type: 'switched'; readonly room: string }
  | { readonly type: 'info'; readonly text: string }
  | { readonly type: 'error'; readonly reason: string; readonly text: string };

export interface RenderOptions {
  /** Terminal lines (`[HH:MM] <nick> text`) rather than tab-separated script lines. */
  readonly terminal: boolean;
  /** ANSI colours; only ever true together with `terminal`. */
  readonly colour: boolean;
  /** Our own nick, shown bold. */
  readonly self?: string;
  /** On a terminal, events of this room omit the room name. */
  readonly currentRoom?: string;
  /** The clock for events that carry no time of their own (Joined, Left). */
  readonly now?: () => Date;
}

/** Terminal when `stream` is a TTY; colour as well unless NO_COLOR is set or TERM is dumb. */
export function renderOptionsFor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): Pick<RenderOptions, 'terminal' | 'colour'> {
  return { terminal: stream.isTTY === true, colour: colourEnabled(stream as NodeJS.WritableStream, env) };
}

/** The lines (without line endings) that show one event. */
export function renderEvent(event: ChatEvent, options: RenderOptions): string[] {
  return options.terminal ? terminalLines(event, options) : plainLines(event);
}

/**
 * Script lines: tab-separated fields, the kind first, then where, who and
 * what; times are ISO 8601 in UTC and come last. Text fields escape
 * backslash, tab, CR and LF (as \\, \t, \r, \n), so every event is exactly
 * one line per record and `cut -f` never splits a message. A list reply
 * is a count line followed by one line per entry.
 */
function plainLines(event: ChatEvent): string[] {
  switch (event.type) {
    case 'Said':
      return [fields('said', `#${event.room}`, event.nick, escapeField(event.text), event.at.toISOString())];
    case 'Joined':
      return [fields('joined', `#${event.room}`, event.nick)];
    case 'Left':
      return [fields('left', `#${event.room}`, event.nick)];
    case 'Whispered':
      return [fields('whispered', event.from, escapeField(event.text), event.at.toISOString())];
    case 'whisper-sent':
      return [fields('whisper-sent', event.to, escapeField(event.text))];
    case 'Rooms':
      return [
        fields('rooms', String(event.rooms.length)),
        ...event.rooms.map((room) => fields('room', `#${room.name}`, String(room.members))),
      ];
    case 'Members':
      return [
        fields('members', `#${event.room}`, String(event.nicks.length)),
        ...event.nicks.map((nick) => fields('member', `#${event.room}`, nick)),
      ];
    case 'switched':
      return [fields('switched', `#${event.room}`)];
    case 'info':
      return event.text.split('\n').map((line) => fields('info', escapeField(line)));
    case 'error':
      return [fields('error', event.reason, escapeField(event.text))];
  }
}

function fields(...values: string[]): string {
  return values.join('\t');
}

const FIELD_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\r': '\\r', '\n': '\\n' };

export function escapeField(text: string): string {
  return text.replace(/[\\\t\r\n]/gu, (char) => FIELD_ESCAPES[char]!);
}

/** Reverses escapeField, for scripts (and tests) that read the plain lines. */
export function unescapeField(field: string): string {
  return field.replace(/\\([\\trn])/gu, (_, char: string) =>
    char === 't' ? '\t' : char === 'r' ? '\r' : char === 'n' ? '\n' : '\\',
  );
}

type Style = Extract<Parameters<typeof styleText>[0], string>;
/** Distinct, readable on dark and light backgrounds; a nick keeps its colour for the whole session. */
const NICK_COLOURS: readonly Style[] = ['cyan', 'green', 'yellow', 'magenta', 'blue', 'redBright', 'cyanBright'];

function terminalLines(event: ChatEvent, options: RenderOptions): string[] {
  const style = (format: Style | Style[], text: string): string =>
    options.colour ? styleText(format, text, { validateStream: false }) : text;
  const nick = (name: string): string =>
    style(name === options.self ? ['bold', nickColour(name)] : nickColour(name), name);
  const time = (at: Date): string => style('dim', `[${clock(at)}]`);
  const now = (): Date => options.now?.() ?? new Date();
  // A room other than the current one is named, so talk in a background room is not mistaken for this one.
  const where = (room: string): string => (room === options.currentRoom ? '' : `${style('dim', `#${room}`)} `);
  switch (event.type) {
    case 'Said':
      return [`${time(event.at)} ${where(event.room)}<${nick(event.nick)}> ${visible(event.text)}`];
    case 'Joined':
      return [`${time(now())} ${style('green', '-->')} ${nick(event.nick)} joined #${event.room}`];
    case 'Left':
      return [`${time(now())} ${style('yellow', '<--')} ${nick(event.nick)} left #${event.room}`];
    case 'Whispered':
      return [`${time(event.at)} ${style('magenta', `*${event.from}*`)} ${visible(event.text)}`];
    case 'whisper-sent':
      return [`${time(now())} ${style('magenta', `-> *${event.to}*`)} ${visible(event.text)}`];
    case 'Rooms':
      return [
        event.rooms.length === 0
          ? 'no rooms yet: /join ROOM makes one'
          : `rooms: ${event.rooms.map((room) => `#${room.name} (${room.members})`).join(', ')}`,
      ];
    case 'Members':
      return [`#${event.room} (${event.nicks.length}): ${event.nicks.map(nick).join(', ')}`];
    case 'switched':
      return [style('dim', `now talking in #${event.room}`)];
    case 'info':
      return event.text.split('\n').map((line) => style('dim', line));
    case 'error':
      return [style('red', `error: ${visible(event.text)}`)];
  }
}

function nickColour(nick: string): Style {
  let hash = 0;
  for (let index = 0; index < nick.length; index++) hash = (hash * 31 + nick.charCodeAt(index)) >>> 0;
  return NICK_COLOURS[hash % NICK_COLOURS.length]!;
}

function clock(at: Date): string {
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}
