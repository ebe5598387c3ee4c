import { threadId } from 'node:worker_threads';
import { SockspecError } from '@sockspec/errors';
import type { Connection, ServerProtocol } from '../../src/index.js';
import { decodeLineRequest, encodeLine, type LineRequest, lineFraming } from './line-protocol.js';

/**
 * A line protocol for the concurrency tests. It must load inside a worker
 * thread and a cluster worker, so it depends on nothing of vitest.
 *
 * echo TEXT        → TEXT
 * burn MS TEXT     → TEXT after a busy loop of MS milliseconds (a CPU-heavy handler)
 * count            → `N T`: this connection's Nth count, on thread T (per-connection state)
 * where            → `PID T`: the process and thread serving this connection
 * stream N SIZE    → N lines of SIZE bytes, awaiting writable() between sends
 * streamed         → how many stream lines this thread has sent so far, over all connections
 * slow MS TEXT     → TEXT after MS milliseconds of waiting (not burning)
 * tick MS TEXT     → `tick` at once, then TEXT after MS milliseconds (the peer sees the handler started)
 * throw            → the handler throws
 * crash            → the thread or process serving the connection exits
 */
export function workProtocol(): ServerProtocol<LineRequest> {
  return {
    name: 'work',
    framing: lineFraming,
    idleTimeoutMs: null,
    decode(frame: Uint8Array): LineRequest {
      const text = new TextDecoder().decode(frame);
      const [verb = ''] = text.split(' ', 1);
      if (!VERBS.has(verb)) {
        throw new SockspecError('SOCKSPEC_UNKNOWN_MESSAGE', `work: unknown request '${verb.slice(0, 32)}'`);
      }
      return verb === 'echo' || verb === 'slow' ? decodeLineRequest(frame) : { verb, args: text.split(' ').slice(1) };
    },
    errorFrame: (error) => encodeLine(`ERR ${error.code}`),
    dispatch(message: LineRequest, connection: Connection): void | Promise<void> {
      const { verb, args } = message;
      switch (verb) {
        case 'echo':
          connection.send(encodeLine(args.join(' ')));
          return;
        case 'burn': {
          const until = Date.now() + Number(args[0]);
          while (Date.now() < until) {
            // Busy on purpose: this is the CPU-heavy handler.
          }
          connection.send(encodeLine(args.slice(1).join(' ')));
          return;
        }
        case 'count': {
          const count = ((connection.state.get('count') as number | undefined) ?? 0) + 1;
          connection.state.set('count', count);
          connection.send(encodeLine(`${count} ${threadId}`));
          return;
        }
        case 'where':
          connection.send(encodeLine(`${process.pid} ${threadId}`));
          return;
        case 'stream':
          return stream(connection, Number(args[0]), Number(args[1]));
        case 'streamed':
          connection.send(encodeLine(String(streamed)));
          return;
        case 'tick':
          connection.send(encodeLine('tick'));
          return new Promise((resolve) =>
            setTimeout(() => {
              connection.send(encodeLine(args.slice(1).join(' ')));
              resolve();
            }, Number(args[0])),
          );
        case 'slow':
          return new Promise((resolve) =>
            setTimeout(() => {
              connection.send(encodeLine(args.slice(1).join(' ')));
              resolve();
            }, Number(args[0])),
          );
        case 'throw':
          throw new Error('handler exploded');
        case 'crash':
          process.exit(3);
      }
    },
  };
}

const VERBS = new Set(['echo', 'burn', 'count', 'where', 'stream', 'streamed', 'slow', 'tick', 'throw', 'crash']);
/** Per module instance, so per thread (threads) or per process (processes). */
let streamed = 0;

async function stream(connection: Connection, count: number, size: number): Promise<void> {
  const line = encodeLine('z'.repeat(size));
  for (let i = 0; i < count && !connection.closed; i++) {
    // The same frame every time: sending must not consume it.
    connection.send(line);
    streamed += 1;
    await connection.writable();
  }
}
