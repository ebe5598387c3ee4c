import {
  type ConcurrencyModel,
  type ConcurrencyModelName,
  type OverflowPolicy,
  resolveConcurrency,
} from '@sockspec/concurrency';
import { type Command, Option } from 'commander';
import { boundedInteger } from './command.js';

/** Every model a server program offers on its command line, in the order `--help` lists them. */
export const CONCURRENCY_MODELS: readonly ConcurrencyModelName[] = ['serial', 'async', 'threads', 'processes'];

/** More workers than this is a typo, not a machine: each one is a thread or a whole process. */
export const MAX_WORKERS = 1024;
/** Beyond this the operating system's descriptor limit is hit long before the cap. */
export const MAX_CONNECTIONS_LIMIT = 1_000_000;

// A type alias, not an interface, so it fits commander's Record<string, unknown> option bag.
export type ConcurrencyArgs = {
  readonly concurrency: ConcurrencyModelName;
  readonly workers?: number;
  readonly maxConnections?: number;
  readonly overflow?: OverflowPolicy;
  readonly maxQueued?: number;
  readonly queueTimeoutMs?: number;
};

/** What a program brings to the models beyond its arguments. */
export interface ConcurrencyContext {
  /** The module a `threads` worker imports the server protocol from (exported as `protocol`); without it, no threads. */
  readonly threadsModule?: string | URL;
  /** Where the `processes` primary reports worker crashes and restarts. */
  readonly log?: (line: string) => void;
}

function countParser(what: string, max: number): (value: string) => number {
  return boundedInteger(`a whole number of ${what}`, 1, max);
}

/** Adds --concurrency, --workers and --max-connections to a server command. */
export function addConcurrencyOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--concurrency <model>', 'how connections are served: one at a time, on the event loop, ...')
        .choices(CONCURRENCY_MODELS)
        .default('async'),
    )
    .addOption(
      new Option('--workers <n>', 'threads or processes to run (threads, processes; default: one per CPU)').argParser(
        countParser('workers', MAX_WORKERS),
      ),
    )
    .addOption(
      new Option('--max-connections <n>', 'connections served at once; later ones wait (default: no limit)').argParser(
        countParser('connections', MAX_CONNECTIONS_LIMIT),
      ),
    )
    .addOption(
      new Option(
        '--overflow <policy>',
        'a connection beyond the limit waits (queue) or is closed at once with a log line (refuse); default queue',
      ).choices(['queue', 'refuse'] satisfies OverflowPolicy[]),
    )
    .addOption(
      new Option(
        '--max-queued <n>',
        'connections that may wait for a slot; one more is closed at once with a log line (default: 1024)',
      ).argParser(countParser('connections', MAX_CONNECTIONS_LIMIT)),
    )
    .addOption(
      new Option(
        '--queue-timeout-ms <ms>',
        'a connection that waited this long for a slot is closed with a log line (default: 30000)',
      ).argParser(countParser('milliseconds', 3_600_000)),
    );
}

/** Why these arguments cannot run, or undefined when they can. */
export function checkConcurrencyArgs(args: ConcurrencyArgs): string | undefined {
  if (args.workers !== undefined && args.concurrency !== 'threads' && args.concurrency !== 'processes') {
    return `--workers applies to --concurrency threads or processes, not ${args.concurrency}`;
  }
  if (args.maxConnections !== undefined && args.concurrency === 'serial') {
    return '--max-connections does not apply to --concurrency serial: it serves one connection at a time';
  }
  if (args.overflow !== undefined && args.maxConnections === undefined && args.concurrency !== 'serial') {
    return '--overflow needs --max-connections: without a limit no connection overflows';
  }
  for (const [flag, value] of [
    ['--max-queued', args.maxQueued],
    ['--queue-timeout-ms', args.queueTimeoutMs],
  ] as const) {
    if (value === undefined) continue;
    if (args.maxConnections === undefined && args.concurrency !== 'serial') {
      return `${flag} needs --max-connections: without a limit no connection waits`;
    }
    if (args.overflow === 'refuse') return `${flag} applies to --overflow queue; with refuse no connection waits`;
  }
  return undefined;
}

/** Builds the model the arguments name; throws with a message fit for a usage error when it cannot. */
export function createConcurrency(args: ConcurrencyArgs, context: ConcurrencyContext = {}): ConcurrencyModel {
  if (args.concurrency === 'threads' && context.threadsModule === undefined) {
    throw new Error('this program has no module for worker threads to load its protocol from');
  }
  return resolveConcurrency(args.concurrency, {
    ...(args.workers === undefined ? {} : { workers: args.workers }),
    ...(args.maxConnections === undefined ? {} : { maxConnections: args.maxConnections }),
    ...(args.overflow === undefined ? {} : { overflow: args.overflow }),
    ...(args.maxQueued === undefined ? {} : { maxQueued: args.maxQueued }),
    ...(args.queueTimeoutMs === undefined ? {} : { queueTimeoutMs: args.queueTimeoutMs }),
    ...(context.threadsModule === undefined ? {} : { module: context.threadsModule }),
    ...(context.log === undefined ? {} : { processes: { log: context.log } }),
  });
}
