import {
  type Endpoint,
  formatUrl,
  isDatagramTransport,
  isOrigin,
  parseUrl,
  type TlsOptions,
  TRANSPORT_KINDS,
  type TransportKind,
} from '@sockspec/transport';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { ProgramIO } from './io.js';

type PathTransport = Extract<Endpoint, { readonly path: string }>['transport'];
/** Transports addressed by a socket path (--unix) rather than host and port. */
function isPathTransport(kind: TransportKind): kind is PathTransport {
  return kind === ('unix' satisfies PathTransport) || kind === ('unix-dgram' satisfies PathTransport);
}
/** IPv6 kinds (tcp6, udp6) default to the IPv6 loopback; every other IP kind to the IPv4 one. */
function defaultHost(kind: TransportKind): string {
  return kind.endsWith('6') ? '::1' : '127.0.0.1';
}
/** The transport package bounds a datagram by the OS; this bounds the option before anything is allocated. */
const MAX_DATAGRAM_BYTES_OPTION = 65_536;
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
      ? 'address to listen on (default: 127.0.0.1, ::1 for tcp6 and udp6)'
      : 'server address (default: 127.0.0.1, ::1 for tcp6 and udp6)';
  const portHelp = role === 'listen' ? 'port to listen on; 0 picks a free one' : 'server port';
  const tlsHelp =
    role === 'listen'
      ? ['certificate (PEM file) the server presents (tls)', 'private key (PEM file) of --cert (tls)']
      : ['client certificate (PEM file), when the server asks for one (tls)', 'private key (PEM file) of --cert (tls)'];
  const command = new Command(name)
    .description(description)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .option('--host <address>', hostHelp)
    .addOption(new Option('--port <number>', portHelp).default(defaultPort).argParser(parsePort))
    .option('--unix <path>', 'socket path of unix and unix-dgram (implies --transport unix)')
    .addOption(
      new Option('--transport <kind>', 'how to reach the peer (default: tcp, or unix with --unix)').choices(
        TRANSPORT_KINDS,
      ),
    )
    .option('--cert <file>', tlsHelp[0])
    .option('--key <file>', tlsHelp[1])
    .option(
      '--ca <file>',
      role === 'listen'
        ? 'CA (PEM file) client certificates must chain to; asks every client for one (tls)'
        : 'CA (PEM file) to trust for the server certificate instead of the system roots (tls)',
    )
    .option('--ws-path <path>', 'HTTP path of the websocket endpoint (websocket; default /)')
    .addOption(
      new Option('--max-datagram-bytes <n>', 'largest datagram sent or accepted (udp, udp6, unix-dgram)').argParser(
        (value) => {
          const bytes = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
          if (!(bytes >= 1 && bytes <= MAX_DATAGRAM_BYTES_OPTION)) {
            throw new InvalidArgumentError(`expected bytes from 1 to ${MAX_DATAGRAM_BYTES_OPTION}, got '${value}'.`);
          }
          return bytes;
        },
      ),
    );
  if (role === 'listen') {
    command.option(
      '--allow-origin <origin...>',
      'browser origins allowed to connect, e.g. https://chat.example; others get 403 (websocket; default: any)',
    );
  }
  return command;
}

/**
 * Where a program listens or connects, plus the transport options its
 * command line set (TLS files, datagram size); spread into the engine options.
 */
export type ProgramEndpoint = Endpoint & {
  readonly tls?: TlsOptions;
  readonly maxDatagramBytes?: number;
};

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
): { readonly endpoint: ProgramEndpoint; readonly options: Options } | number {
  const command = addOptions(endpointCommand(program.name, program.description, program.defaultPort, role, io));
  try {
    command.parse(io.argv, { from: 'user' });
  } catch (error) {
    return commanderExitCode(error);
  }
  const endpoint = resolveEndpoint(command, role);
  return typeof endpoint === 'number' ? endpoint : { endpoint, options: command.opts<Options>() };
}

function commanderExitCode(error: unknown): number {
  if (!(error instanceof CommanderError)) throw error;
  return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? 0 : USAGE_EXIT_CODE;
}

interface EndpointArgs {
  host?: string;
  port: number;
  unix?: string;
  transport?: TransportKind;
  cert?: string;
  key?: string;
  ca?: string;
  wsPath?: string;
  allowOrigin?: string[];
  maxDatagramBytes?: number;
}

