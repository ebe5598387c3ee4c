import { type ClientProgram, frameText, type ServerProgram } from '@sockspec/app-kit';
import { createClient, createServer, encodeStamped, framing } from '@sockspec/protocol-timestamp';

export const TIMESTAMP_DEFAULT_PORT = 5679;

export const timestampServerProgram: ServerProgram = {
  name: 'sockspec-timestamp-server',
  description: `Timestamp server: answers every line with "[ctime] line" in the server's local time. Listens on 127.0.0.1:${TIMESTAMP_DEFAULT_PORT} unless told otherwise.`,
  defaultPort: TIMESTAMP_DEFAULT_PORT,
  createServer: (options) => createServer(undefined, options),
  // Run from source (tsx) the module is TypeScript; built, JavaScript.
  threadsModule: new URL(`./threads-protocol.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
};

export const timestampClientProgram: ClientProgram = {
  name: 'sockspec-timestamp-client',
  description:
    'Timestamp client. On a terminal: type a line, see it come back time-stamped; an empty line quits. Otherwise: sends each stdin line, prints each reply.',
  defaultPort: TIMESTAMP_DEFAULT_PORT,
  async connect(options) {
    const client = await createClient(options);
    return {
      // Printed as the server wrote it ("[Mon Nov 23 11:20:26 2026] hello"), as the tutorials' client shows it.
      request: async (text, timeoutMs) =>
        frameText(encodeStamped(await client.stamp({ text }, { timeoutMs })), framing),
      close: () => client.close(),
      closed: client.closed,
    };
  },
};
