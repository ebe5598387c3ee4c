import cluster from 'node:cluster';
import type { EventEmitter } from 'node:events';
import { styleText } from 'node:util';

/** A stream end that may be a terminal. */
export interface TerminalWritable extends NodeJS.WritableStream {
  readonly isTTY?: boolean;
}

export interface TerminalReadable extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
}

/**
 * What a program touches of its process, passed in so the programs can be
 * driven in-process by tests and by the benchmark harness.
 */
export interface ProgramIO {
  readonly argv: readonly string[];
  readonly stdin: TerminalReadable;
  readonly stdout: TerminalWritable;
  readonly stderr: TerminalWritable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Emits SIGINT, SIGTERM and (for a child with an IPC channel) disconnect. */
  readonly signals: EventEmitter;
  /** True in a node:cluster worker (the `processes` model), where the primary reports the listening address. */
  readonly clusterWorker?: boolean;
  /** Ends the process at once; only used when a second signal asks to skip draining. */
  exit(code: number): never;
}

export function processIO(): ProgramIO {
  return {
    argv: process.argv.slice(2),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signals: process,
    clusterWorker: cluster.isWorker,
    exit: (code) => process.exit(code),
  };
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off; so do pipes, files and dumb terminals. */
export function colourEnabled(stream: TerminalWritable, env: ProgramIO['env']): boolean {
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '') && env.TERM !== 'dumb';
}

export type Style = Parameters<typeof styleText>[0];

/**
 * styleText checks process.stdout on its own (and not at all on older Node
 * 20 releases); the program's own stream and environment decide here, which
 * also makes the choice testable.
 */
export function styler(stream: TerminalWritable, env: ProgramIO['env']): (style: Style, text: string) => string {
  return colourEnabled(stream, env)
    ? (style, text) => styleText(style, text, { validateStream: false })
    : (_style, text) => text;
}

/** Writes one line, waiting for the stream to drain when its buffer is full so a long script run stays bounded. */
export async function writeLine(stream: NodeJS.WritableStream, line: string): Promise<void> {
  if (stream.write(`${line}\n`)) return;
  // A closed pipe never drains; it errors or closes instead.
  await new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('drain', done).off('error', done).off('close', done);
      resolve();
    };
    stream.once('drain', done).once('error', done).once('close', done);
  });
}
