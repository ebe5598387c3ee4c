import { describe, expect, it } from 'vitest';
import { ChatCommandError, closestCommand, helpLines, parseCommand } from '../src/commands.js';

function problemOf(line: string): ChatCommandError {
  const result = parseCommand(line);
  if (!(result instanceof ChatCommandError))
    throw new Error(`expected '${line}' to be refused, got ${JSON.stringify(result)}`);
  return result;
}

describe('parseCommand', () => {
  it.each([
    ['hello there', { kind: 'say', text: 'hello there' }],
    ['  spaced  out ', { kind: 'say', text: '  spaced  out ' }],
    ['//join is a command', { kind: 'say', text: '/join is a command' }],
    ['/join general', { kind: 'join', room: 'general' }],
    ['/j #general', { kind: 'join', room: 'general' }],
    ['/JOIN rust-lang_2 ', { kind: 'join', room: 'rust-lang_2' }],
    ['/leave', { kind: 'leave' }],
    ['/leave #random', { kind: 'leave', room: 'random' }],
    ['/msg bob hi  there', { kind: 'msg', to: 'bob', text: 'hi  there' }],
    ['/w alice_1 ok', { kind: 'msg', to: 'alice_1', text: 'ok' }],
    ['/rooms', { kind: 'rooms' }],
    ['/who', { kind: 'who' }],
    ['/who #general', { kind: 'who', room: 'general' }],
    ['/switch random', { kind: 'switch', room: 'random' }],
    ['/help', { kind: 'help' }],
    ['/quit', { kind: 'quit' }],
  ])('%j → %j', (line, command) => {
    expect(parseCommand(line)).toEqual(command);
  });

  it('gives nothing to do for a blank line', () => {
    expect(parseCommand('')).toBeUndefined();
    expect(parseCommand('   \t')).toBeUndefined();
  });

  it('names the closest command for a typo, and refuses without a guess when none is close', () => {
    const typo = problemOf('/jion general');
    expect(typo.problem).toBe('unknown-command');
    expect(typo.code).toBe('SOCKSPEC_INVALID_FIELD');
    expect(typo.message).toBe(
      "unknown command '/jion'; did you mean /join? (/help lists the commands; start a line with // to say it as text)",
    );
    expect(problemOf('/romos').message).toContain('did you mean /rooms?');
    expect(problemOf('/sw x').message).toContain('did you mean /switch?');
    const far = problemOf('/xyzzy');
    expect(far.message).toMatch(/^unknown command '\/xyzzy' \(\/help/);
    expect(problemOf('/').problem).toBe('unknown-command');
  });

  it.each([
    ['/join', '/join needs a room (usage: /join ROOM)'],
    ['/switch  ', '/switch needs a room (usage: /switch ROOM)'],
    ['/msg', '/msg needs a nick and the text (usage: /msg NICK TEXT)'],
    ['/w bob', '/msg needs the text after the nick (usage: /msg NICK TEXT)'],
  ])('%j is missing an argument', (line, message) => {
    const error = problemOf(line);
    expect(error.problem).toBe('missing-argument');
    expect(error.message).toBe(message);
    expect(error.input).toBe(line);
  });

  it.each([
    ['/join a b', "/join takes one room, got 2 words 'a b' (usage: /join ROOM)"],
    ['/rooms now', "/rooms takes no argument, got 'now' (usage: /rooms)"],
    ['/quit please', "/quit takes no argument, got 'please' (usage: /quit)"],
  ])('%j has an argument too many', (line, message) => {
    const error = problemOf(line);
    expect(error.problem).toBe('extra-argument');
    expect(error.message).toBe(message);
  });

  it('checks rooms and nicks against the spec pattern and byte limits before anything is sent', () => {
    expect(problemOf('/join caf\u00e9').message).toBe(
      "/join: room 'caf\u00e9' must be letters, digits, '_' or '-' (pattern ^[A-Za-z0-9_-]+$) (usage: /join ROOM)",
    );
    expect(problemOf('/join #').message).toBe('/join: room must not be empty (usage: /join ROOM)');
    expect(parseCommand(`/join ${'r'.repeat(64)}`)).toEqual({ kind: 'join', room: 'r'.repeat(64) });
    expect(problemOf(`/join ${'r'.repeat(65)}`).message).toBe(
      '/join: room is 65 bytes of UTF-8; the chat protocol allows at most 64 (usage: /join ROOM)',
    );
    expect(problemOf('/msg b.o.b hi').message).toContain("nick 'b.o.b' must be letters");
    expect(parseCommand(`/msg ${'n'.repeat(32)} hi`)).toEqual({ kind: 'msg', to: 'n'.repeat(32), text: 'hi' });
    expect(problemOf(`/msg ${'n'.repeat(33)} hi`).message).toContain('nick is 33 bytes of UTF-8');
    expect(problemOf('/who a/b').problem).toBe('invalid-argument');
  });

  it('counts text in UTF-8 bytes, as the wire does', () => {
    // 1000 four-byte characters are exactly the 4000 bytes Text allows; one more byte is refused.
    const emoji = '\u{1f600}'.repeat(1000);
    expect(parseCommand(emoji)).toEqual({ kind: 'say', text: emoji });
    const over = problemOf(`${emoji}!`);
    expect(over.problem).toBe('invalid-argument');
    expect(over.message).toBe('text is 4001 bytes of UTF-8; the chat protocol allows at most 4000');
    expect(problemOf(`/msg bob ${'x'.repeat(4001)}`).message).toContain('text is 4001 bytes');
  });
});

describe('closestCommand', () => {
  it('completes a prefix and forgives up to two edits', () => {
    expect(closestCommand('wh')).toBe('who');
    expect(closestCommand('lave')).toBe('leave');
    expect(closestCommand('qiut')).toBe('quit');
    expect(closestCommand('hlep')).toBe('help');
    expect(closestCommand('zzzzzz')).toBeUndefined();
    expect(closestCommand('')).toBeUndefined();
    expect(closestCommand('j'.repeat(1000))).toBeUndefined();
  });
});

describe('helpLines', () => {
  it('lists every command with its usage and aliases', () => {
    const help = helpLines().join('\n');
    for (const usage of ['/join ROOM', '/leave [ROOM]', '/msg NICK TEXT', '/rooms', '/who [ROOM]', '/switch ROOM']) {
      expect(help).toContain(usage);
    }
    expect(help).toContain('(or /j)');
    expect(help).toContain('(or /w)');
  });
});
