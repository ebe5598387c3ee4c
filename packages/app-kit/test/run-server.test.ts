import type { ServerOptions, ShutdownOptions } from '@sockspec/server';
import type { BoundAddress } from '@sockspec/transport';
import { describe, expect, it } from 'vitest';
import { runServer, type ServerProgram } from '../src/index.js';
import { fakeIO } from './fake-io.js';

interface Recorded {
  options?: ServerOptions;
  shutdown?: ShutdownOptions | undefined;
  onListen?: () => void;
}

function program(recorded: Recorded, listen?: () => Promise<BoundAddress>): ServerProgram {
  return {
    name: 'test-server',
    description: 'a test server',
    defaultPort: 5678,
    createServer(options) {
      recorded.options = options;
      return {
        listen:
          listen ??
          (async () => {
            recorded.onListen?.();
            return { transport: 'tcp', host: '127.0.0.1', port: 40123, url: 'tcp://127.0.0.1:40123' };
          }),
        shutdown: async (shutdown) => {
          recorded.shutdown = shutdown;
        },
      };
    },
  };
}

/** Runs the server and sends `signal` once it printed its listening line. */
async function runUntil(argv: string[], signal: string, recorded: Recorded = {}) {
  const io = fakeIO(argv);
  recorded.onListen = () => queueMicrotask(() => io.signals.emit(signal));
  const code = await runServer(program(recorded), io);
  return { code, out: io.out(), err: io.err(), recorded };
}

