import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import type { ProgramIO } from '@sockspec/app-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { runChatClient } from '../src/client-program.js';
import { closeAll, Peer, startChatServer } from './helpers.js';

afterEach(closeAll);

/** A terminal as readline sees one: TTY streams, 80 columns; what was written is kept as text. */
function fakeTerminal(argv: string[], env: Record<string, string> = {}) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 24 });
  const stderr = new PassThrough();
  let shown = '';
  let errors = '';
  const waiters = new Set<() => void>();
  stdout.setEncoding('utf8').on('data', (chunk: string) => {
    shown += chunk;
    for (const waiter of waiters) waiter();
  });
  stderr.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk;
  });
  const io: ProgramIO = {
    argv,
    stdin,
    stdout,
    stderr,
    env,
    signals: new EventEmitter(),
    exit: () => {
      throw new Error('exit() is not expected here');
    },
  };
  return {
    io,
    type: (line: string) => stdin.write(`${line}\r`),
    /** Everything shown so far, escape sequences removed. */
    text: () => stripVTControlCharacters(shown),
    raw: () => shown,
    errors: () => errors,
    /** Resolves once the shown text matches `pattern`. */
    until(pattern: RegExp, timeoutMs = 5000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(stripVTControlCharacters(shown))) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `${pattern} not shown within ${timeoutMs} ms; shown: ${JSON.stringify(stripVTControlCharacters(shown))}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

describe('sockspec-chat on a terminal', () => {
  it('prompts with the current room, shows [HH:MM] <nick> lines, prints others above the prompt and quits on /quit', async () => {
    const server = await startChatServer('tcp');
    const bob = await Peer.join(server, 'bob', 'general');
    const terminal = fakeTerminal(['--port', String(server.address.port), '--nick', 'alice'], { NO_COLOR: '1' });
    const exit = runChatClient(terminal.io);
    await terminal.until(/connected as alice; \/help lists the commands/);
    await terminal.until(/> $/);

    terminal.type('/join general');
    await terminal.until(/\[\d\d:\d\d\] --> alice joined #general/);
    await terminal.until(/#general> $/);
    terminal.type('hello bob');
    await terminal.until(/\[\d\d:\d\d\] <alice> hello bob/);
    await bob.said('general', 'hello bob');

    await bob.client.say({ room: 'general', text: 'hi \u001b[31malice' });
    await terminal.until(/\[\d\d:\d\d\] <bob> hi \u241b\[31malice\n#general> $/);

    terminal.type('/jion random');
    await terminal.until(/error: unknown command '\/jion'; did you mean \/join\?/);
    terminal.type('/msg nobody hi');
    await terminal.until(/error: nobody is called 'nobody'/);

    terminal.type('/quit');
    expect(await exit).toBe(0);
    expect(terminal.errors()).toBe('');
    // NO_COLOR: readline moves the cursor, but no colour (SGR) sequence is ever written.
    expect(terminal.raw()).not.toMatch(/\u001b\[\d+(;\d+)*m/);
    await bob.waitFor(
      'Left alice',
      (m): m is Extract<typeof m, { type: 'Left' }> => m.type === 'Left' && m.nick === 'alice',
    );
  });

  it('colours on a terminal when NO_COLOR is unset', async () => {
    const server = await startChatServer('tcp');
    const terminal = fakeTerminal(['--port', String(server.address.port), '--nick', 'alice', '--room', 'general']);
    const exit = runChatClient(terminal.io);
    await terminal.until(/#general> $/);
    terminal.type('coloured');
    await terminal.until(/<alice> coloured/);
    expect(terminal.raw()).toMatch(/\u001b\[1m/);
    terminal.type('/quit');
    expect(await exit).toBe(0);
  });

  it('says so and exits 1 when the server goes away', async () => {
    const server = await startChatServer('tcp', { idleTimeoutMs: 200 });
    const terminal = fakeTerminal(['--port', String(server.address.port), '--nick', 'alice'], { NO_COLOR: '1' });
    expect(await runChatClient(terminal.io)).toBe(1);
    expect(terminal.errors()).toBe('sockspec-chat: server closed the connection\n');
  });
});
