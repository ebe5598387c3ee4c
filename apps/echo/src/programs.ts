import type { ClientProgram, ServerProgram } from '@sockspec/app-kit';
import { createClient, createServer } from '@sockspec/protocol-echo';

export const ECHO_DEFAULT_PORT = 5678;

export const echoServerProgram: ServerProgram = {
  name: 'sockspec-echo-server',
  description: `Echo server: sends every line back to the client that sent it. Listens on 127.0.0.1:${ECHO_DEFAULT_PORT} unless told otherwise.`,
  defaultPort: ECHO_DEFAULT_PORT,
  createServer: (options) => createServer(undefined, options),
  // Run from source (tsx) the module is TypeScript; built, JavaScript.
  threadsModule: new URL(`./threads-protocol.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
};

export const echoClientProgram: ClientProgram = {
  name: 'sockspec-echo-client',
  description:
    'Echo client. On a terminal: type a line, see it come back; an empty line quits. Otherwise: sends each stdin line, prints each reply.',
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
