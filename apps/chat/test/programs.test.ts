import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  type ListeningAddress,
  runProgram,
  startProgram,
  startServer,
  stopAllPrograms,
} from '@sockspec/app-kit/testing';
import { createClient } from '@sockspec/protocol-chat';
import { afterEach, describe, expect, it } from 'vitest';
import { unescapeField } from '../src/render.js';
import { asStarted, closeAll, Peer, type TestTransport, tempDir } from './helpers.js';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const chatClientPy = fileURLToPath(new URL('../python/chat_client.py', import.meta.url));

afterEach(async () => {
  await stopAllPrograms();
  await closeAll();
});

async function startServerProgram(transport: TestTransport, args: string[] = []) {
  const where = transport === 'unix' ? ['--unix', join(await tempDir(), 'chat.sock')] : ['--port', '0'];
  return startServer({ cwd, script: 'src/server.ts', args: [...where, ...args] });
}

function endpointArgs(address: ListeningAddress): string[] {
  return 'path' in address ? ['--unix', address.path] : ['--port', String(address.port)];
}

/** The Python peer's address fields. */
function pythonPeer(address: ListeningAddress): Record<string, unknown> {
  return 'path' in address ? { unix: address.path } : { host: address.host, port: address.port };
}

function runChat(address: ListeningAddress, args: string[], input: string) {
  return runProgram({
    cwd,
    script: 'src/client.ts',
    args: [...endpointArgs(address), ...args],
    input,
    timeoutMs: 20_000,
  });
}

