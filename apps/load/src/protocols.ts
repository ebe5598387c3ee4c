import type { ClientOptions } from '@sockspec/client';
import * as echo from '@sockspec/protocol-echo';
import * as timestamp from '@sockspec/protocol-timestamp';
import { WrongReplyError } from './errors.js';

/** One connection's view of a protocol under load: send request `n`, check its reply. */
export interface LoadSession {
  /** Sends the connection's `index`th request and resolves once its reply arrived and was checked (WrongReplyError if wrong). */
  request(index: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface LoadProtocol {
  readonly name: string;
  connect(options: ClientOptions, connection: number): Promise<LoadSession>;
}

/** Distinct per connection and per message, so a reply sent to the wrong connection or out of order is caught. */
const requestText = (connection: number, index: number): string => `load c${connection} m${index}`;
const SECOND = 1000;

const echoLoad: LoadProtocol = {
  name: 'echo',
  async connect(options, connection) {
    const client = await echo.createClient(options);
    return {
      async request(index, timeoutMs) {
        const text = requestText(connection, index);
        const reply = await client.line({ text }, { timeoutMs });
        if (reply.type !== 'Line' || reply.text !== text) {
          throw new WrongReplyError(`Line ${JSON.stringify(text)}`, JSON.stringify(text), JSON.stringify(reply.text));
        }
      },
      close: () => client.close(),
    };
  },
};

const timestampLoad: LoadProtocol = {
  name: 'timestamp',
  async connect(options, connection) {
    const client = await timestamp.createClient(options);
    return {
      async request(index, timeoutMs) {
        const text = requestText(connection, index);
        const sentAt = Date.now();
        const reply = await client.stamp({ text }, { timeoutMs });
        const time = reply.time.getTime();
        // ctime keeps whole seconds: a right stamp lies between the start of the sending second and now.
        if (
          reply.type !== 'Stamped' ||
          reply.text !== text ||
          !(time >= Math.floor(sentAt / SECOND) * SECOND && time <= Date.now())
        ) {
          throw new WrongReplyError(
            `Stamp ${JSON.stringify(text)}`,
            `${JSON.stringify(text)} stamped at about ${new Date(sentAt).toISOString()}`,
            `${JSON.stringify(reply.text)} stamped ${Number.isNaN(time) ? 'Invalid Date' : reply.time.toISOString()}`,
          );
        }
      },
      close: () => client.close(),
    };
  },
};

/** Protocols the load client speaks, by spec name. */
export const LOAD_PROTOCOLS: ReadonlyMap<string, LoadProtocol> = new Map(
  [echoLoad, timestampLoad].map((protocol) => [protocol.name, protocol]),
);
