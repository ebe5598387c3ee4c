/**
 * The program-level tests every line server/client pair must pass, written
 * once: each app runs them against its own programs and adds what is
 * specific to its protocol. Real processes, real sockets, loopback only.
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectTo,
  exchange,
  type ListeningAddress,
  runProgram,
  runPythonClient,
  startServer,
  stopAllPrograms,
} from './harness.js';
import { SERVER_CLOSED_MESSAGE } from './run-client.js';

export interface LineProgramSuite {
  /** The protocol name, as in `sockspec-<protocol>-server`. */
  readonly protocol: string;
  /** The app folder holding the programs. */
  readonly cwd: string;
  /** The programs' entry scripts in `cwd`; default `src/server.ts` and `src/client.ts`. */
  readonly scripts?: { readonly server: string; readonly client: string };
  /** The spec's maxFrameBytes. */
  readonly maxFrameBytes: number;
  /** Environment for the programs (the timestamp tests pin TZ). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Asserts that `reply` (one line, without its line ending) answers `line`.
   * `ctimes` is what Python's time.ctime() printed during the request, when
   * the peer was the Python client.
   */
  expectReply(line: string, reply: string, ctimes?: readonly string[]): void;
}

const PIPELINED = ['first', 'second', 'third with spaces', 'fourth'];

