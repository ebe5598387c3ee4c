import { USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

export interface BenchOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** The phases after the one with a single connection. */
  readonly connections: readonly number[];
  /** Who makes the load: the C epoll load generator (when cc builds it), or the Node client in this process. */
  readonly client: 'c' | 'node';
  /** Where to write the results as JSON, and as an SVG bar chart; null for neither. */
  readonly json: string | null;
  readonly svg: string | null;
  readonly messageBytes: number;
  readonly maxMessages: number;
}

/** Bounds that keep one run on loopback short and its sockets within any default file-descriptor limit. */
const MAX_SECONDS = 600;
const MAX_CONNECTIONS = 1000;
/** Preallocated memory is per bucket, not per message, so the count bound only limits run length. */
const DEFAULT_MAX_MESSAGES = 50_000_000;
export const MESSAGE_BYTES = 64;

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(seconds > 0 && seconds <= MAX_SECONDS)) {
    throw new InvalidArgumentError(`expected seconds above 0 and at most ${MAX_SECONDS}, got '${value}'.`);
  }
  return seconds;
}

function wholeNumber(max: number): (value: string) => number {
  return (value) => {
    const count = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(count >= 1 && count <= max)) throw new InvalidArgumentError(`expected 1 to ${max}, got '${value}'.`);
    return count;
  };
}

function connectionList(value: string): number[] {
  const counts = value.split(',').map((part) => wholeNumber(MAX_CONNECTIONS)(part.trim()));
  return [...new Set(counts)].sort((a, b) => a - b);
}

/** Parses `echo [--seconds N] [--connections N] ...`; returns an exit status when the run should not start. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | number {
  let chosen: BenchOptions | undefined;
  const program = new Command('pnpm bench')
    .description('Loopback benchmarks: generated servers against hand-written node:net ones.')
    .exitOverride();
  program
    .command('echo')
    .description(
      `Echo ping-pong with ${MESSAGE_BYTES}-byte lines: 1 connection, then --connections at once, against the generated echo server and a raw node:net echo.`,
    )
    .option('--seconds <n>', 'measured seconds per phase', parseSeconds, 3)
    .option(
      '--warmup-seconds <n>',
      'unmeasured seconds before each phase (default: a quarter of --seconds, at most 0.5)',
      parseSeconds,
    )
    .option(
      '--connections <n,...>',
      'connections in the phases after the one-connection phase, comma-separated',
      connectionList,
      [100, 1000],
    )
    .addOption(
      new Option('--client <kind>', 'who makes the load: the C epoll load generator (built with cc), or Node')
        .choices(['c', 'node'])
        .default('c'),
    )
    .option('--json <file>', 'also write the results as JSON')
    .option('--svg <file>', 'also write them as an SVG bar chart of msgs/s')
    .option(
      '--max-messages <n>',
      'stop a phase after this many replies',
      wholeNumber(DEFAULT_MAX_MESSAGES),
      DEFAULT_MAX_MESSAGES,
    )
    .action(
      (options: {
        seconds: number;
        warmupSeconds?: number;
        connections: number[];
        maxMessages: number;
        client: 'c' | 'node';
        json?: string;
        svg?: string;
      }) => {
        chosen = {
          seconds: options.seconds,
          warmupSeconds: options.warmupSeconds ?? Math.min(0.5, options.seconds / 4),
          connections: options.connections,
          client: options.client,
          json: options.json ?? null,
          svg: options.svg ?? null,
          messageBytes: MESSAGE_BYTES,
          maxMessages: options.maxMessages,
        };
      },
    );
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? 0 : USAGE_EXIT_CODE;
  }
  if (chosen === undefined) {
    program.outputHelp({ error: true });
    return USAGE_EXIT_CODE;
  }
  return chosen;
}
