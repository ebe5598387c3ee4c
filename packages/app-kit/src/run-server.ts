import type { ConcurrencyModel } from '@sockspec/concurrency';
import type { MessageRate, ProtocolServer, ServerOptions } from '@sockspec/server';
import { type Command, Option } from 'commander';
import {
  boundedInteger,
  describeEndpoint,
  errorMessage,
  millisecondsOption,
  type ProgramIdentity,
  parseProgramArgs,
  USAGE_EXIT_CODE,
} from './command.js';
import {
  addConcurrencyOptions,
  type ConcurrencyArgs,
  checkConcurrencyArgs,
  createConcurrency,
  MAX_CONNECTIONS_LIMIT,
} from './concurrency.js';
import { type ProgramIO, processIO } from './io.js';

/** A server program: a generated (or hand-written) server plus how it is named on the command line. */
export interface ServerProgram extends ProgramIdentity {
  /**
   * `programOptions` holds the parsed command line, including the options
   * `addOptions` declared (commander's camelCase names); runServer always
   * passes it, callers building a server in code may not.
   */
  createServer(
    options: ServerOptions,
    programOptions?: Readonly<Record<string, unknown>>,
  ): Pick<ProtocolServer, 'listen' | 'shutdown'> & Partial<Pick<ProtocolServer, 'handleOne'>>;
  /** Options of this program beyond the shared ones (a file server's root directory, say); shown by --help. */
  addOptions?(command: Command): Command;
  /**
   * For `--concurrency threads`: the module each worker thread imports,
   * exporting the server protocol as `protocol` (the generated
   * package's `createServerProtocol()`), since a closure cannot cross threads.
   * A function gets the parsed command line, for a module whose protocol
   * depends on an option (its URL can carry it as a query string).
   */
  readonly threadsModule?: string | URL | ((programOptions: Readonly<Record<string, unknown>>) => string | URL);
  /** The message rate per connection when --message-rate is not given (chat: Join, Leave and Say broadcast). */
  readonly defaultMessageRate?: MessageRate;
}

/** The program's `threadsModule` for this command line, as createConcurrency's context takes it. */
export function threadsModuleOf(
  program: Pick<ServerProgram, 'threadsModule'>,
  programOptions: Readonly<Record<string, unknown>> = {},
): { threadsModule?: string | URL } {
  const module = program.threadsModule;
  if (module === undefined) return {};
  return { threadsModule: typeof module === 'function' ? module(programOptions) : module };
}

const DEFAULT_DRAIN_MS = 5000;
type StopReason = 'SIGINT' | 'SIGTERM' | 'disconnect';

/**
 * Runs a server from the command line: prints exactly `listening <url>` on
 * stdout once bound (and nothing else there, so scripts can read the URL),
 * logs to stderr, and on SIGINT/SIGTERM shuts down with --drain-ms before
 * resolving with the exit status. A second signal skips the drain.
 */
