/**
 * The socket tutorials' own programs (../shared/seeds), rewritten call for
 * call in Python 3 under python/, against the shipped sockspec programs:
 * their clients against our servers, and their servers against our clients.
 * Loopback only; every process started here is stopped by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ListeningAddress,
  runProgram,
  runPythonScript,
  startServer,
  stopAllPrograms,
} from '@sockspec/app-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';

const PYTHON_DIR = fileURLToPath(new URL('../python/', import.meta.url));
const UTC = { TZ: 'UTC' };
/** ctime() as Python and sockspec-timestamp-server print it: "Thu Dec  3 12:40:00 2026". */
const CTIME = /\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}/;

const appDir = (name: string): string =>
  dirname(createRequire(import.meta.url).resolve(`@sockspec/app-${name}/package.json`));

const pythonServers: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of pythonServers.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'close');
    }
  }
  await stopAllPrograms();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Runs one of the tutorial clients to its end, stdin from `input`; stdout as its non-empty lines. */
async function runPython(script: string, args: readonly string[], input = '') {
  const run = await runPythonScript(join(PYTHON_DIR, script), args, { input, env: UTC });
  return { ...run, stdout: run.stdout.split('\n').filter((line) => line !== '') };
}

/** Starts one of the tutorial servers; resolves with its port once it printed "listening <port>". */
async function startPythonServer(script: string): Promise<number> {
  const child = spawn('python3', [join(PYTHON_DIR, script)], {
    env: { ...process.env, ...UTC },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  pythonServers.push(child);
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const match = /^listening (\d+)/.exec(chunk.toString('utf8'));
  if (match === null) throw new Error(`${script} printed ${JSON.stringify(chunk.toString('utf8'))}`);
  return Number(match[1]);
}

const tcp = (address: ListeningAddress): [string, string] => {
  if ('path' in address) throw new Error('expected a tcp address');
  return [address.host, String(address.port)];
};

const ourServer = async (app: string, args: readonly string[]) =>
  (await startServer({ cwd: appDir(app), script: 'src/server.ts', args, env: UTC })).address;

describe("the tutorials' clients against the sockspec servers", () => {
  it("echo_client.py, driven through a pipe, against sockspec-echo-server --prefix 'echo '", async () => {
    const address = await ourServer('echo', ['--port', '0', '--prefix', 'echo ']);
    const run = await runPython('echo_client.py', tcp(address), 'hello\nw\u00f6rld ✓\n\n');
    expect(run.stderr).toBe('');
    expect(run.stdout).toEqual([
      'message: sent: hello',
      'received: echo hello',
      'message: sent: w\u00f6rld ✓',
      'received: echo w\u00f6rld ✓',
      'message: ',
    ]);
  });

  it('multiconn_client.py (connect_ex + selectors, two connections) against sockspec-echo-server', async () => {
    const address = await ourServer('echo', ['--port', '0']);
    const run = await runPython('multiconn_client.py', tcp(address));
    expect(run.code).toBe(0);
    const sent = 'Message 1 from clientMessage 2 from client';
    const connections = run.stdout.map((line) => JSON.parse(line) as { connection: number; received: string });
    expect(connections.map(({ connection }) => connection)).toEqual([1, 2]);
    // The client closes on its first read after its last send, so it may see one echo or both, merged or not.
    for (const { received } of connections) {
      expect(received.length).toBeGreaterThan(0);
      expect(sent.startsWith(received)).toBe(true);
    }
  });

  // Not serial: like the tutorial's own blocking echo server, it serves one connection at a time, and this client
  // waits on its second socket while the first is still open.
  it.each([['async'], ['threads']])(
    "select_client.py's four sockets against sockspec-echo-server --concurrency %s",
    async (model) => {
      const address = await ourServer('echo', ['--port', '0', '--concurrency', model]);
      const run = await runPython('select_client.py', tcp(address));
      expect(run.code).toBe(0);
      const expected = ['This is the message', 'It will be sent', 'in parts '].flatMap((message, round) =>
        [1, 2, 3, 4].map((n) => `received ${message} version ${round * 4 + n}`),
      );
      expect(run.stdout).toEqual(expected.map((line) => line.trimEnd()));
    },
  );

  it('threading_client.py (ThreadingMixIn example) against sockspec-echo-server --concurrency threads', async () => {
    const address = await ourServer('echo', ['--port', '0', '--concurrency', 'threads']);
    const run = await runPython('threading_client.py', tcp(address));
    expect(run.stdout).toEqual(['Received: Hello World 1', 'Received: Hello World 2', 'Received: Hello World 3']);
  });

  it('timestamp_client.py (a connection per line, "%s\\r\\n") against sockspec-timestamp-server', async () => {
    const address = await ourServer('timestamp', ['--port', '0']);
    const run = await runPython('timestamp_client.py', tcp(address), 'hello\nsecond line\n\n');
    expect(run.code).toBe(0);
    // Each answer follows its ">" prompt; the last prompt met the empty line that quits.
    expect(run.stdout).toHaveLength(3);
    expect(run.stdout[0]).toMatch(new RegExp(`^>\\[${CTIME.source}\\] hello$`));
    expect(run.stdout[1]).toMatch(new RegExp(`^>\\[${CTIME.source}\\] second line$`));
    expect(run.stdout[2]).toBe('>');
  });

  it.each([
    ['udp', '127.0.0.1', 'async'],
    ['udp', '127.0.0.1', 'serial'],
    ['udp6', '::1', 'serial'],
  ])(
    'udp_client.py (sendto/recvfrom) against sockspec-echo-server over %s at %s, %s',
    async (transport, host, model) => {
      const address = await ourServer('echo', [
        '--transport',
        transport,
        '--host',
        host,
        '--port',
        '0',
        '--concurrency',
        model,
      ]);
      const run = await runPython('udp_client.py', [...tcp(address), 'hi', 'there'], '');
      expect(run.stderr).toBe('');
      expect(run.stdout).toEqual(["b'hi'", "b'there'"]);
    },
  );

  it('unix_client.py (AF_UNIX stream) against sockspec-echo-server --unix', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sockspec-seeds-'));
    dirs.push(dir);
    const path = join(dir, 'echo.sock');
    await ourServer('echo', ['--transport', 'unix', '--unix', path]);
    const run = await runPython('unix_client.py', [path, 'over a unix socket', 'again']);
    expect(run.stdout).toEqual(["b'over a unix socket'", "b'again'"]);
  });
});

describe("the tutorials' servers against the sockspec clients", () => {
  const ourClient = (app: string, port: number, input: string) =>
    runProgram({ cwd: appDir(app), script: 'src/client.ts', args: ['--port', String(port)], input, env: UTC });

  it.each([['echo_server.py'], ['select_server.py']])('sockspec-echo-client against %s', async (script) => {
    const port = await startPythonServer(script);
    const result = await ourClient('echo', port, 'hello\nsecond\n');
    const expected = script === 'echo_server.py' ? ['echo hello', 'echo second'] : ['hello', 'second'];
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 0,
      stdout: expected,
      stderr: [],
    });
  });

  it('sockspec-echo-client against threading_server.py, whose answer names the thread', async () => {
    const port = await startPythonServer('threading_server.py');
    const result = await ourClient('echo', port, 'hello\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toHaveLength(1);
    expect(result.stdout[0]).toMatch(/^Thread-\d+.*: hello$/);
  });

  it('sockspec-timestamp-client against timestamp_server.py (one line per connection)', async () => {
    const port = await startPythonServer('timestamp_server.py');
    const result = await ourClient('timestamp', port, 'what time is it?\n');
    expect(result.stderr).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toHaveLength(1);
    expect(result.stdout[0]).toMatch(new RegExp(`^\\[${CTIME.source}\\] what time is it\\?$`));
  });

  it('sockspec-greeting-client against greeting_server.py', async () => {
    const port = await startPythonServer('greeting_server.py');
    const result = await ourClient('greeting', port, '');
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 0,
      stdout: ['Thank you for connecting'],
      stderr: [],
    });
  });
});
