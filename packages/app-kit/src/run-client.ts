import { createInterface } from 'node:readline';
import type { ClientOptions } from '@sockspec/client';
import { isSockspecError } from '@sockspec/errors';
import {
  describeEndpoint,
  errorMessage,
  millisecondsOption,
  type ProgramIdentity,
  parseProgramArgs,
} from './command.js';
import { type ProgramIO, processIO, styler, writeLine } from './io.js';

/** A connected line-oriented client: one line out, one reply line back. */
export interface LineSession {
  /** Sends one line (without its line ending); resolves with the reply as the server wrote it, without the line ending. */
  request(text: string, timeoutMs: number): Promise<string>;
  /** Half-closes and waits for the server to close. */
  close(): Promise<void>;
  /** Resolves when the connection has closed, for whatever reason. */
  readonly closed: Promise<Error | undefined>;
}

export interface ClientProgram extends ProgramIdentity {
  connect(options: ClientOptions): Promise<LineSession>;
  /**
   * Script mode: requests in flight at once (default 64). 1 for a protocol
   * whose replies cannot be told apart once they run together, such as raw
   * echo, where two requests in flight may come back as one read.
   */
  readonly scriptWindow?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * Script mode keeps at most this many requests in flight: enough to hide the
 * round trip on a pipe of many lines, few enough that a huge input never
 * turns into unbounded pending requests.
 */
const SCRIPT_WINDOW = 64;
export const SERVER_CLOSED_MESSAGE = 'server closed the connection';

/**
 * Runs a line client from the command line. On a terminal it behaves like the
 * tutorials' interactive client (prompt, an empty line quits); otherwise each
 * stdin line is sent and each reply printed on its own line, for scripts.
 * Resolves with the exit status: 0 done, 1 connection or protocol failure
 * (including the server closing first), 2 bad arguments.
 */
export async function runClient(program: ClientProgram, io: ProgramIO = processIO()): Promise<number> {
  const parsed = parseProgramArgs<{ timeoutMs: number }>(program, 'connect', io, (command) =>
    command.addOption(
      millisecondsOption(
        '--timeout-ms <ms>',
        'how long to wait for the connection and for each reply',
        DEFAULT_TIMEOUT_MS,
      ),
    ),
  );
  if (typeof parsed === 'number') return parsed;
  const { endpoint } = parsed;
  const { timeoutMs } = parsed.options;

  const errorStyle = styler(io.stderr, io.env);
  const fail = (message: string): number => {
    io.stderr.write(`${errorStyle('red', `${program.name}: ${message}`)}\n`);
    return 1;
  };
  let session: LineSession;
  try {
    session = await program.connect({
      ...endpoint,
      connectTimeoutMs: timeoutMs,
      requestTimeoutMs: timeoutMs,
    });
  } catch (error) {
    // The transport's own errors already say where and why; anything else gets the where added.
    return fail(
      isSockspecError(error)
        ? error.message
        : `cannot connect to ${describeEndpoint(endpoint)}: ${errorMessage(error)}`,
    );
  }
  const failure =
    io.stdin.isTTY === true
      ? await interactive(session, io, timeoutMs)
      : await script(session, io, timeoutMs, program.scriptWindow ?? SCRIPT_WINDOW);
  if (failure === undefined) {
    await session.close();
    return 0;
  }
  // The connection may still be open after a timeout or a bad reply; do not wait for the server to end it.
  void session.close().catch(() => undefined);
  return fail(failure);
}

function describeFailure(error: unknown): string {
  return isSockspecError(error, 'SOCKSPEC_CONNECTION_CLOSED') ? SERVER_CLOSED_MESSAGE : errorMessage(error);
}

/** Returns a failure message, or undefined when the person quit. */
async function interactive(session: LineSession, io: ProgramIO, timeoutMs: number): Promise<string | undefined> {
  const style = styler(io.stdout, io.env);
  const lines = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
  lines.setPrompt(style('dim', '> '));
  // The tutorials' client only notices a closed server on its next recv();
  // noticing it while the prompt waits spares the person a line typed in vain.
  let serverClosed = false;
  void session.closed.then(() => {
    serverClosed = true;
    lines.close();
  });
  lines.prompt();
  try {
    for await (const line of lines) {
      if (line === '') return undefined;
      const reply = await session.request(line, timeoutMs);
      io.stdout.write(`${reply}\n`);
      lines.prompt();
    }
    // End of input (Ctrl-D) quits like an empty line; a closed server does not.
    return serverClosed ? SERVER_CLOSED_MESSAGE : undefined;
  } catch (error) {
    return describeFailure(error);
  } finally {
    lines.close();
  }
}

/**
 * Sends every stdin line (empty ones too: the input is the script) and
 * prints each reply in order as soon as it and those before it arrived, so a
 * slow producer such as `tail -f` sees its replies at once.
 */
async function script(
  session: LineSession,
  io: ProgramIO,
  timeoutMs: number,
  window: number,
): Promise<string | undefined> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let printed: Promise<void> = Promise.resolve();
  const unprinted: Promise<void>[] = [];
  let failure: unknown;
  try {
    for await (const line of lines) {
      if (failure !== undefined) break;
      const reply = session.request(line, timeoutMs);
      // Observed through `printed`; this only keeps a reply that fails while
      // an earlier one is still awaited from counting as unhandled.
      reply.catch(() => undefined);
      printed = printed.then(async () => writeLine(io.stdout, await reply));
      printed.catch((error: unknown) => {
        failure ??= error;
      });
      unprinted.push(printed);
      if (unprinted.length >= window) await unprinted.shift();
    }
    await printed;
    return undefined;
  } catch (error) {
    return describeFailure(error);
  } finally {
    lines.close();
  }
}
