import type { ClientProgram, LineSession, ServerProgram } from '@sockspec/app-kit';
import { createClient } from '@sockspec/protocol-raw-echo';
import { createProtocolServer } from '@sockspec/server';
import type { Command } from 'commander';
import { ECHO_DEFAULT_PORT } from './port.js';
import { rawEchoProtocol } from './raw-echo-protocol.js';

const prefixOf = (options: Readonly<Record<string, unknown>> = {}): string =>
  typeof options.prefix === 'string' ? options.prefix : '';

/** Run from source (tsx) a module is TypeScript; built, JavaScript. */
const SOURCE_EXTENSION = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

/**
 * The tutorials' echo server (specs/raw-echo.protocol.yaml): no framing, so a
 * client that sends bytes without a newline and blocks in recv(1024) gets
 * them back, as from their `conn.send(indata)`.
 */
export const echoServerProgram: ServerProgram = {
  name: 'sockspec-echo-server',
  description: `Echo server, as in the socket tutorials: whatever each read brings is sent back (after --prefix, if given); on udp and unix-dgram each datagram. Listens on 127.0.0.1:${ECHO_DEFAULT_PORT} unless told otherwise.`,
  defaultPort: ECHO_DEFAULT_PORT,
  addOptions: (command: Command) =>
    command.option('--prefix <text>', "sent before every echoed read, as the tutorials' 'echo ' + indata", ''),
  createServer: (options, programOptions) => createProtocolServer(rawEchoProtocol(prefixOf(programOptions)), options),
  threadsModule: (programOptions) => {
    const url = new URL(`./threads-protocol.${SOURCE_EXTENSION}`, import.meta.url);
    const prefix = prefixOf(programOptions);
    if (prefix !== '') url.searchParams.set('prefix', prefix);
    return url;
  },
};

/** The one request in flight: what was sent, what has come back so far. */
interface EchoWait {
  readonly sent: Uint8Array;
  readonly chunks: Uint8Array[];
  size: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (reply: string) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The tutorials' echo client: what you type goes out as it is, with no line
 * ending (`s.send(outdata.encode())`), and what comes back is printed. Unlike
 * their single recv(1024), it reads until the echo is complete, so a reply
 * cut into two reads is still printed whole.
 */
export const echoClientProgram: ClientProgram = {
  name: 'sockspec-echo-client',
  description:
    'Echo client, as in the socket tutorials. On a terminal: type a line, it is sent without a line ending and what comes back is printed; an empty line quits. Otherwise: sends each stdin line the same way, one at a time, and prints each reply.',
  defaultPort: ECHO_DEFAULT_PORT,
  // Two requests in flight could come back as one read, with nothing to tell them apart.
  scriptWindow: 1,
  async connect(options): Promise<LineSession> {
    const client = await createClient(options);
    let waiting: EchoWait | null = null;
    const settle = (): EchoWait | null => {
      const wait = waiting;
      waiting = null;
      if (wait !== null) clearTimeout(wait.timer);
      return wait;
    };
    client.on('Data', ({ bytes }) => {
      if (waiting === null) return;
      waiting.chunks.push(bytes.slice());
      waiting.size += bytes.length;
      const received = Buffer.concat(waiting.chunks, waiting.size);
      // Complete once it ends with what was sent: an echo does, whatever the prefix.
      const tail = received.subarray(Math.max(0, received.length - waiting.sent.length));
      if (tail.equals(waiting.sent)) settle()?.resolve(received.toString('utf8'));
    });
    void client.closed.then((error) => settle()?.reject(error ?? new Error('server closed the connection')));
    return {
      request(text, timeoutMs) {
        const sent = new TextEncoder().encode(text);
        // Zero bytes on a stream are no message at all: there is nothing to echo.
        if (sent.length === 0) return Promise.resolve('');
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            settle();
            reject(new Error(`no complete echo of the ${sent.length} bytes sent within ${timeoutMs} ms`));
          }, timeoutMs);
          waiting = { sent, chunks: [], size: 0, timer, resolve, reject };
          client.send({ type: 'Data', bytes: sent });
        });
      },
      close: () => client.close(),
      closed: client.closed,
    };
  },
};
