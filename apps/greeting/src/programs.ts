import { type ProgramIdentity, type ServerProgram, visible } from '@sockspec/app-kit';
import { createClient, createServer } from '@sockspec/protocol-greeting';

/** The tutorials' greeting server listens on 12345 (`TCPServer(('', 12345), Handler)`). */
export const GREETING_DEFAULT_PORT = 12345;

/**
 * The tutorials' greeting server (specs/greeting.protocol.yaml): every
 * client is told 'Thank you for connecting' and the connection closes,
 * because the spec says `greeting: { …, close: true }`. `--once` serves one
 * connection and exits, as socketserver's handle_request() does.
 */
export const greetingServerProgram: ServerProgram = {
  name: 'sockspec-greeting-server',
  description: `Greeting server, as in the socketserver tutorial: says 'Thank you for connecting' to each client, then closes its connection. Listens on 127.0.0.1:${GREETING_DEFAULT_PORT} unless told otherwise; --once serves one client and exits.`,
  defaultPort: GREETING_DEFAULT_PORT,
  createServer: (options) => createServer(undefined, options),
  threadsModule: new URL(`./threads-protocol.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
};

export const greetingClientProgram: ProgramIdentity = {
  name: 'sockspec-greeting-client',
  description: 'Greeting client: connects, prints what the server says until it closes the connection, and exits.',
  defaultPort: GREETING_DEFAULT_PORT,
};

/**
 * Everything the server said before it closed, as text. Raw framing: the
 * greeting may arrive in more than one read, so the pieces are joined.
 */
export async function collectGreeting(options: Parameters<typeof createClient>[0]): Promise<string> {
  const client = await createClient(options);
  const pieces: string[] = [];
  client.on('Greeting', (message) => pieces.push(message.text));
  const error = await client.closed;
  if (error !== undefined) throw error;
  return visible(pieces.join(''));
}
