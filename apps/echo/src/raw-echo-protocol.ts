import { type ClientMessage, createServerProtocol } from '@sockspec/protocol-raw-echo';
import type { ServerProtocol } from '@sockspec/server';

/**
 * The raw echo server protocol: what each read brings goes back, after
 * `prefix` when one is given (the tutorials' `'echo ' + indata`). Without a
 * prefix it is the spec's declared `echo` behavior unchanged.
 */
export function rawEchoProtocol(prefix = ''): ServerProtocol<ClientMessage> {
  const protocol = createServerProtocol();
  if (prefix === '') return protocol;
  const head = new TextEncoder().encode(prefix);
  return {
    ...protocol,
    dispatch(message, connection) {
      // One write, as the tutorial's conn.send(outdata): a peer's single
      // recv(1024) must get the prefix and the bytes together.
      const reply = new Uint8Array(head.length + message.bytes.length);
      reply.set(head, 0);
      reply.set(message.bytes, head.length);
      connection.send(reply);
    },
  };
}
