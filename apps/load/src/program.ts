import { boundedInteger, type ProgramIO, parseProgramArgs, processIO, USAGE_EXIT_CODE } from '@sockspec/app-kit';
import { isSockspecError } from '@sockspec/errors';
import { Argument, type Command, Option } from 'commander';
import { assertLoopbackHost } from './loopback.js';
import { LOAD_PROTOCOLS } from './protocols.js';
import { type LoadResult, runLoad } from './run-load.js';

/** Upper bounds, checked before anything is opened: a load run on one machine never needs more. */
export const LOAD_LIMITS = {
  connections: 10_000,
  messages: 1_000_000,
  connectConcurrency: 1_000,
  seconds: 3_600,
  timeoutMs: 600_000,
} as const;

type LoadArgs = {
  readonly connections: number;
  readonly messages: number;
  readonly connectConcurrency: number;
  readonly seconds: number;
  readonly timeoutMs: number;
};

const PROGRAM = {
  name: 'sockspec-load',
  description:
    'Load client: opens N connections to a loopback server, sends M messages on each through the generated client, checks every reply, and reports msgs/s and latency percentiles. Exits 1 on any wrong reply or failed connection.',
  // No protocol owns the load client's port, so one must be given (0 is refused).
  defaultPort: 0,
};

function milliseconds(nanoseconds: number): string {
  return Number.isNaN(nanoseconds) ? '-' : `${(nanoseconds / 1e6).toFixed(3)} ms`;
}

export function formatLoadReport(result: LoadResult): string {
  const quantile = (q: number): string => milliseconds(result.histogram.quantile(q));
  return [
    `connections  ${result.connected} connected`,
    `messages     ${result.messages} in ${(result.elapsedMs / 1000).toFixed(3)} s = ${result.messagesPerSecond.toFixed(0)} msgs/s${result.cappedByTime ? ' (stopped by --seconds)' : ''}`,
    `latency      p50 ${quantile(0.5)}  p90 ${quantile(0.9)}  p99 ${quantile(0.99)}  max ${milliseconds(result.messages === 0 ? Number.NaN : result.maxNs)}`,
    `errors       ${result.wrongReplies} wrong replies, ${result.failures.length} failed connections`,
  ].join('\n');
}

/**
 * `sockspec-load <protocol> --port N [--connections N] [--messages M] [--seconds S]`.
 * Resolves with the exit status: 0 every reply right, 1 a wrong reply or a
 * failed connection, 2 bad arguments (including a non-loopback host).
 */
export async function runLoadProgram(io: ProgramIO = processIO()): Promise<number> {
  let command: Command | undefined;
  const parsed = parseProgramArgs<LoadArgs>(PROGRAM, 'connect', io, (base) => {
    command = base
      .addArgument(new Argument('<protocol>', 'protocol to speak').choices([...LOAD_PROTOCOLS.keys()]))
      .addOption(
        new Option('-c, --connections <n>', 'connections to open')
          .default(10)
          .argParser(boundedInteger('a connection count', 1, LOAD_LIMITS.connections)),
      )
      .addOption(
        new Option('-n, --messages <m>', 'messages per connection')
          .default(100)
          .argParser(boundedInteger('a message count', 1, LOAD_LIMITS.messages)),
      )
      .addOption(
        new Option('--connect-concurrency <n>', 'connects in progress at once')
          .default(100)
          .argParser(boundedInteger('a count', 1, LOAD_LIMITS.connectConcurrency)),
      )
      .addOption(
        new Option('--seconds <s>', 'stop the whole run after this long, whatever is left')
          .default(30)
          .argParser(boundedInteger('seconds', 1, LOAD_LIMITS.seconds)),
      )
      .addOption(
        new Option('--timeout-ms <ms>', 'per connect and per reply')
          .default(10_000)
          .argParser(boundedInteger('milliseconds', 1, LOAD_LIMITS.timeoutMs)),
      );
    return command;
  });
  if (typeof parsed === 'number') return parsed;
  const usage = (message: string): number => {
    io.stderr.write(`${PROGRAM.name}: error: ${message}\n`);
    return USAGE_EXIT_CODE;
  };
  const { endpoint, options } = parsed;
  const protocol = LOAD_PROTOCOLS.get(String(command!.processedArgs[0]))!;
  if ('host' in endpoint) {
    try {
      assertLoopbackHost(endpoint.host);
    } catch (error) {
      return usage(isSockspecError(error) ? error.message : String(error));
    }
    if (endpoint.port === 0) return usage('--port is required: the port the server listens on');
  }

  const result = await runLoad({
    protocol,
    client: endpoint,
    connections: options.connections,
    messagesPerConnection: options.messages,
    connectConcurrency: options.connectConcurrency,
    seconds: options.seconds,
    timeoutMs: options.timeoutMs,
  });
  io.stdout.write(`${formatLoadReport(result)}\n`);
  const shown = result.failures.slice(0, 10);
  for (const failure of shown) io.stderr.write(`${PROGRAM.name}: ${failure}\n`);
  if (result.failures.length > shown.length) {
    io.stderr.write(`${PROGRAM.name}: ... and ${result.failures.length - shown.length} more failures\n`);
  }
  return result.wrongReplies > 0 || result.failures.length > 0 ? 1 : 0;
}
