import type { PeerAddress } from '@sockspec/transport';
import type { ProtocolClient } from './types.js';

/**
 * What every generated client has besides its request methods: pushes by
 * type or as an async iterable, sending any message, closing. Generated
 * clients extend it, so this code exists once rather than once per protocol.
 */
export interface TypedClient<Outgoing, Incoming extends { readonly type: string }> {
  /** Resolves when the connection has closed, with the error that closed it if any. */
  readonly closed: Promise<Error | undefined>;
  readonly remote: PeerAddress;
  /** Sends any client message without waiting for an answer. */
  send(message: Outgoing): void;
  /** Listens for server messages of one type that answer no request; returns a function that stops listening. */
  on<K extends Incoming['type']>(type: K, listener: (message: Extract<Incoming, { type: K }>) => void): () => void;
  /** Server messages that answer no request, in order; ends when the connection closes. */
  [Symbol.asyncIterator](): AsyncIterator<Incoming>;
  /** Closes the connection; pending requests reject. */
  close(): Promise<void>;
}

/** The TypedClient part of a generated client, over the engine's client and the protocol's encoder. */
export function typedClient<Outgoing, Incoming extends { readonly type: string }>(
  client: ProtocolClient<Incoming>,
  encode: (message: Outgoing) => Uint8Array,
): TypedClient<Outgoing, Incoming> {
  return {
    closed: client.closed,
    remote: client.remote,
    send: (message) => client.send(encode(message)),
    on: (type, listener) =>
      client.onMessage((message) => {
        if (message.type === type) listener(message as Extract<Incoming, { type: typeof type }>);
      }),
    [Symbol.asyncIterator]: () => client[Symbol.asyncIterator](),
    close: () => client.close(),
  };
}