export function describeLineProgram(suite: LineProgramSuite): void {
  const tempDirs: string[] = [];
  const sockets: Socket[] = [];
  const servers: Server[] = [];
  const scripts = suite.scripts ?? { server: 'src/server.ts', client: 'src/client.ts' };
  const server = (args: readonly string[]) => startServer({ cwd: suite.cwd, script: scripts.server, args, ...env() });
  const env = () => (suite.env === undefined ? {} : { env: suite.env });
  const client = (args: readonly string[], input: string) =>
    runProgram({ cwd: suite.cwd, script: scripts.client, args, input, ...env() });
  const socketArgs = (address: ListeningAddress): string[] =>
    'path' in address
      ? ['--transport', address.transport, '--unix', address.path]
      : ['--transport', address.transport, '--host', address.host, '--port', String(address.port)];
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), `sockspec-${suite.protocol}-`));
    tempDirs.push(dir);
    return dir;
  };
  const open = (address: ListeningAddress): Socket => {
    const socket = connectTo(address);
    sockets.push(socket);
    return socket;
  };
  const expectReplies = (lines: readonly string[], text: string, ctimes?: readonly string[]): void => {
    expect(text.endsWith('\n')).toBe(true);
    const replies = text.slice(0, -1).split('\n');
    expect(replies).toHaveLength(lines.length);
    lines.forEach((line, index) => {
      suite.expectReply(line, replies[index]!, ctimes);
    });
  };

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    await stopAllPrograms();
    await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  describe(`sockspec-${suite.protocol}-server`, () => {
    it('--port 0 prints exactly one listening line with a real port, answers, and exits 0 on SIGTERM', async () => {
      const { program, address } = await server(['--port', '0']);
      expect(address).toMatchObject({ transport: 'tcp', host: '127.0.0.1' });
      expect(address.transport === 'tcp' && address.port > 0).toBe(true);
      expectReplies(['hello'], await exchange(open(address), 'hello\n', 1));
      expect(await program.signal('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(program.stdout).toEqual([`listening ${address.url}`]);
    });

    it('serves tcp6 on ::1 and exits 0 on SIGINT', async () => {
      const { program, address } = await server(['--transport', 'tcp6', '--port', '0']);
      expect(address).toMatchObject({ transport: 'tcp6', host: '::1' });
      expect(address.url).toMatch(/^tcp6:\/\/\[::1\]:\d+$/);
      expectReplies(['over IPv6'], await exchange(open(address), 'over IPv6\n', 1));
      expect(await program.signal('SIGINT')).toEqual({ code: 0, signal: null });
    });

    it.each(['SIGTERM', 'SIGINT'] as const)('--unix serves a socket file and %s removes it, exit 0', async (signal) => {
      const path = join(await tempDir(), `${suite.protocol}.sock`);
      const { program, address } = await server(['--unix', path]);
      expect(address.url).toBe(`unix://${path}`);
      expect(existsSync(path)).toBe(true);
      expectReplies(['over unix'], await exchange(open(address), 'over unix\n', 1));
      expect(await program.signal(signal)).toEqual({ code: 0, signal: null });
      expect(existsSync(path)).toBe(false);
      expect(program.stdout).toEqual([`listening unix://${path}`]);
    });

    it.each([
      [['--port', 'http'], /'http'/],
      [['--transport', 'sctp'], /sctp/],
      [['--transport', 'unix'], /--unix <path>/],
      [['--drain-ms', 'later'], /--drain-ms/],
    ])('%j: one-line error on stderr, nothing on stdout, exit 2', async (args, message) => {
      const result = await runProgram({ cwd: suite.cwd, script: scripts.server, args });
      expect(result.code).toBe(2);
      expect(result.stdout).toEqual([]);
      expect(result.stderr).toHaveLength(1);
      expect(result.stderr[0]).toMatch(message);
    });

    it('disconnects a peer whose line passes maxFrameBytes, logs one line, and keeps answering another client', async () => {
      const { program, address } = await server(['--port', '0']);
      const bystander = open(address);
      const flooder = open(address);
      await Promise.all([once(bystander, 'connect'), once(flooder, 'connect')]);
      const flooderClosed = once(flooder, 'close');
      // No newline anywhere: the server must give up before buffering all of it.
      flooder.write('x'.repeat(suite.maxFrameBytes + 1024));
      await flooderClosed;
      expect(await program.stderrLine(0)).toMatch(new RegExp(String(suite.maxFrameBytes)));
      expectReplies(['still served'], await exchange(bystander, 'still served\n', 1));
      expect(program.stderr).toHaveLength(1);
    });
  });

  describe(`sockspec-${suite.protocol}-server with the Python socket client`, () => {
    it.each(['tcp', 'unix'] as const)('answers one line over %s', async (transport) => {
      const path = transport === 'unix' ? join(await tempDir(), 'py.sock') : undefined;
      const { address } = await server(path === undefined ? ['--port', '0'] : ['--unix', path]);
      const result = await runPythonClient({ ...pythonAddress(address), sends: ['hello\n'], lines: 1 }, suite.env);
      expect(result.closed).toBe(false);
      expectReplies(['hello'], result.text, result.ctimes);
    });

    it('answers several lines sent in one sendall, in order', async () => {
      const { address } = await server(['--port', '0']);
      const result = await runPythonClient(
        { ...pythonAddress(address), sends: [PIPELINED.map((line) => `${line}\n`).join('')], lines: PIPELINED.length },
        suite.env,
      );
      expectReplies(PIPELINED, result.text, result.ctimes);
    });

    it('answers a line split across two sends, and only once it is complete', async () => {
      const path = join(await tempDir(), 'split.sock');
      const { address } = await server(['--unix', path]);
      const result = await runPythonClient(
        { ...pythonAddress(address), sends: ['split ac', 'ross two sends\n'], lines: 1 },
        suite.env,
      );
      expectReplies(['split across two sends'], result.text, result.ctimes);
    });
  });

  describe(`sockspec-${suite.protocol}-client`, () => {
    it.each(['tcp', 'unix'] as const)(
      'pipes stdin lines to the server over %s and prints each reply',
      async (transport) => {
        const path = transport === 'unix' ? join(await tempDir(), 'client.sock') : undefined;
        const { address } = await server(path === undefined ? ['--port', '0'] : ['--unix', path]);
        const result = await client(socketArgs(address), `${PIPELINED.join('\n')}\n`);
        expect(result.stderr).toEqual([]);
        expect(result.code).toBe(0);
        expectReplies(PIPELINED, `${result.stdout.join('\n')}\n`);
      },
    );

    it('with empty input connects, prints nothing and exits 0', async () => {
      const { address } = await server(['--port', '0']);
      expect(await client(socketArgs(address), '')).toMatchObject({ code: 0, stdout: [], stderr: [] });
    });

    it('cannot connect: one line on stderr, exit 1', async () => {
      const path = join(await tempDir(), 'nobody-listens.sock');
      const result = await client(['--unix', path, '--timeout-ms', '2000'], 'hello\n');
      expect(result.code).toBe(1);
      expect(result.stdout).toEqual([]);
      expect(result.stderr).toHaveLength(1);
      expect(result.stderr[0]).toMatch(new RegExp(`^sockspec-${suite.protocol}-client: .*connect`));
      expect(result.stderr[0]).toContain(`unix://${path}`);
    });

    it('says the server closed the connection and exits 1', async () => {
      // A server that reads the first line and hangs up, as a crashed or stopped server would.
      const hangUp = createServer((socket) => {
        socket.once('data', () => socket.end());
        socket.on('error', () => undefined);
      });
      servers.push(hangUp);
      await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
      const { port } = hangUp.address() as { port: number };
      const result = await client(['--port', String(port)], 'hello\nnever answered\n');
      expect(result.code).toBe(1);
      expect(result.stdout).toEqual([]);
      expect(result.stderr).toEqual([`sockspec-${suite.protocol}-client: ${SERVER_CLOSED_MESSAGE}`]);
    });
  });
}

function pythonAddress(address: ListeningAddress) {
  return 'path' in address
    ? { unix: address.path }
    : {
        host: address.host,
        port: address.port,
        family: address.transport === 'tcp6' ? ('inet6' as const) : ('inet' as const),
      };
}
