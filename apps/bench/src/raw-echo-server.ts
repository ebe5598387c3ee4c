import { createServer, type Server, type Socket } from 'node:net';
import type { ServerProgram } from '@sockspec/app-kit';
import type { ProtocolServer, ServerOptions } from '@sockspec/server';
import { type BoundAddress, formatUrl } from '@sockspec/transport';
import { closeNetServer } from './close-net-server.js';

/** The same limit as specs/echo.protocol.yaml, so both servers do the same work per line. */
export const RAW_MAX_LINE_BYTES = 65_536;
const NEWLINE = 0x0a;

/**
 * The baseline: the echo a person would write by hand on node:net, with no
 * framework. It echoes complete lines only (split on \n, a partial line is
 * held until its end arrives), with the same line-length limit and noDelay,
 * so the benchmark compares like with like. The write of all complete lines
 * of a chunk at once is what any hand-written echo does; the generated
 * server batches per tick with writev, which is its equivalent.
 */
export function createRawEchoServer(options: ServerOptions): Pick<ProtocolServer, 'listen' | 'shutdown'> {
  const sockets = new Set<Socket>();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let partial: Buffer[] = [];
    let partialBytes = 0;
    const tooLong = (): void => {
      log(
        `raw echo: line from ${socket.remoteAddress}:${socket.remotePort} is longer than ${RAW_MAX_LINE_BYTES} bytes`,
      );
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      const lastNewline = chunk.lastIndexOf(NEWLINE);
      if (lastNewline < 0) {
        partialBytes += chunk.length;
        if (partialBytes > RAW_MAX_LINE_BYTES) return tooLong();
        partial.push(chunk);
        return;
      }
      if (partialBytes + chunk.indexOf(NEWLINE) > RAW_MAX_LINE_BYTES) return tooLong();
      if (partial.length > 0) {
        socket.write(Buffer.concat([...partial, chunk.subarray(0, lastNewline + 1)]));
        partial = [];
        partialBytes = 0;
      } else {
        socket.write(chunk.subarray(0, lastNewline + 1));
      }
      if (lastNewline + 1 < chunk.length) {
        partial.push(chunk.subarray(lastNewline + 1));
        partialBytes = chunk.length - lastNewline - 1;
      }
    });
    socket.on('end', () => socket.end());
  });

  return {
    listen: () =>
      new Promise<BoundAddress>((resolve, reject) => {
        server.once('error', reject);
        const done = (): void => {
          server.off('error', reject);
          const bound = server.address();
          const address =
            options.transport === 'unix' || typeof bound === 'string' || bound === null
              ? { transport: 'unix' as const, host: options.path ?? '', port: 0 }
              : { transport: options.transport ?? 'tcp', host: bound.address, port: bound.port };
          resolve({ ...address, url: formatUrl(address) });
        };
        if (options.transport === 'unix') server.listen({ path: options.path }, done);
        else server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, done);
      }),
    shutdown: ({ drainMs = 5000 } = {}) => closeNetServer(server, sockets, drainMs),
  };
}

export const rawEchoServerProgram: ServerProgram = {
  name: 'sockspec-bench-raw-echo',
  description: 'Hand-written node:net line echo server, the baseline for the echo benchmark.',
  defaultPort: 0,
  createServer: createRawEchoServer,
};
