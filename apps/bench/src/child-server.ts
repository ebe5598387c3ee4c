/**
 * Benchmark servers run in child processes, so the load generator never
 * shares an event loop (or a worker pool) with the server it measures.
 * This is both sides of that: the parent starting and stopping a child,
 * and the child running the server program it was asked for.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseListeningLine, processIO, runServer, type ServerProgram, USAGE_EXIT_CODE } from '@sockspec/app-kit';

/** Run from source (pnpm bench) the child needs tsx too; run from dist it is plain JavaScript. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ChildServer {
  readonly child: ChildProcess;
  /** Everything the server wrote to stderr so far, line by line, for error reports. */
  readonly stderr: string[];
  readonly host: string;
  readonly port: number;
}

export interface StartChildServerOptions {
  /** How errors name the server, e.g. `the raw chat server`. */
  readonly name: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The IPC channel lets the server notice if this process dies without
   * killing it; off for servers that do not watch for the disconnect.
   */
  readonly ipc?: boolean;
  /**
   * The program that runs `script` (python3 for a Python baseline); default
   * this Node, with tsx from source. `null`: `script` is itself a program (the
   * compiled C baseline).
   */
  readonly interpreter?: string | null;
}

const children = new Set<ChildProcess>();
let killOnExit = false;

/**
 * Starts `node script ...args` and resolves once it prints its first line,
 * `listening tcp://host:port`. A child that exits first, prints anything
 * else or is silent for STARTUP_TIMEOUT_MS (then killed) rejects.
 */
export async function startChildServer(
  script: string,
  args: readonly string[],
  { name, env, ipc = true, interpreter }: StartChildServerOptions,
): Promise<ChildServer> {
  if (!killOnExit) {
    killOnExit = true;
    // Whatever way this process ends, no server is left behind.
    process.once('exit', () => {
      for (const child of children) child.kill('SIGKILL');
    });
  }
  const stdio = ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc' as const] : [])] as const;
  const child =
    interpreter === null
      ? spawn(script, [...args], { cwd: PACKAGE_DIR, stdio: [...stdio], env })
      : spawn(
          interpreter ?? process.execPath,
          [
            ...(FROM_SOURCE && interpreter === undefined ? ['--conditions=development', '--import', 'tsx'] : []),
            script,
            ...args,
          ],
          { cwd: PACKAGE_DIR, stdio: [...stdio], env },
        );
  children.add(child);
  child.once('exit', () => children.delete(child));
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const lines = createInterface({ input: child.stdout! });
  const timer = setTimeout(() => child.kill('SIGKILL'), STARTUP_TIMEOUT_MS);
  try {
    const [first] = (await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(() => {
        throw new Error(`${name} exited before listening: ${stderr.join(' | ')}`);
      }),
    ])) as [string];
    const address = parseListeningLine(first);
    if (address?.transport !== 'tcp') throw new Error(`${name} printed '${first}', expected 'listening tcp://…'`);
    return { child, stderr, host: address.host, port: address.port };
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM so the server can shut down cleanly, SIGKILL if it has not exited STOP_TIMEOUT_MS later. */
export async function stopChildServer(server: ChildServer): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * The child's side: runs the program registered under `kind` with `argv`
 * (it prints `listening <url>`) and resolves with the exit status.
 * `label` prefixes the usage error of an unknown kind.
 */
export async function serveChildProgram(
  label: string,
  programs: Readonly<Record<string, () => Promise<ServerProgram>>>,
  kind: string,
  argv: readonly string[],
): Promise<number> {
  const load = programs[kind];
  if (load === undefined) {
    const expected = Object.keys(programs)
      .map((name) => `'${name}'`)
      .join(' or ');
    process.stderr.write(`${label}: expected ${expected}, got '${kind}'\n`);
    return USAGE_EXIT_CODE;
  }
  return runServer(await load(), { ...processIO(), argv });
}
