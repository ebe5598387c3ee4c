import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { echoServerProgram } from '@sockspec/app-echo';
import type { ServerProgram } from '@sockspec/app-kit';
import { timestampServerProgram } from '@sockspec/app-timestamp';
import type { ClientOptions } from '@sockspec/client';
import * as echo from '@sockspec/protocol-echo';
import * as timestamp from '@sockspec/protocol-timestamp';
import { WrongReplyError } from './errors.js';

/** What the matrix needs to know about one generated protocol. */
export interface ConformanceProtocol {
  /** The spec's `protocol:` name; its spec is `specs/<name>.protocol.yaml`. */
  readonly name: string;
  /**
   * The protocol's server program: its `createServer` (the generated one)
   * runs in-process for every model but `processes`, with its
   * `threadsModule` for `threads`.
   */
  readonly server: ServerProgram;
  /**
   * Where that program's entry is (`<package>/<script>`), for `processes`:
   * node:cluster forks the running program, so it has to be a real program
   * rather than a server built inside the test.
   */
  readonly serverEntry: { readonly packageName: string; readonly script: string };
  /**
   * Connects the generated client with `options`, exchanges messages and
   * throws WrongReplyError on the first reply that is not exactly the one
   * expected. Resolves with how many replies were checked.
   */
  exchange(options: ClientOptions, where: string): Promise<number>;
}

/**
 * Lines every line protocol gets: empty, non-ASCII, long, and a run of them
 * in flight at once, so replies out of order or mixed up are caught.
 */
export const SAMPLE_LINES: readonly string[] = [
  'hello',
  '',
  'ünïcødé ✓ 日本',
  'tab\tseparated  spaces ',
  'x'.repeat(3000),
  ...Array.from({ length: 8 }, (_, index) => `pipelined ${index}`),
];

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

const echoProtocol: ConformanceProtocol = {
  name: 'echo',
  server: echoServerProgram,
  serverEntry: { packageName: '@sockspec/app-echo', script: 'src/server.ts' },
  async exchange(options, where) {
    const client = await echo.createClient(options);
    try {
      const replies = await Promise.all(SAMPLE_LINES.map((text) => client.line({ text })));
      replies.forEach((reply, index) => {
        const text = SAMPLE_LINES[index]!;
        if (reply.type !== 'Line' || reply.text !== text) {
          throw new WrongReplyError(where, `Line ${show(text)}`, show({ type: 'Line', text }), show(reply));
        }
      });
      return replies.length;
    } finally {
      await client.close();
    }
  },
};

/** ctime has whole seconds, so a correct stamp lies within the second the request was sent in and the reply's. */
const SECOND = 1000;

const timestampProtocol: ConformanceProtocol = {
  name: 'timestamp',
  server: timestampServerProgram,
  serverEntry: { packageName: '@sockspec/app-timestamp', script: 'src/server.ts' },
  async exchange(options, where) {
    const client = await timestamp.createClient(options);
    try {
      const sentAt = Date.now();
      const replies = await Promise.all(SAMPLE_LINES.map((text) => client.stamp({ text })));
      const receivedAt = Date.now();
      replies.forEach((reply, index) => {
        const text = SAMPLE_LINES[index]!;
        const time = reply.time.getTime();
        const inWindow = time >= Math.floor(sentAt / SECOND) * SECOND && time <= receivedAt;
        if (reply.type !== 'Stamped' || reply.text !== text || !inWindow) {
          throw new WrongReplyError(
            where,
            `Stamp ${show(text)}`,
            `Stamped ${show(text)} stamped between ${new Date(sentAt).toISOString()} and ${new Date(receivedAt).toISOString()}`,
            `${reply.type} ${show(reply.text)} stamped ${Number.isNaN(time) ? 'Invalid Date' : reply.time.toISOString()}`,
          );
        }
      });
      return replies.length;
    } finally {
      await client.close();
    }
  },
};

/** Every protocol in the matrix. Adding one (chat, file transfer) is one entry here. */
export const PROTOCOLS: readonly ConformanceProtocol[] = [echoProtocol, timestampProtocol];

/** The folder of a workspace package, for starting its programs. */
export function packageDir(packageName: string): string {
  return dirname(createRequire(import.meta.url).resolve(`${packageName}/package.json`));
}
