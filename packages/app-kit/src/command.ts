import { type Endpoint, formatUrl, parseUrl, type StreamTransportKind } from '@sockspec/transport';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { ProgramIO } from './io.js';

const TRANSPORTS: readonly StreamTransportKind[] = ['tcp', 'tcp6', 'unix'];
const DEFAULT_HOST = { tcp: '127.0.0.1', tcp6: '::1' } as const;
/** setTimeout clamps larger delays to 1 ms, so a larger value would silently mean "at once". */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Exit status for a command line that cannot be run, as most Unix tools use. */
export const USAGE_EXIT_CODE = 2;

export function parsePort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new InvalidArgumentError(`expected a port number from 0 to 65535, got '${value}'.`);
  }
  return port;
}

export function parseMilliseconds(value: string): number {
  const ms = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(ms >= 0 && ms <= MAX_TIMER_MS)) {
    throw new InvalidArgumentError(
      `expected a whole number of milliseconds from 0 to ${MAX_TIMER_MS}, got '${value}'.`,
    );
  }
  return ms;
}

/** An option taking milliseconds, checked to fit a timer. */
export function millisecondsOption(flags: string, description: string, defaultMs?: number): Option {
  const option = new Option(flags, description).argParser(parseMilliseconds);
  return defaultMs === undefined ? option : option.default(defaultMs);
}

export type EndpointRole = 'listen' | 'connect';

/**
 * A commander program with the options every sockspec server and client
 * shares. Errors are reported on one line and surface as a CommanderError
 * (exitOverride) so callers return an exit status instead of the process
 * exiting under them.
 */
function endpointCommand(
  name: string,
  description: string,
  defaultPort: number,
  role: EndpointRole,
  io: ProgramIO,
): Command {
  const hostHelp =
    role === 'listen'
      ? 'address to listen on (default: 127.0.0.1 for tcp, ::1 for tcp6)'
      : 'server address (default: 127.0.0.1 for tcp, ::1 for tcp6)';
  const portHelp = role === 'listen' ? 'TCP port to listen on; 0 picks a free one' : 'server TCP port';
  return new Command(name)
    .description(description)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .option('--host <address>', hostHelp)
    .addOption(new Option('--port <number>', portHelp).default(defaultPort).argParser(parsePort))
    .option('--unix <path>', 'Unix socket path (implies --transport unix)')
    .addOption(
      new Option('--transport <kind>', 'tcp, tcp6 or unix (default: tcp, or unix with --unix)').choices(TRANSPORTS),
    );
}

/** What names a program on the command line. */
export interface ProgramIdentity {
  readonly name: string;
  readonly description: string;
  readonly defaultPort: number;
}

/**
 * Builds the program's command (shared options plus `addOptions`), parses
 * argv and resolves the endpoint. Returns the exit status instead when the
 * program should stop here (help shown: 0, bad arguments: 2).
 */
export function parseProgramArgs<Options extends Record<string, unknown>>(
  program: ProgramIdentity,
  role: EndpointRole,
  io: ProgramIO,
  addOptions: (command: Command) => Command,
): { readonly endpoint: Endpoint; readonly options: Options } | number {
  const command = addOptions(endpointCommand(program.name, program.description, program.defaultPort, role, io));
  try {
    command.parse(io.argv, { from: 'user' });
  } catch (error) {
    return commanderExitCode(error);
  }
  const endpoint = resolveEndpoint(command);
  return typeof endpoint === 'number' ? endpoint : { endpoint, options: command.opts<Options>() };
}

function commanderExitCode(error: unknown): number {
  if (!(error instanceof CommanderError)) throw error;
  return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? 0 : USAGE_EXIT_CODE;
}

/** Combines --transport, --unix, --host and --port; reports contradictions as usage errors. */
function resolveEndpoint(command: Command): Endpoint | number {
  const options = command.opts<{ host?: string; port: number; unix?: string; transport?: StreamTransportKind }>();
  const transport = options.transport ?? (options.unix === undefined ? 'tcp' : 'unix');
  try {
    if (transport === 'unix') {
      if (options.unix === undefined || options.unix === '') {
        command.error('error: --transport unix needs a socket path: --unix <path>', { exitCode: USAGE_EXIT_CODE });
      }
      if (options.host !== undefined || command.getOptionValueSource('port') === 'cli') {
        command.error('error: --host and --port do not apply to a Unix socket (--unix)', { exitCode: USAGE_EXIT_CODE });
      }
      return { transport, path: options.unix };
    }
    if (options.unix !== undefined) {
      command.error(`error: --unix cannot be combined with --transport ${transport}`, { exitCode: USAGE_EXIT_CODE });
    }
    if (options.host === '') command.error('error: --host must not be empty', { exitCode: USAGE_EXIT_CODE });
    return { transport, host: options.host ?? DEFAULT_HOST[transport], port: options.port };
  } catch (error) {
    return commanderExitCode(error);
  }
}

/** The URL form used in `listening <url>` lines, for messages about an endpoint not yet bound. */
export function describeEndpoint(endpoint: Endpoint): string {
  return formatUrl(endpoint.transport === 'unix' ? { transport: 'unix', host: endpoint.path, port: 0 } : endpoint);
}

/** Reads the line runServer prints once bound (`listening tcp://127.0.0.1:5678`); undefined for any other line. */
export function parseListeningLine(line: string): (Endpoint & { readonly url: string }) | undefined {
  const prefix = 'listening ';
  if (!line.startsWith(prefix)) return undefined;
  const url = line.slice(prefix.length);
  try {
    return { ...parseUrl(url), url };
  } catch {
    return undefined;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
