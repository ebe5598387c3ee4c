import { type ChunkSource, pumpChunks, StreamAbandonedError, StreamReceiver } from '@sockspec/streams';
import type { Connection } from './types.js';

/** Streams one connection may have open toward the server at once. */
export const MAX_INCOMING_STREAMS = 16;
/** Chunks queued per incoming stream before the connection stops reading. */
const INCOMING_HIGH_WATER_MARK = 16;

const tables = new WeakMap<Connection, Map<number, StreamReceiver<unknown, unknown>>>();

function tableOf(connection: Connection): Map<number, StreamReceiver<unknown, unknown>> {
  let table = tables.get(connection);
  if (table === undefined) {
    const created = new Map<number, StreamReceiver<unknown, unknown>>();
    table = created;
    tables.set(connection, created);
    connection.onClose(() => {
      for (const stream of created.values()) {
        stream.fail(new StreamAbandonedError(`connection ${connection.remote.label} closed before the stream ended`));
      }
      created.clear();
    });
  }
  return table;
}

/**
 * Opens the stream a client starts with the message carrying `id`: later
 * chunk and end messages with that id go to the returned receiver. A string
 * says why it cannot be opened (the id is in use, too many streams).
 */
export function openIncomingStream<Chunk, End>(
  connection: Connection,
  id: number,
): StreamReceiver<Chunk, End> | string {
  const table = tableOf(connection);
  if (table.has(id)) return `a stream with id ${id} is already open on this connection`;
  if (table.size >= MAX_INCOMING_STREAMS) {
    return `${MAX_INCOMING_STREAMS} streams are already open on this connection, the most allowed; finish one first`;
  }
  const stream = new StreamReceiver<Chunk, End>({ highWaterMark: INCOMING_HIGH_WATER_MARK });
  table.set(id, stream as StreamReceiver<unknown, unknown>);
  return stream;
}

/**
 * Routes a chunk or end to its open stream. Returns a promise while the
 * stream's consumer is behind (the engine reads nothing more until it
 * resolves), or false when no stream with that id is open.
 */
export function feedIncomingStream(
  connection: Connection,
  id: number,
  part: 'chunk' | 'end',
  message: unknown,
): boolean | Promise<void> {
  const table = tables.get(connection);
  const stream = table?.get(id);
  if (table === undefined || stream === undefined) return false;
  if (part === 'end') {
    table.delete(id);
    stream.finish(message);
    return true;
  }
  return stream.push(message) ? true : stream.space();
}

/** The handler of a stream has answered: chunks still on their way are dropped until the end arrives. */
export function settleIncomingStream(connection: Connection, id: number): void {
  tables.get(connection)?.get(id)?.abandon();
}

/**
 * Sends every frame of `chunks`, waiting whenever the connection's queue is
 * full, then `end()`'s frame. Resolves false, without the end frame, when
 * the connection closed first.
 */
export async function sendOutgoingStream(
  connection: Connection,
  chunks: ChunkSource<Uint8Array>,
  end: () => Uint8Array,
): Promise<boolean> {
  const { complete } = await pumpChunks(chunks, {
    // Always "wait": writable() resolves at once unless the queue is past its high-water mark.
    write: (frame) => {
      connection.send(frame);
      return false;
    },
    writable: () => connection.writable(),
    stopped: () => connection.closed,
  });
  if (!complete || connection.closed) return false;
  connection.send(end());
  return true;
}
