import { FileStore } from '@sockspec/app-file-transfer';
import type { ServerProgram } from '@sockspec/app-kit';
import { createServerProtocol, encodeResponse } from '@sockspec/protocol-http';
import { createProtocolServer, type ProtocolServer, type ServerOptions } from '@sockspec/server';
import { type WebFiles, webHandlers } from './handlers.js';
import { statusOfBadRequest, textResponse } from './responses.js';

/** Python's `http.server` listens on 8000; so does this one, unless told otherwise. */
export const WEB_DEFAULT_PORT = 8000;

export interface WebServerOptions extends ServerOptions {
  /** The directory served; nothing outside it is read. */
  readonly root: string;
  /** Files to serve instead of opening `root` (tests wrap a store to watch it). */
  readonly files?: WebFiles;
}

/**
 * The simplest web server, from specs/http.protocol.yaml: the generated
 * server with webHandlers, and an error page for requests the decoder
 * refuses (400, 413, 414, 431, then the connection closes: after a bad head
 * the stream position is unknown). The root is opened on listen().
 */
export function createWebServer(options: WebServerOptions): Pick<ProtocolServer, 'listen' | 'shutdown' | 'handleOne'> {
  const { root, files, ...serverOptions } = options;
  let server: ProtocolServer | undefined;
  const start = async (): Promise<ProtocolServer> => {
    const store = files ?? (await FileStore.open(root));
    const protocol = {
      ...createServerProtocol(webHandlers(store)),
      errorFrame: (error: Error) =>
        encodeResponse(textResponse(statusOfBadRequest(error), error.message, { close: true })),
    };
    server = createProtocolServer(protocol, serverOptions);
    return server;
  };
  return {
    async listen() {
      return (await start()).listen();
    },
    async handleOne() {
      return (await start()).handleOne();
    },
    async shutdown(shutdownOptions) {
      await server?.shutdown(shutdownOptions);
    },
  };
}

export const webServerProgram: ServerProgram = {
  name: 'sockspec-web-server',
  description: `The simplest web server: GET and HEAD of the files under --root over HTTP/1.1, keep-alive, Content-Type from the extension. Listens on 127.0.0.1:${WEB_DEFAULT_PORT} unless told otherwise.`,
  defaultPort: WEB_DEFAULT_PORT,
  addOptions: (command) =>
    command.requiredOption(
      '--root <dir>',
      'directory to serve (/ is its index.html); paths that lead outside it are refused',
    ),
  createServer(options, programOptions) {
    const root = programOptions?.root;
    if (typeof root !== 'string') throw new Error('the web server needs a directory to serve (--root)');
    return createWebServer({ ...options, root });
  },
};
