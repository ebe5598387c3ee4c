import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** A third-party server (memcached, mosquitto, redis-server) started for one test file, on a free loopback port. */
export interface RealServer {
  readonly host: string;
  readonly port: number;
  /** What it printed on stderr so far: shown when a test fails. */
  readonly stderr: () => string;
  /** Stops the process this started (by its pid), and waits for it to exit. */
  readonly stop: () => Promise<void>;
}

export interface RealServerOptions {
  /** The program, e.g. `memcached`. */
  readonly command: string;
  /** Its arguments; `{port}` is replaced by the free port picked. */
  readonly args: readonly string[];
  /** The Debian package that has it, for the error when it is missing. */
  readonly debianPackage: string;
  /** How long to wait for the port to accept connections (default 10 s). */
  readonly readyTimeoutMs?: number;
  /** The port to use (restarting a server where its clients expect it); default a free one. */
  readonly port?: number;
  /** Runs once the port is picked, before the server starts: writes a config file that names the port (mosquitto). */
  readonly prepare?: (port: number) => void | Promise<void>;
}

/**
 * The program to run: by name when PATH has it, else from the sbin folders
 * Debian puts daemons in (mosquitto is /usr/sbin/mosquitto, and a plain
 * user's PATH may not list /usr/sbin). Null when it is not installed.
 */
function resolveCommand(name: string): string | null {
  for (const candidate of [name, `/usr/sbin/${name}`, `/usr/local/sbin/${name}`, `/sbin/${name}`]) {
    if (spawnSync(candidate, ['-h'], { stdio: 'ignore' }).error === undefined) return candidate;
  }
  return null;
}

/** A port no one listens on right now: bound to 127.0.0.1:0, read back, released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts the real server on a free loopback port and resolves once it accepts
 * connections. A missing program is an error that says which package to
 * install: the gallery's tests are about the real server, so they do not skip.
 */
export async function startRealServer(options: RealServerOptions): Promise<RealServer> {
  const command = resolveCommand(options.command);
  if (command === null) {
    throw new Error(
      `${options.command} is not installed; the gallery tests run against the real server: apt-get install ${options.debianPackage} (.ci/run does)`,
    );
  }
  const host = '127.0.0.1';
  const port = options.port ?? (await freePort());
  await options.prepare?.(port);
  const child: ChildProcess = spawn(
    command,
    options.args.map((arg) => arg.replaceAll('{port}', String(port))),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, 'SIGTERM');
    await exited;
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  while (!(await accepts(host, port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `${options.command} did not start on ${host}:${port}: ${stderr || `exit code ${child.exitCode}`}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { host, port, stderr: () => stderr, stop };
}
