import type { ClientOptions } from '@sockspec/client';
import { SockspecError } from '@sockspec/errors';
import { describe, expect, it } from 'vitest';
import { type ClientProgram, type LineSession, runClient } from '../src/index.js';
import { type FakeIO, fakeIO } from './fake-io.js';

interface FakeServer {
  options?: ClientOptions;
  sent: string[];
  maxInFlight: number;
  closedByClient: boolean;
}

/**
 * A session answering `reply:<text>` a tick later; `closeAfter` lines in,
 * it rejects like a server that hung up.
 */
function program(server: FakeServer, closeAfter = Number.POSITIVE_INFINITY): ClientProgram {
  return {
    name: 'test-client',
    description: 'a test client',
    defaultPort: 5678,
    async connect(options) {
      server.options = options;
      let inFlight = 0;
      let resolveClosed!: (error: Error | undefined) => void;
      const closed = new Promise<Error | undefined>((resolve) => {
        resolveClosed = resolve;
      });
      const session: LineSession = {
        request(text) {
          server.sent.push(text);
          const hungUp = server.sent.length > closeAfter;
          inFlight += 1;
          server.maxInFlight = Math.max(server.maxInFlight, inFlight);
          return new Promise((resolve, reject) => {
            setImmediate(() => {
              inFlight -= 1;
              if (hungUp) {
                resolveClosed(undefined);
                reject(new SockspecError('SOCKSPEC_CONNECTION_CLOSED', 'connection closed by 127.0.0.1:5678'));
              } else {
                resolve(`reply:${text}`);
              }
            });
          });
        },
        close: async () => {
          server.closedByClient = true;
          resolveClosed(undefined);
        },
        closed,
      };
      return session;
    },
  };
}

function newServer(): FakeServer {
  return { sent: [], maxInFlight: 0, closedByClient: false };
}

async function run(io: FakeIO, server: FakeServer, input: string, closeAfter?: number) {
  const exit = runClient(program(server, closeAfter), io);
  io.stdin.end(input);
  return { code: await exit, out: io.out(), err: io.err() };
}

describe('runClient in script mode (stdin is not a terminal)', () => {
  it('sends every line, empty ones included, and prints every reply in order', async () => {
    const server = newServer();
    const { code, out, err } = await run(fakeIO([]), server, 'one\r\n\nthree\n');
    expect({ code, out, err }).toEqual({ code: 0, out: 'reply:one\nreply:\nreply:three\n', err: '' });
    expect(server.sent).toEqual(['one', '', 'three']);
    expect(server.closedByClient).toBe(true);
    expect(server.options).toEqual({
      transport: 'tcp',
      host: '127.0.0.1',
      port: 5678,
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 10_000,
    });
  });

  it('keeps a bounded number of requests in flight on a long input', async () => {
    const server = newServer();
    const lines = Array.from({ length: 500 }, (_, index) => `line ${index}`);
    const { code, out } = await run(fakeIO([]), server, `${lines.join('\n')}\n`);
    expect(code).toBe(0);
    expect(out).toBe(lines.map((line) => `reply:${line}\n`).join(''));
    expect(server.maxInFlight).toBeGreaterThan(1);
    expect(server.maxInFlight).toBeLessThanOrEqual(64);
  });

  it('says the server closed the connection and exits 1 when it hangs up', async () => {
    const { code, out, err } = await run(fakeIO([]), newServer(), 'a\nb\nc\n', 1);
    expect(code).toBe(1);
    expect(out).toBe('reply:a\n');
    expect(err).toBe('test-client: server closed the connection\n');
  });

  it('a failed connection is one stderr line and exit status 1', async () => {
    const io = fakeIO(['--unix', '/nonexistent/x.sock', '--timeout-ms', '300']);
    const failing: ClientProgram = {
      ...program(newServer()),
      connect: async (options) => {
        expect(options).toMatchObject({ transport: 'unix', path: '/nonexistent/x.sock', connectTimeoutMs: 300 });
        throw new Error('connect ENOENT /nonexistent/x.sock');
      },
    };
    expect(await runClient(failing, io)).toBe(1);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      'test-client: cannot connect to unix:///nonexistent/x.sock: connect ENOENT /nonexistent/x.sock\n',
    );
  });

  it('rejects bad options with exit status 2 before connecting', async () => {
    const server = newServer();
    const io = fakeIO(['--timeout-ms', 'soon']);
    expect(await runClient(program(server), io)).toBe(2);
    expect(io.err()).toMatch(/--timeout-ms .*'soon'/);
    expect(server.options).toBeUndefined();
  });
});

describe('runClient on a terminal', () => {
  function terminal(env: Record<string, string> = {}): FakeIO {
    const io = fakeIO([], env);
    Object.assign(io.stdin, { isTTY: true });
    Object.assign(io.stdout, { isTTY: true });
    return io;
  }

  it('prompts, prints each reply and quits on an empty line', async () => {
    const server = newServer();
    const { code, out } = await run(terminal({ NO_COLOR: '1' }), server, 'hello\n\nnot sent\n');
    expect(code).toBe(0);
    expect(server.sent).toEqual(['hello']);
    expect(out).toContain('> ');
    expect(out).toContain('reply:hello\n');
    expect(out).not.toContain('\u001b[2m');
  });

  it('dims the prompt when colour is allowed', async () => {
    const { out } = await run(terminal(), newServer(), '\n');
    expect(out).toContain('\u001b[2m> \u001b[22m');
  });

  it('says the server closed the connection and exits 1', async () => {
    const { code, err } = await run(terminal(), newServer(), 'a\nb\n', 1);
    expect(code).toBe(1);
    expect(err).toBe('test-client: server closed the connection\n');
  });
});

describe('runClient transport options', () => {
  it.each([
    [['--transport', 'tls', '--ca', '/ca.pem'], { transport: 'tls', host: '127.0.0.1', tls: { ca: '/ca.pem' } }],
    [['--transport', 'tls'], { transport: 'tls', host: '127.0.0.1', port: 5678 }],
    [['--transport', 'websocket', '--ws-path', '/e'], { transport: 'websocket', websocket: { path: '/e' } }],
    [['--transport', 'unix-dgram', '--unix', '/tmp/s.sock'], { transport: 'unix-dgram', path: '/tmp/s.sock' }],
    [['--transport', 'udp6'], { transport: 'udp6', host: '::1', port: 5678 }],
  ])('%j connects with %j', async (argv, expected) => {
    const server = newServer();
    const { code } = await run(fakeIO(argv), server, 'x\n');
    expect(code).toBe(0);
    expect(server.options).toMatchObject(expected);
  });

  it('a client does not need a certificate for tls, but --cert needs --key', async () => {
    const server = newServer();
    const io = fakeIO(['--transport', 'tls', '--cert', '/c.pem']);
    expect(await runClient(program(server), io)).toBe(2);
    expect(io.err()).toMatch(/--cert and --key go together/);
    expect(server.options).toBeUndefined();
  });
});
