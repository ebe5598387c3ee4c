import type { ClientProgram, ServerProgram } from '@sockspec/app-kit';
import { createClient, createServer } from '@sockspec/protocol-echo';

import { ECHO_DEFAULT_PORT } from './port.js';

/** The line-oriented echo (specs/echo.protocol.yaml): one reply line per request line. */
export const lineEchoServerProgram: ServerProgram = {
  name: 'sockspec-line-echo-server',
  description: `Line echo server: sends every line back to the client that sent it, one reply line per line. Listens on 127.0.0.1:${ECHO_DEFAULT_PORT} unless told otherwise.`,
  defaultPort: ECHO_DEFAULT_PORT,
  createServer: (options) => createServer(undefined, options),
  // Run from source (tsx) the module is TypeScript; built, JavaScript.
  threadsModule: new URL(`./line-threads-protocol.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
};

export const lineEchoClientProgram: ClientProgram = {
  name: 'sockspec-line-echo-client',
  description:
    'Line echo client. On a terminal: type a line, see it come back; an empty line quits. Otherwise: sends each stdin line, prints each reply.',
  defaultPort: ECHO_DEFAULT_PORT,
  async connect(options) {
    const client = await createClient(options);
    return {
      request: async (text, timeoutMs) => (await client.line({ text }, { timeoutMs })).text,
      close: () => client.close(),
      closed: client.closed,
    };
  },
};