describe('runServer', () => {
  it('prints exactly one listening line, then shuts down on SIGTERM with the default drain', async () => {
    const { code, out, err, recorded } = await runUntil([], 'SIGTERM');
    expect(code).toBe(0);
    expect(out).toBe('listening tcp://127.0.0.1:40123\n');
    expect(err).toBe('test-server: SIGTERM, shutting down\n');
    expect(recorded.options).toMatchObject({ transport: 'tcp', host: '127.0.0.1', port: 5678 });
    expect(recorded.shutdown).toEqual({ drainMs: 5000 });
  });

  it('passes --drain-ms, --idle-timeout-ms (0 = none) and tcp6 defaults through', async () => {
    const { code, recorded } = await runUntil(
      ['--transport', 'tcp6', '--port', '0', '--drain-ms', '250', '--idle-timeout-ms', '0'],
      'SIGINT',
    );
    expect(code).toBe(0);
    expect(recorded.options).toMatchObject({ transport: 'tcp6', host: '::1', port: 0, idleTimeoutMs: null });
    expect(recorded.shutdown).toEqual({ drainMs: 250 });
  });

  it('passes --frame-timeout-ms (0 = none), --handshake-timeout-ms (websocket) and --max-connections-per-ip through', async () => {
    const { recorded } = await runUntil(
      ['--transport', 'websocket', '--port', '0', '--frame-timeout-ms', '0', '--handshake-timeout-ms', '2500'],
      'SIGINT',
    );
    expect(recorded.options).toMatchObject({ transport: 'websocket', frameTimeoutMs: null, handshakeTimeoutMs: 2500 });
    const perIp = await runUntil(['--max-connections-per-ip', '8'], 'SIGINT');
    expect(perIp.recorded.options).toMatchObject({ maxConnectionsPerAddress: 8 });
  });

  it('--message-rate and --message-burst set the rate; a program default applies unless --message-rate 0', async () => {
    const explicit = await runUntil(['--message-rate', '20', '--message-burst', '5'], 'SIGINT');
    expect(explicit.recorded.options).toMatchObject({ messageRate: { perSecond: 20, burst: 5 } });
    expect((await runUntil([], 'SIGINT')).recorded.options).not.toHaveProperty('messageRate');

    const chatty = async (argv: string[]) => {
      const io = fakeIO(argv);
      const recorded: Recorded = { onListen: () => queueMicrotask(() => io.signals.emit('SIGINT')) };
      await runServer({ ...program(recorded), defaultMessageRate: { perSecond: 20, burst: 40 } }, io);
      return recorded.options;
    };
    expect(await chatty([])).toMatchObject({ messageRate: { perSecond: 20, burst: 40 } });
    expect(await chatty(['--message-rate', '5'])).toMatchObject({ messageRate: { perSecond: 5 } });
    expect((await chatty(['--message-rate', '5']))?.messageRate).not.toHaveProperty('burst');
    expect(await chatty(['--message-rate', '0'])).not.toHaveProperty('messageRate');
  });

  it('--unix implies the unix transport', async () => {
    const { recorded } = await runUntil(['--unix', '/tmp/x.sock', '--idle-timeout-ms', '1500'], 'SIGTERM');
    expect(recorded.options).toMatchObject({ transport: 'unix', path: '/tmp/x.sock', idleTimeoutMs: 1500 });
    expect(recorded.options).not.toHaveProperty('port');
  });

  it.each([
    [['--port', 'abc'], /--port .*expected a port number from 0 to 65535, got 'abc'/],
    [['--port', '65536'], /got '65536'/],
    [['--transport', 'sctp'], /--transport.*sctp.*tcp, tcp6, unix, udp, udp6, unix-dgram, tls, websocket/],
    [['--transport', 'unix'], /--transport unix needs a socket path/],
    [['--unix', '/tmp/x.sock', '--port', '1'], /do not apply to a Unix socket/],
    [['--unix', '/tmp/x.sock', '--transport', 'tcp'], /--unix cannot be combined with --transport tcp/],
    [['--drain-ms', '-1'], /unknown option|--drain-ms/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--message-burst', '10'], /--message-burst needs a --message-rate/],
    [
      ['--message-rate', 'fast'],
      /--message-rate .*expected a whole number of messages per second from 0 to 1000000, got 'fast'/,
    ],
    [['--max-queued', '10'], /--max-queued needs --max-connections/],
    [
      ['--max-connections', '2', '--overflow', 'refuse', '--queue-timeout-ms', '10'],
      /--queue-timeout-ms applies to --overflow queue/,
    ],
    [['--handshake-timeout-ms', '500'], /--handshake-timeout-ms applies to tls:\/\/ and ws:\/\/ addresses, not tcp/],
    [['--transport', 'websocket', '--handshake-timeout-ms', '0'], /--handshake-timeout-ms must be at least 1/],
    [['extra'], /too many arguments|unexpected/],
  ])('%j is a one-line usage error with exit status 2', async (argv, message) => {
    const io = fakeIO(argv);
    const recorded: Recorded = {};
    expect(await runServer(program(recorded), io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(message);
    expect(io.err().trimEnd().split('\n')).toHaveLength(1);
    expect(recorded.options).toBeUndefined();
  });

  it('--help shows the default port and exits 0', async () => {
    const io = fakeIO(['--help']);
    expect(await runServer(program({}), io)).toBe(0);
    expect(io.out()).toMatch(/--port <number>[^-]*\(default:\s+5678\)/);
  });

  it("passes the program's own options (addOptions) to createServer and lists them in --help", async () => {
    let programOptions: Readonly<Record<string, unknown>> | undefined;
    const recorded: Recorded = {};
    const base = program(recorded);
    const withRoot: ServerProgram = {
      ...base,
      addOptions: (command) => command.requiredOption('--root <dir>', 'directory to serve'),
      createServer(options, given) {
        programOptions = given;
        return base.createServer(options, given);
      },
    };
    const help = fakeIO(['--help']);
    expect(await runServer(withRoot, help)).toBe(0);
    expect(help.out()).toContain('--root <dir>');
    const missing = fakeIO([]);
    expect(await runServer(withRoot, missing)).toBe(2);
    expect(missing.err()).toMatch(/required option '--root <dir>' not specified/);
    const io = fakeIO(['--root', '/srv/files']);
    recorded.onListen = () => queueMicrotask(() => io.signals.emit('SIGTERM'));
    expect(await runServer(withRoot, io)).toBe(0);
    expect(programOptions).toMatchObject({ root: '/srv/files', concurrency: 'async' });
  });

  it('a failed listen is one stderr line and exit status 1, with nothing on stdout', async () => {
    const io = fakeIO(['--port', '80']);
    const code = await runServer(
      program({}, async () => {
        throw new Error('address 127.0.0.1:80 is in use');
      }),
      io,
    );
    expect(code).toBe(1);
    expect(io.out()).toBe('');
    expect(io.err()).toBe('test-server: cannot listen on tcp://127.0.0.1:80: address 127.0.0.1:80 is in use\n');
  });

  describe('--concurrency, --workers, --max-connections', () => {
    it('defaults to the event loop with no connection cap', async () => {
      const { recorded } = await runUntil([], 'SIGTERM');
      expect(recorded.options?.concurrency?.name).toBe('async');
    });

    it('--concurrency serial passes a serial model, which admits one connection at a time', async () => {
      const { code, recorded } = await runUntil(['--concurrency', 'serial'], 'SIGTERM');
      expect(code).toBe(0);
      const model = recorded.options?.concurrency;
      expect(model?.name).toBe('serial');
      const release = await model!.admit();
      let second = false;
      const next = model!.admit().then((releaseNext) => {
        second = true;
        return releaseNext;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(second).toBe(false);
      release();
      (await next)();
    });

    it('--max-connections caps the event loop: the n+1th connection waits for a slot', async () => {
      const { recorded } = await runUntil(['--max-connections', '2'], 'SIGTERM');
      const model = recorded.options!.concurrency!;
      expect(model.name).toBe('async');
      const first = await model.admit();
      await model.admit();
      let third = false;
      const waiting = model.admit().then(() => {
        third = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(third).toBe(false);
      first();
      await waiting;
      expect(third).toBe(true);
    });

    it('--max-queued and --queue-timeout-ms bound the wait: one more is refused, a long wait is refused', async () => {
      const { recorded } = await runUntil(
        ['--max-connections', '1', '--max-queued', '1', '--queue-timeout-ms', '100'],
        'SIGTERM',
      );
      const model = recorded.options!.concurrency!;
      await model.admit();
      const waiting = model.admit().catch((error: Error) => error.message);
      await expect(model.admit()).rejects.toThrow(/1 wait for a slot \(maxQueued 1\)/);
      expect(await waiting).toMatch(/after it waited 100 ms for a slot/);
    });

    it.each([
      [['--concurrency', 'forks'], /--concurrency.*forks.*serial, async, threads, processes/],
      [['--workers', '2'], /--workers applies to --concurrency threads or processes, not async/],
      [['--workers', '0', '--concurrency', 'processes'], /--workers.*from 1 to 1024, got '0'/],
      [
        ['--max-connections', '1', '--concurrency', 'serial'],
        /--max-connections does not apply to --concurrency serial/,
      ],
      [['--max-connections', '1.5'], /--max-connections.*got '1.5'/],
      [['--overflow', 'refuse'], /--overflow needs --max-connections/],
      [['--overflow', 'drop', '--max-connections', '2'], /--overflow.*drop.*queue, refuse/],
      [['--concurrency', 'threads'], /--concurrency threads: this program has no module for worker threads/],
    ])('%j is a one-line usage error with exit status 2', async (argv, message) => {
      const io = fakeIO(argv);
      const recorded: Recorded = {};
      expect(await runServer(program(recorded), io)).toBe(2);
      expect(io.out()).toBe('');
      expect(io.err()).toMatch(message);
      expect(io.err().trimEnd().split('\n')).toHaveLength(1);
      expect(recorded.options).toBeUndefined();
    });

    it('--max-connections with --overflow refuse: the n+1th connection is refused at once', async () => {
      const { recorded } = await runUntil(['--max-connections', '1', '--overflow', 'refuse'], 'SIGTERM');
      const model = recorded.options!.concurrency!;
      const release = await model.admit();
      await expect(model.admit()).rejects.toMatchObject({ code: 'SOCKSPEC_CONNECTION_LIMIT' });
      release();
      (await model.admit())();
    });

    it('--concurrency processes --workers 3 passes a processes model (forking waits for listen)', async () => {
      const { code, recorded } = await runUntil(['--concurrency', 'processes', '--workers', '3'], 'SIGTERM');
      expect(code).toBe(0);
      expect(recorded.options?.concurrency?.name).toBe('processes');
    });

    it('in a cluster worker (processes) the server listens but leaves the listening line to the primary', async () => {
      const io = { ...fakeIO([]), clusterWorker: true };
      const recorded: Recorded = { onListen: () => queueMicrotask(() => io.signals.emit('SIGTERM')) };
      expect(await runServer(program(recorded), io)).toBe(0);
      expect(io.out()).toBe('');
      expect(recorded.shutdown).toEqual({ drainMs: 5000 });
    });
  });

  describe('every transport of @sockspec/transport', () => {
    it.each([
      [['--transport', 'udp', '--port', '0'], { transport: 'udp', host: '127.0.0.1', port: 0 }],
      [
        ['--transport', 'udp6', '--max-datagram-bytes', '1200'],
        { transport: 'udp6', host: '::1', port: 5678, maxDatagramBytes: 1200 },
      ],
      [['--transport', 'unix-dgram', '--unix', '/tmp/d.sock'], { transport: 'unix-dgram', path: '/tmp/d.sock' }],
      [
        ['--transport', 'tls', '--cert', '/c.pem', '--key', '/k.pem'],
        { transport: 'tls', host: '127.0.0.1', port: 5678, tls: { cert: '/c.pem', key: '/k.pem' } },
      ],
      [
        ['--transport', 'tls', '--cert', '/c.pem', '--key', '/k.pem', '--ca', '/ca.pem'],
        { transport: 'tls', tls: { cert: '/c.pem', key: '/k.pem', ca: '/ca.pem', requestCert: true } },
      ],
      [['--transport', 'websocket'], { transport: 'websocket', host: '127.0.0.1', websocket: { path: '/' } }],
      [['--transport', 'websocket', '--ws-path', '/echo'], { transport: 'websocket', websocket: { path: '/echo' } }],
      [
        ['--transport', 'websocket', '--allow-origin', 'https://a.example', 'http://127.0.0.1:8080'],
        {
          transport: 'websocket',
          websocket: { path: '/', allowOrigins: ['https://a.example', 'http://127.0.0.1:8080'] },
        },
      ],
    ])('%j passes %j to createServer', async (argv, expected) => {
      const { code, recorded } = await runUntil(argv, 'SIGTERM');
      expect(code).toBe(0);
      expect(recorded.options).toMatchObject(expected);
    });

    it('options of other transports stay out of the engine options', async () => {
      const { recorded } = await runUntil(['--transport', 'tcp'], 'SIGTERM');
      expect(recorded.options).not.toHaveProperty('tls');
      expect(recorded.options).not.toHaveProperty('websocket');
      expect(recorded.options).not.toHaveProperty('maxDatagramBytes');
    });

    it.each([
      [['--transport', 'tls'], /--transport tls needs the server certificate and its key: --cert <file> --key <file>/],
      [['--transport', 'tls', '--cert', '/c.pem'], /needs the server certificate and its key/],
      [['--cert', '/c.pem'], /--cert applies to --transport tls, not tcp/],
      [['--transport', 'unix-dgram'], /--transport unix-dgram needs a socket path: --unix <path>/],
      [['--ws-path', '/x'], /--ws-path applies to --transport websocket, not tcp/],
      [['--transport', 'websocket', '--ws-path', 'x'], /--ws-path must start with '\/', got 'x'/],
      [['--max-datagram-bytes', '512'], /--max-datagram-bytes applies to udp, udp6 and unix-dgram, not tcp/],
      [['--allow-origin', 'https://a.example'], /--allow-origin applies to --transport websocket, not tcp/],
      [['--transport', 'websocket', '--allow-origin', 'a.example'], /--allow-origin: 'a.example' is not an origin/],
      [['--transport', 'udp', '--max-datagram-bytes', '70000'], /--max-datagram-bytes.*from 1 to 65536, got '70000'/],
    ])('%j is a one-line usage error with exit status 2', async (argv, message) => {
      const io = fakeIO(argv);
      const recorded: Recorded = {};
      expect(await runServer(program(recorded), io)).toBe(2);
      expect(io.err()).toMatch(message);
      expect(io.err().trimEnd().split('\n')).toHaveLength(1);
      expect(recorded.options).toBeUndefined();
    });
  });
});
