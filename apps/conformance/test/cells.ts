import { join } from 'node:path';
import { createConcurrency, threadsModuleOf } from '@sockspec/app-kit';
import { startServer } from '@sockspec/app-kit/testing';
import type { ClientOptions } from '@sockspec/client';
import type { ServerOptions } from '@sockspec/server';
import { parseUrl, type TransportKind } from '@sockspec/transport';
import { type ConformanceProtocol, packageDir } from '../src/index.js';
import type { TlsFiles } from './tls-files.js';

export type ModelName = Parameters<typeof createConcurrency>[0]['concurrency'];

export interface CellContext {
  /** Per-cell scratch space: unix socket files live here. */
  readonly dir: string;
  /** The throwaway certificate tls cells serve and trust. */
  readonly tls: TlsFiles;
  /** A running Redis for servers that share their groups (`--groups`). */
  readonly groupsUrl?: string;
}

const WEBSOCKET_PATH = '/conformance';

/** Where a cell's server listens: loopback only, port 0 (ephemeral) or a fresh socket path. */
function listenEndpoint(transport: TransportKind, context: CellContext): ServerOptions {
  if (transport === 'unix' || transport === 'unix-dgram') {
    return { transport, path: join(context.dir, `${transport}.sock`) };
  }
  const host = transport.endsWith('6') ? '::1' : '127.0.0.1';
  if (transport === 'tls') return { transport, host, port: 0, tls: { cert: context.tls.cert, key: context.tls.key } };
  if (transport === 'websocket') return { transport, host, port: 0, websocket: { path: WEBSOCKET_PATH } };
  return { transport, host, port: 0 };
}

/** The same endpoint as a server program's command line. */
function programArgs(transport: TransportKind, context: CellContext): string[] {
  const endpoint = listenEndpoint(transport, context);
  const args = ['--transport', transport];
  if (endpoint.path !== undefined) return [...args, '--unix', endpoint.path];
  args.push('--host', endpoint.host ?? '', '--port', '0');
  if (transport === 'tls') args.push('--cert', context.tls.cert, '--key', context.tls.key);
  if (transport === 'websocket') args.push('--ws-path', WEBSOCKET_PATH);
  return args;
}

/** Client options for the URL a server reported, trusting the cell's certificate for tls. */
function clientOptions(url: string, context: CellContext): ClientOptions {
  const endpoint = parseUrl(url);
  return endpoint.transport === 'tls' ? { ...endpoint, tls: { ca: context.tls.cert } } : endpoint;
}

/** Two connections one after the other, so serial's hand-over from one connection to the next is exercised too. */
const CONNECTIONS = 2;

async function exchangeAll(protocol: ConformanceProtocol, options: ClientOptions, where: string): Promise<number> {
  let checked = 0;
  for (let index = 0; index < CONNECTIONS; index++) checked += await protocol.exchange(options, where);
  return checked;
}

/**
 * Runs one cell: a real server for `protocol` over `transport` under
 * `model`, the generated client against it, exact replies checked. Resolves
 * with the number of replies checked; rejects with what went wrong and the
 * server's log.
 */
export async function runCell(
  protocol: ConformanceProtocol,
  transport: TransportKind,
  model: ModelName,
  context: CellContext,
): Promise<number> {
  const where = `${protocol.name} over ${transport} under ${model}`;
  if (model === 'processes') {
    const { program, address } = await startServer({
      cwd: packageDir(protocol.serverEntry.packageName),
      script: protocol.serverEntry.script,
      args: [
        ...programArgs(transport, context),
        '--concurrency',
        'processes',
        '--workers',
        '2',
        ...(protocol.sharedGroups !== undefined && context.groupsUrl !== undefined
          ? ['--groups', context.groupsUrl]
          : []),
      ],
    });
    let checked = 0;
    let failure: unknown;
    try {
      checked = await exchangeAll(protocol, clientOptions(address.url, context), where);
    } catch (error) {
      failure = error;
    }
    const exit = await program.signal('SIGTERM');
    if (failure !== undefined) {
      throw new Error(`${String(failure)}; server stderr: ${program.stderr.join(' | ')}`, { cause: failure });
    }
    if (exit.code !== 0) {
      throw new Error(
        `${where}: server exited with ${exit.code ?? exit.signal} on SIGTERM, expected 0; stderr: ${program.stderr.join(' | ')}`,
      );
    }
    return checked;
  }

  const log: string[] = [];
  const server = protocol.server.createServer({
    ...listenEndpoint(transport, context),
    concurrency: createConcurrency({ concurrency: model }, threadsModuleOf(protocol.server)),
    log: (line) => log.push(line),
  });
  const address = await server.listen();
  let checked = 0;
  try {
    checked = await exchangeAll(protocol, clientOptions(address.url, context), where);
  } catch (error) {
    throw new Error(`${String(error)}; server log: ${log.join(' | ') || '(empty)'}`, { cause: error });
  } finally {
    await server.shutdown({ drainMs: 1000 });
  }
  if (log.length > 0) throw new Error(`${where}: the server logged problems: ${log.join(' | ')}`);
  return checked;
}
