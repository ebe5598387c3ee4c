import { SockspecError } from '@sockspec/errors';
import { checkString, NICK, ROOM, type StringLimit, TEXT } from './limits.js';

/** What a person asked for with one line of input. */
export type ChatCommand =
  | { readonly kind: 'say'; readonly text: string }
  | { readonly kind: 'join'; readonly room: string }
  | { readonly kind: 'leave'; readonly room?: string }
  | { readonly kind: 'msg'; readonly to: string; readonly text: string }
  | { readonly kind: 'rooms' }
  | { readonly kind: 'who'; readonly room?: string }
  | { readonly kind: 'switch'; readonly room: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' };

export type CommandProblem = 'unknown-command' | 'missing-argument' | 'extra-argument' | 'invalid-argument';

/**
 * A line that is not a valid command. It never reaches the server: the
 * message says what was wrong and how the command is written.
 */
export class ChatCommandError extends SockspecError {
  readonly problem: CommandProblem;
  readonly input: string;

  constructor(problem: CommandProblem, input: string, message: string) {
    super('SOCKSPEC_INVALID_FIELD', message);
    this.problem = problem;
    this.input = input;
  }
}

interface CommandSpec {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly usage: string;
  readonly help: string;
}

/** Every command, in the order /help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  { name: 'join', aliases: ['j'], usage: '/join ROOM', help: 'enter a room (it becomes the current room)' },
  { name: 'leave', aliases: [], usage: '/leave [ROOM]', help: 'leave a room (default: the current room)' },
  { name: 'msg', aliases: ['w'], usage: '/msg NICK TEXT', help: 'whisper to one person' },
  { name: 'rooms', aliases: [], usage: '/rooms', help: 'list the rooms that have members' },
  { name: 'who', aliases: [], usage: '/who [ROOM]', help: 'list the members of a room (default: the current room)' },
  { name: 'switch', aliases: [], usage: '/switch ROOM', help: 'talk in another room you joined' },
  { name: 'help', aliases: [], usage: '/help', help: 'show this list' },
  { name: 'quit', aliases: [], usage: '/quit', help: 'leave the chat' },
];

/** The /help text: one line per command, then how plain text is sent. */
export function helpLines(): string[] {
  const width = Math.max(...COMMANDS.map((command) => command.usage.length));
  return [
    ...COMMANDS.map((command) => {
      const aliases = command.aliases.length === 0 ? '' : ` (or /${command.aliases.join(', /')})`;
      return `${command.usage.padEnd(width)}  ${command.help}${aliases}`;
    }),
    'any other line is said in the current room; start it with // to say a line that begins with /',
  ];
}

const BY_NAME = new Map(
  COMMANDS.flatMap((command) => [command.name, ...command.aliases].map((name) => [name, command])),
);

/**
 * Parses one line of input. Blank lines give undefined (nothing to do);
 * bad input gives a ChatCommandError rather than throwing, since it is the
 * expected outcome of a typo, not a failure of the program.
 */
export function parseCommand(line: string): ChatCommand | ChatCommandError | undefined {
  if (line.trim() === '') return undefined;
  if (line.startsWith('//')) return say(line.slice(1), line);
  if (!line.startsWith('/')) return say(line, line);

  const match = /^\/(\S*)\s*(.*)$/su.exec(line.trimEnd());
  const typed = match?.[1] ?? '';
  const rest = match?.[2] ?? '';
  const command = BY_NAME.get(typed.toLowerCase());
  if (command === undefined) return unknown(typed, line);

  switch (command.name) {
    case 'join':
    case 'switch': {
      const room = oneWord(command, rest, line, ROOM, true);
      return room instanceof ChatCommandError ? room : { kind: command.name, room: room! };
    }
    case 'leave':
    case 'who': {
      const room = oneWord(command, rest, line, ROOM, false);
      if (room instanceof ChatCommandError) return room;
      return room === undefined ? { kind: command.name } : { kind: command.name, room };
    }
    case 'msg': {
      const split = /^(\S+)\s+(.*)$/su.exec(rest);
      if (rest === '') return missing(command, 'a nick and the text', line);
      if (split === null) return missing(command, 'the text after the nick', line);
      const to = split[1]!;
      const text = split[2]!;
      const problem = checkString(to, NICK) ?? checkString(text, TEXT);
      return problem === undefined ? { kind: 'msg', to, text } : invalid(command, problem, line);
    }
    default: {
      if (rest !== '') {
        return new ChatCommandError(
          'extra-argument',
          line,
          `/${command.name} takes no argument, got '${rest}' (usage: ${command.usage})`,
        );
      }
      return { kind: command.name as 'rooms' | 'help' | 'quit' };
    }
  }
}

function say(text: string, line: string): ChatCommand | ChatCommandError {
  const problem = checkString(text, TEXT);
  return problem === undefined ? { kind: 'say', text } : new ChatCommandError('invalid-argument', line, problem);
}

/**
 * The single ROOM argument of a command. A leading '#' is dropped: people
 * write rooms that way, and the spec's pattern has no '#' to confuse it with.
 */
function oneWord(
  command: CommandSpec,
  rest: string,
  line: string,
  limit: StringLimit,
  required: boolean,
): string | ChatCommandError | undefined {
  if (rest === '') return required ? missing(command, `a ${limit.name}`, line) : undefined;
  const words = rest.split(/\s+/u);
  if (words.length > 1) {
    return new ChatCommandError(
      'extra-argument',
      line,
      `/${command.name} takes one ${limit.name}, got ${words.length} words '${rest}' (usage: ${command.usage})`,
    );
  }
  const value = words[0]!.startsWith('#') ? words[0]!.slice(1) : words[0]!;
  const problem = checkString(value, limit);
  return problem === undefined ? value : invalid(command, problem, line);
}

function missing(command: CommandSpec, what: string, line: string): ChatCommandError {
  return new ChatCommandError('missing-argument', line, `/${command.name} needs ${what} (usage: ${command.usage})`);
}

function invalid(command: CommandSpec, problem: string, line: string): ChatCommandError {
  return new ChatCommandError('invalid-argument', line, `/${command.name}: ${problem} (usage: ${command.usage})`);
}

function unknown(typed: string, line: string): ChatCommandError {
  const shown = typed.length > 20 ? `${typed.slice(0, 20)}…` : typed;
  const guess = closestCommand(typed.toLowerCase());
  const hint = guess === undefined ? '' : `; did you mean /${guess}?`;
  return new ChatCommandError(
    'unknown-command',
    line,
    `unknown command '/${shown}'${hint} (/help lists the commands; start a line with // to say it as text)`,
  );
}

/** Longer inputs are not compared: a typo of an 8-letter name is never 20 letters long. */
const MAX_GUESS_LENGTH = 20;

/** The command whose name is within two edits of `typed`, or that `typed` starts; undefined when none is close. */
export function closestCommand(typed: string): string | undefined {
  if (typed === '' || typed.length > MAX_GUESS_LENGTH) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const command of COMMANDS) {
    const distance = command.name.startsWith(typed) ? 0 : editDistance(typed, command.name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: command.name, distance };
  }
  return best?.name;
}

/** Levenshtein distance with adjacent transpositions counted as one edit ('jion' → 'join'). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const table = new Uint8Array(rows * columns);
  for (let i = 0; i < rows; i++) table[i * columns] = i;
  for (let j = 0; j < columns; j++) table[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        table[(i - 1) * columns + j]! + 1,
        table[i * columns + j - 1]! + 1,
        table[(i - 1) * columns + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, table[(i - 2) * columns + j - 2]! + 1);
      }
      table[i * columns + j] = value;
    }
  }
  return table[rows * columns - 1]!;
}
