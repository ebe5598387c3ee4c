/**
 * Helpers for tests that run the sockspec programs as real processes, the
 * way a person or a script would, plus the socket-only Python peer used for
 * interop tests. Not part of the programs themselves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseListeningLine } from './command.js';

export type ListeningAddress = NonNullable<ReturnType<typeof parseListeningLine>>;

export interface ProgramExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** The package folder; `script` is relative to it and tsx is resolved from it. */
  readonly cwd: string;
  readonly script: string;
  readonly args?: readonly string[];
  /** Added to the parent's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

const running = new Set<RunningProgram>();

/** A program started with its TypeScript sources (tsx, development condition) and its output collected by line. */
export class RunningProgram {
  readonly child: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<ProgramExit>;
  private readonly waiters = new Set<() => void>();

  constructor(options: StartOptions) {
    this.child = spawn(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', options.script, ...(options.args ?? [])],
      { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    running.add(this);
    this.collect(this.child.stdout, this.stdout);
    this.collect(this.child.stderr, this.stderr);
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
        this.notify();
      });
    });
  }

  private collect(stream: NodeJS.ReadableStream | null, into: string[]): void {
    if (stream === null) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      if (parts.length === 0) return;
      into.push(...parts);
      this.notify();
    });
    stream.on('end', () => {
      if (partial !== '') into.push(partial);
      partial = '';
      this.notify();
    });
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Resolves once `check` returns a value (re-checked on every output line and at exit); rejects after timeoutMs. */
  waitFor<T>(describe: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(poll);
      };
      const poll = (): void => {
        const value = check();
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          finish();
          reject(
            new Error(
              `program exited before ${describe}; stdout: ${this.stdout.join('|')}; stderr: ${this.stderr.join('|')}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `no ${describe} within ${timeoutMs} ms; stdout: ${this.stdout.join('|')}; stderr: ${this.stderr.join('|')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(poll);
      poll();
    });
  }

  /** Resolves with the nth (0-based) stderr line. */
  stderrLine(index: number, timeoutMs?: number): Promise<string> {
    return this.waitFor(`stderr line ${index + 1}`, () => this.stderr[index], timeoutMs);
  }

  /** Writes `input` to stdin and closes it. */
  send(input: string): void {
    this.child.stdin?.end(input);
  }

  /** Sends a signal and resolves with how the program ended. */
  async signal(signal: NodeJS.Signals): Promise<ProgramExit> {
    this.child.kill(signal);
    return this.exited;
  }
}

export function startProgram(options: StartOptions): RunningProgram {
  return new RunningProgram(options);
}

/** Kills whatever test programs are still running (for afterEach) and waits for them to end. */
export async function stopAllPrograms(): Promise<void> {
  const programs = [...running];
  for (const program of programs) program.child.kill('SIGKILL');
  await Promise.all(programs.map((program) => program.exited));
}

/** Starts a server program and resolves once it printed its `listening` line. */
export async function startServer(
  options: StartOptions,
): Promise<{ program: RunningProgram; address: ListeningAddress }> {
  const program = startProgram(options);
  const first = await program.waitFor('listening line', () => program.stdout[0]);
  const address = parseListeningLine(first);
  if (address === undefined) throw new Error(`expected 'listening <url>' as the first stdout line, got '${first}'`);
  return { program, address };
}

export interface CompletedProgram extends ProgramExit {
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
}

/** Runs a program with `input` on stdin to its end (killed after timeoutMs). */
export async function runProgram(
  options: StartOptions & { input?: string; timeoutMs?: number },
): Promise<CompletedProgram> {
  const program = startProgram(options);
  program.send(options.input ?? '');
  const timer = setTimeout(() => program.child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  const exit = await program.exited;
  clearTimeout(timer);
  return { ...exit, stdout: program.stdout, stderr: program.stderr };
}

/** What test/interop_client.py is asked to do. */
export interface PythonClientRequest {
  readonly host?: string;
  readonly port?: number;
  readonly family?: 'inet' | 'inet6';
  readonly unix?: string;
  /** Each string is sent with one sendall(), with a short pause between them. */
  readonly sends: readonly string[];
  /** How many reply lines to wait for. */
  readonly lines: number;
  readonly timeout?: number;
}

export interface PythonClientResult {
  /** Python's repr() of every byte received, e.g. "b'hello\\n'". */
  readonly received: string;
  readonly text: string;
  /** time.ctime(s) for every whole second s from just before the first send to just after the last reply. */
  readonly ctimes: readonly string[];
  /** True when the server closed the connection before the expected lines arrived. */
  readonly closed: boolean;
}

export const interopClientPath: string = fileURLToPath(new URL('../python/interop_client.py', import.meta.url));

export interface PythonRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a python3 script to its end (killed after `timeoutMs`), stdin from `input`, output collected. */
export async function runPythonScript(
  script: string,
  args: readonly string[],
  options: {
    readonly input?: string;
    readonly env?: Readonly<Record<string, string>>;
    readonly timeoutMs?: number;
  } = {},
): Promise<PythonRun> {
  const child = spawn('python3', [script, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Runs the Python client (python3, socket module only) and parses the JSON it prints. */
export async function runPythonClient(
  request: PythonClientRequest,
  env: Readonly<Record<string, string>> = {},
): Promise<PythonClientResult> {
  const { code, stdout, stderr } = await runPythonScript(interopClientPath, [JSON.stringify(request)], {
    env,
    timeoutMs: ((request.timeout ?? 5) + 5) * 1000,
  });
  if (code !== 0) throw new Error(`interop_client.py exited with ${code}: ${stderr.trim()}`);
  return JSON.parse(stdout) as PythonClientResult;
}

/** Connects a plain node:net socket to a listening address (errors are kept, not thrown, so a reset peer cannot crash a test). */
export function connectTo(address: ListeningAddress): Socket {
  const socket =
    'path' in address
      ? createConnection({ path: address.path })
      : createConnection({ host: address.host, port: address.port, noDelay: true });
  socket.on('error', () => undefined);
  return socket;
}

/** Writes `payload` and resolves with everything received once `lines` newlines arrived; rejects if the peer closes first or after timeoutMs. */
export function exchange(socket: Socket, payload: string, lines: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData).off('close', onClose);
      if (error === undefined) resolve(received);
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('utf8');
      if (received.split('\n').length - 1 >= lines) finish();
    };
    const onClose = (): void => finish(new Error(`connection closed after receiving ${JSON.stringify(received)}`));
    const timer = setTimeout(
      () => finish(new Error(`no ${lines} reply lines within ${timeoutMs} ms; got ${JSON.stringify(received)}`)),
      timeoutMs,
    );
    socket.on('data', onData).on('close', onClose);
    socket.write(payload);
  });
}