/**
 * Combines --transport, --unix, --host, --port and the transport-specific
 * options; reports contradictions (an option the transport does not take)
 * as usage errors rather than ignoring them.
 */
function resolveEndpoint(command: Command, role: EndpointRole): ProgramEndpoint | number {
  const options = command.opts<EndpointArgs>();
  const transport = options.transport ?? (options.unix === undefined ? 'tcp' : 'unix');
  const usage = (message: string): never => command.error(`error: ${message}`, { exitCode: USAGE_EXIT_CODE });
  try {
    const tls = tlsOptions(options, transport, role, usage);
    if (options.wsPath !== undefined) {
      if (transport !== 'websocket') usage(`--ws-path applies to --transport websocket, not ${transport}`);
      if (!options.wsPath.startsWith('/')) usage(`--ws-path must start with '/', got '${options.wsPath}'`);
    }
    if (options.allowOrigin !== undefined) {
      if (transport !== 'websocket') usage(`--allow-origin applies to --transport websocket, not ${transport}`);
      for (const origin of options.allowOrigin) {
        if (!isOrigin(origin)) {
          usage(
            `--allow-origin: '${origin}' is not an origin; write it as scheme://host[:port], e.g. https://chat.example`,
          );
        }
      }
    }
    if (options.maxDatagramBytes !== undefined && !isDatagramTransport(transport)) {
      usage(`--max-datagram-bytes applies to udp, udp6 and unix-dgram, not ${transport}`);
    }
    const extras = {
      ...(tls === undefined ? {} : { tls }),
      ...(options.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: options.maxDatagramBytes }),
    };
    if (isPathTransport(transport)) {
      if (options.unix === undefined || options.unix === '') {
        usage(`--transport ${transport} needs a socket path: --unix <path>`);
      }
      if (options.host !== undefined || command.getOptionValueSource('port') === 'cli') {
        usage('--host and --port do not apply to a Unix socket (--unix)');
      }
      return { transport, path: options.unix!, ...extras };
    }
    if (options.unix !== undefined) usage(`--unix cannot be combined with --transport ${transport}`);
    if (options.host === '') usage('--host must not be empty');
    const host = options.host ?? defaultHost(transport);
    if (transport === 'websocket') {
      const websocket = {
        path: options.wsPath ?? '/',
        ...(options.allowOrigin === undefined ? {} : { allowOrigins: options.allowOrigin }),
      };
      return { transport, host, port: options.port, websocket, ...extras };
    }
    return { transport, host, port: options.port, ...extras };
  } catch (error) {
    return commanderExitCode(error);
  }
}

/** --cert/--key/--ca as the transport's TlsOptions: file paths, which it reads (bounded) when listening or connecting. */
function tlsOptions(
  options: EndpointArgs,
  transport: TransportKind,
  role: EndpointRole,
  usage: (message: string) => never,
): TlsOptions | undefined {
  const given = (['cert', 'key', 'ca'] as const).filter((name) => options[name] !== undefined);
  if (transport !== 'tls') {
    if (given.length > 0) usage(`--${given[0]} applies to --transport tls, not ${transport}`);
    return undefined;
  }
  if (role === 'listen' && (options.cert === undefined || options.key === undefined)) {
    usage('--transport tls needs the server certificate and its key: --cert <file> --key <file>');
  }
  if ((options.cert === undefined) !== (options.key === undefined)) usage('--cert and --key go together');
  return {
    ...(options.cert === undefined ? {} : { cert: options.cert }),
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    // A server given a CA checks client certificates against it: that is what --ca asks for there.
    ...(role === 'listen' && options.ca !== undefined ? { requestCert: true } : {}),
  };
}

/** The URL form used in `listening <url>` lines, for messages about an endpoint not yet bound. */
export function describeEndpoint(endpoint: Endpoint): string {
  return formatUrl(endpoint);
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

/** A commander parser for a whole number from min to max (at most 10 digits), with a message naming `what`. */
export function boundedInteger(what: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const number = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
    if (!(number >= min && number <= max)) {
      throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}, got '${value}'.`);
    }
    return number;
  };
}