export async function runServer(program: ServerProgram, io: ProgramIO = processIO()): Promise<number> {
  const parsed = parseProgramArgs<
    ConcurrencyArgs & {
      drainMs: number;
      idleTimeoutMs?: number;
      frameTimeoutMs?: number;
      handshakeTimeoutMs?: number;
      maxConnectionsPerIp?: number;
      messageRate?: number;
      messageBurst?: number;
      once?: boolean;
    }
  >(program, 'listen', io, (command) =>
    addConcurrencyOptions(program.addOptions?.(command) ?? command)
      .option('--once', "serve one connection, then exit (socketserver's handle_request)")
      .addOption(
        millisecondsOption(
          '--drain-ms <ms>',
          'on SIGINT/SIGTERM, how long open connections may take to finish',
          DEFAULT_DRAIN_MS,
        ),
      )
      .addOption(
        millisecondsOption(
          '--idle-timeout-ms <ms>',
          "close connections idle this long; 0 disables (default: the spec's)",
        ),
      )
      .addOption(
        millisecondsOption(
          '--frame-timeout-ms <ms>',
          'close a connection whose frame has been arriving this long (a byte-a-second peer); 0 disables (default: 30000)',
        ),
      )
      .addOption(
        new Option(
          '--message-rate <n>',
          `messages per second one connection may send; a faster peer is slowed, not cut off; 0 = no limit (default: ${program.defaultMessageRate === undefined ? 'no limit' : program.defaultMessageRate.perSecond})`,
        ).argParser(boundedInteger('a whole number of messages per second', 0, 1_000_000)),
      )
      .addOption(
        new Option(
          '--message-burst <n>',
          'messages a connection may send at once after a quiet spell (default: one second of --message-rate)',
        ).argParser(boundedInteger('a whole number of messages', 1, MAX_CONNECTIONS_LIMIT)),
      )
      .addOption(
        new Option(
          '--max-connections-per-ip <n>',
          'connections one peer IP may have open; one more is closed at once (default: no limit)',
        ).argParser(boundedInteger('a whole number of connections', 1, MAX_CONNECTIONS_LIMIT)),
      )
      .addOption(
        millisecondsOption(
          '--handshake-timeout-ms <ms>',
          'tls and websocket: close a connection that has not finished its handshake this long after connecting (default: 10000)',
        ),
      ),
  );
  if (typeof parsed === 'number') return parsed;
  const { endpoint } = parsed;
  const { drainMs, idleTimeoutMs, frameTimeoutMs, handshakeTimeoutMs, maxConnectionsPerIp, messageRate, messageBurst } =
    parsed.options;

  const log = (line: string): void => {
    io.stderr.write(`${line}\n`);
  };
  const usageError = (message: string): number => {
    log(`${program.name}: error: ${message}`);
    return USAGE_EXIT_CODE;
  };
  if (handshakeTimeoutMs !== undefined && endpoint.transport !== 'tls' && endpoint.transport !== 'websocket') {
    return usageError(
      `--handshake-timeout-ms applies to tls:// and ws:// addresses, not ${describeEndpoint(endpoint)}`,
    );
  }
  if (handshakeTimeoutMs === 0) return usageError('--handshake-timeout-ms must be at least 1');
  const perSecond = messageRate ?? program.defaultMessageRate?.perSecond;
  if (messageBurst !== undefined && (perSecond === undefined || perSecond === 0)) {
    return usageError('--message-burst needs a --message-rate: without a rate there is nothing to burst past');
  }
  const programBurst = messageRate === undefined ? program.defaultMessageRate?.burst : undefined;
  const burst = messageBurst ?? programBurst;
  // The program says which messages the rate is for (chat: those that reach a room or a person); --message-rate sets how fast.
  const messages = program.defaultMessageRate?.messages;
  const rate: MessageRate | undefined =
    perSecond === undefined || perSecond === 0
      ? undefined
      : { perSecond, ...(burst === undefined ? {} : { burst }), ...(messages === undefined ? {} : { messages }) };
  const concurrencyProblem = checkConcurrencyArgs(parsed.options);
  if (concurrencyProblem !== undefined) return usageError(concurrencyProblem);
  if (parsed.options.once === true && parsed.options.concurrency === 'processes') {
    return usageError(
      '--once does not apply to --concurrency processes: the workers serve the connections, not this process',
    );
  }
  let concurrency: ConcurrencyModel;
  try {
    concurrency = createConcurrency(parsed.options, {
      log,
      ...threadsModuleOf(program, parsed.options),
    });
  } catch (error) {
    return usageError(`--concurrency ${parsed.options.concurrency}: ${errorMessage(error)}`);
  }
  const server = program.createServer(
    {
      ...endpoint,
      concurrency,
      log,
      ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs: idleTimeoutMs === 0 ? null : idleTimeoutMs }),
      ...(frameTimeoutMs === undefined ? {} : { frameTimeoutMs: frameTimeoutMs === 0 ? null : frameTimeoutMs }),
      ...(handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs }),
      ...(maxConnectionsPerIp === undefined ? {} : { maxConnectionsPerAddress: maxConnectionsPerIp }),
      ...(rate === undefined ? {} : { messageRate: rate }),
    },
    parsed.options,
  );

  if (parsed.options.once === true && server.handleOne === undefined) {
    return usageError(`--once does not apply to ${program.name}: its server cannot serve a single connection`);
  }
  // Listen for signals before binding so one that arrives while binding is not lost.
  const stop = waitForStop(io);
  let url: string;
  try {
    url = (await server.listen()).url;
  } catch (error) {
    stop.cancel();
    log(`${program.name}: cannot listen on ${describeEndpoint(endpoint)}: ${errorMessage(error)}`);
    return 1;
  }
  // Under `processes` every worker runs this same program; only the primary
  // speaks for the shared listener, so scripts still read exactly one line.
  if (io.clusterWorker !== true) io.stdout.write(`listening ${url}\n`);

  // Claimed in the same tick listen() resolved in, before any connection can be accepted.
  const handledOne =
    parsed.options.once === true ? server.handleOne?.().then(() => 'served one connection' as const) : undefined;
  const reason = await (handledOne === undefined ? stop.first : Promise.race([stop.first, handledOne]));
  log(`${program.name}: ${reason === 'disconnect' ? 'parent process went away' : reason}, shutting down`);
  void stop.second.then((again) => {
    log(`${program.name}: ${again} again, closing without draining`);
    io.exit(1);
  });
  try {
    await server.shutdown({ drainMs });
  } catch (error) {
    stop.cancel();
    log(`${program.name}: shutdown failed: ${errorMessage(error)}`);
    return 1;
  }
  stop.cancel();
  return 0;
}

interface StopSignals {
  readonly first: Promise<StopReason>;
  readonly second: Promise<StopReason>;
  cancel(): void;
}

function waitForStop(io: ProgramIO): StopSignals {
  const reasons: StopReason[] = ['SIGINT', 'SIGTERM'];
  // A child started with an IPC channel (the benchmark) stops when its parent
  // goes away, so a crashed parent leaves no server behind. The channel is
  // unreferenced so it does not keep the process alive after shutdown. A
  // cluster worker's channel is the cluster's own: binding the shared
  // listener goes through it, so it must stay referenced, and the
  // `processes` model, not this program, decides when a worker leaves.
  if (io.signals === process && process.channel !== undefined && io.clusterWorker !== true) {
    process.channel.unref();
    reasons.push('disconnect');
  }
  let resolveFirst!: (reason: StopReason) => void;
  let resolveSecond!: (reason: StopReason) => void;
  const first = new Promise<StopReason>((resolve) => {
    resolveFirst = resolve;
  });
  const second = new Promise<StopReason>((resolve) => {
    resolveSecond = resolve;
  });
  let count = 0;
  const listeners = reasons.map((reason) => {
    const listener = (): void => {
      count += 1;
      if (count === 1) resolveFirst(reason);
      else if (reason !== 'disconnect') resolveSecond(reason);
    };
    io.signals.on(reason, listener);
    return [reason, listener] as const;
  });
  return {
    first,
    second,
    cancel: () => {
      for (const [reason, listener] of listeners) io.signals.off(reason, listener);
    },
  };
}