describe('sockspec-chat-server flood protection', () => {
  it('slows a connection that says 100 lines at once to 20 a second (40 at once), and delivers every line', async () => {
    const { address } = await startServerProgram('tcp');
    const started = asStarted(address);
    const listener = await Peer.join(started, 'listener', 'general');
    const flooder = await Peer.join(started, 'flooder', 'general');
    const heard = () => listener.pushes.filter((message) => message.type === 'Said').length;
    const sending = performance.now();
    const sent = Array.from({ length: 100 }, (_, i) =>
      flooder.client.say({ room: 'general', text: `line ${i}` }, { timeoutMs: 20_000 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // After one second: the burst (40, less the Join) and about 20 more; without the limit all 100.
    expect(heard()).toBeGreaterThanOrEqual(30);
    expect(heard()).toBeLessThanOrEqual(70);
    await Promise.all(sent);
    // The last Said may reach the listener just after the flooder's last Ok.
    await expect.poll(heard, { timeout: 2000 }).toBe(100);
    // 61 lines past the burst at 20 a second take at least 3 s.
    expect(performance.now() - sending).toBeGreaterThanOrEqual(2900);
  }, 20_000);
});

describe('sockspec-chat (script mode: stdin and stdout are pipes)', () => {
  it.each<TestTransport>(['tcp', 'unix'])(
    'over %s runs each line as a command, prints tab-separated events and exits 0 at the end of input',
    async (transport) => {
      const { address } = await startServerProgram(transport);
      const listener = await Peer.join(asStarted(address), 'listener', 'general');
      const input = [
        'hello there',
        '/who',
        '/j random',
        '/rooms',
        '/switch general',
        'tab\there',
        '/msg listener psst',
        '',
      ];
      const result = await runChat(address, ['--nick', 'bot', '--room', '#general'], input.join('\n'));
      expect(result.stderr).toEqual([]);
      expect(result.code).toBe(0);
      const lines = result.stdout.map((line) => line.split('\t'));
      expect(lines[0]).toEqual(['joined', '#general', 'bot']);
      expect(lines[1]!.slice(0, 4)).toEqual(['said', '#general', 'bot', 'hello there']);
      expect(Number.isNaN(Date.parse(lines[1]![4]!))).toBe(false);
      expect(result.stdout.slice(2, 5)).toEqual([
        'members\t#general\t2',
        'member\t#general\tbot',
        'member\t#general\tlistener',
      ]);
      expect(result.stdout.slice(5, 9)).toEqual([
        'joined\t#random\tbot',
        'rooms\t2',
        'room\t#general\t2',
        'room\t#random\t1',
      ]);
      expect(result.stdout[9]).toBe('switched\t#general');
      expect(lines[10]!.slice(0, 3)).toEqual(['said', '#general', 'bot']);
      expect(unescapeField(lines[10]![3]!)).toBe('tab\there');
      expect(result.stdout[11]).toBe('whisper-sent\tlistener\tpsst');
      expect(result.stdout).toHaveLength(12);

      await listener.said('general', 'hello there');
      await listener.said('general', 'tab\there');
      const whisper = await listener.waitFor(
        'Whispered',
        (m): m is Extract<typeof m, { type: 'Whispered' }> => m.type === 'Whispered',
      );
      expect(whisper).toMatchObject({ from: 'bot', text: 'psst' });
      // The program left: the room is told.
      await listener.waitFor(
        'Left bot',
        (m): m is Extract<typeof m, { type: 'Left' }> => m.type === 'Left' && m.nick === 'bot',
      );
    },
  );

  it('prints what others say while it waits for input, and leaves when the input ends', async () => {
    const { address } = await startServerProgram('tcp');
    const talker = await Peer.join(asStarted(address), 'talker', 'general');
    const program = startProgram({
      cwd,
      script: 'src/client.ts',
      args: [...endpointArgs(address), '--nick', 'bot', '--room', 'general'],
    });
    await program.waitFor('joined line', () => (program.stdout[0] === 'joined\t#general\tbot' ? true : undefined));
    await talker.client.say({ room: 'general', text: 'welcome bot' });
    const line = await program.waitFor('said line', () => program.stdout[1]);
    expect(line.split('\t').slice(0, 4)).toEqual(['said', '#general', 'talker', 'welcome bot']);
    program.send('');
    expect(await program.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 1 with a clear message when the server refuses the join', async () => {
    const { address } = await startServerProgram('tcp');
    await Peer.join(asStarted(address), 'alice', 'general');
    const result = await runChat(address, ['--nick', 'alice', '--room', 'general'], 'hello\n');
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toEqual([
      "sockspec-chat: cannot join #general as 'alice': nick 'alice' is taken by someone else; pick another",
    ]);
  });

  it('reports each bad or refused line on stderr, runs the rest, and exits 1', async () => {
    const { address } = await startServerProgram('tcp');
    const input = [
      '/jion general',
      'too early',
      '/join general',
      '/msg nobody hi',
      '/who #empty',
      'still running',
      '/quit',
      'never sent',
    ];
    const result = await runChat(address, ['--nick', 'bot'], input.join('\n'));
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([
      "sockspec-chat: line 1: unknown command '/jion'; did you mean /join? (/help lists the commands; start a line with // to say it as text)",
      'sockspec-chat: line 2: you are in no room: /join ROOM first (notJoined)',
      "sockspec-chat: line 4: nobody is called 'nobody' (noSuchNick)",
      'sockspec-chat: line 5: no room #empty: nobody is in it (noSuchRoom)',
    ]);
    expect(result.stdout.map((line) => line.split('\t').slice(0, 4))).toEqual([
      ['joined', '#general', 'bot'],
      ['said', '#general', 'bot', 'still running'],
    ]);
  });

  it('refuses a nick outside the spec pattern with exit status 2 before connecting', async () => {
    const result = await runProgram({ cwd, script: 'src/client.ts', args: ['--port', '1', '--nick', 'bad nick'] });
    expect(result.code).toBe(2);
    expect(result.stderr).toEqual([
      "sockspec-chat: error: nick 'bad nick' must be letters, digits, '_' or '-' (pattern ^[A-Za-z0-9_-]+$)",
    ]);
    const missing = await runProgram({ cwd, script: 'src/client.ts', args: ['--port', '1'] });
    expect(missing.code).toBe(2);
    expect(missing.stderr.join('\n')).toContain("required option '--nick <nick>' not specified");
  });

  it('exits 1 naming the endpoint when nothing listens there', async () => {
    const dir = await tempDir();
    const result = await runProgram({
      cwd,
      script: 'src/client.ts',
      args: ['--unix', join(dir, 'none.sock'), '--nick', 'bot'],
    });
    expect(result.code).toBe(1);
    expect(result.stderr.join('\n')).toContain('none.sock');
  });
});

describe('sockspec-chat-server', () => {
  it('refuses --concurrency processes, which would split rooms between workers', async () => {
    const result = await runProgram({
      cwd,
      script: 'src/server.ts',
      args: ['--port', '0', '--concurrency', 'processes', '--workers', '2'],
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual([]);
    expect(result.stderr.join('\n')).toContain('--concurrency processes would split rooms and nicks between workers');
  });

  it('stops cleanly on SIGTERM', async () => {
    const { program } = await startServerProgram('tcp');
    expect(await program.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});

interface PythonRun {
  /** Every message the Python peer printed, in order. */
  readonly messages: Record<string, unknown>[];
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs python/chat_client.py; `onMessage` sees each message it prints as it prints it. */
function runPython(
  request: Record<string, unknown>,
  onMessage: (message: Record<string, unknown>) => void = () => undefined,
) {
  const child = spawn('python3', [chatClientPy, JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    messages.push(message);
    onMessage(message);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise<PythonRun>((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ messages, code, stderr });
    });
  });
}

describe('interop: a Python peer written with socket + struct from the spec layout', () => {
  it.each<TestTransport>(['tcp', 'unix'])('over %s joins, says and receives its own broadcast', async (transport) => {
    const { address } = await startServerProgram(transport);
    const peer = pythonPeer(address);
    const watcher = await Peer.join(asStarted(address), 'watcher', 'general');
    const run = await runPython({ ...peer, nick: 'py', room: 'general', says: ['h\u00e9llo from python'], said: 1 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.messages[0]).toEqual({ type: 'Joined', id: 1, room: 'general', nick: 'py' });
    const said = run.messages.find((message) => message.type === 'Said');
    expect(said).toMatchObject({ room: 'general', nick: 'py', text: 'h\u00e9llo from python' });
    expect(Math.abs((said!.at as number) - Date.now())).toBeLessThan(10_000);
    expect(run.messages).toContainEqual({ type: 'Ok', id: 2 });
    const heard = await watcher.said('general', 'h\u00e9llo from python');
    expect(heard.at.getTime()).toBe(said!.at);
  });

  it('receives a Said sent by a TypeScript client', async () => {
    const { address } = await startServerProgram('tcp');
    const ts = await createClient(asStarted(address).endpoint);
    try {
      await ts.join({ nick: 'ts', room: 'general' });
      const run = await runPython({ ...pythonPeer(address), nick: 'py', room: 'general', said: 1 }, (message) => {
        if (message.type === 'Joined' && message.id === 1) void ts.say({ room: 'general', text: 'hello, python' });
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.messages.at(-1)).toMatchObject({
        type: 'Said',
        id: 0,
        room: 'general',
        nick: 'ts',
        text: 'hello, python',
      });
    } finally {
      await ts.close();
    }
  });

  it('exits 4 when its join is refused', async () => {
    const { address } = await startServerProgram('tcp');
    await Peer.join(asStarted(address), 'py', 'general');
    const run = await runPython({ ...pythonPeer(address), nick: 'py', room: 'x' });
    expect(run.code).toBe(4);
    expect(run.messages).toEqual([
      { type: 'Failed', id: 1, reason: 'nickTaken', text: "nick 'py' is taken by someone else; pick another" },
    ]);
    expect(run.stderr).toContain('join refused: nickTaken');
  });
});
