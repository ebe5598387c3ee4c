/** Chunks to send: any iterable, sync or async (a generator, an array, a file read stream). */
export type ChunkSource<Chunk> = AsyncIterable<Chunk> | Iterable<Chunk>;

export interface PumpTarget<Chunk> {
  /** Sends one chunk; false when the transport's queue is full. */
  write(chunk: Chunk): boolean;
  /** Resolves when the transport can take more (or is closed). */
  writable(): Promise<void>;
  /** True once sending should stop: the connection closed or the peer already answered. */
  stopped(): boolean;
}

/**
 * Sends every chunk of `source`, waiting for the transport whenever its
 * queue is full, so a sender never buffers more than one high-water mark
 * ahead of a slow receiver. Returns how many chunks were sent and whether
 * the source was used up (false when `stopped()` cut it short); a source
 * that throws rejects.
 */
export async function pumpChunks<Chunk>(
  source: ChunkSource<Chunk>,
  target: PumpTarget<Chunk>,
): Promise<{ readonly sent: number; readonly complete: boolean }> {
  let sent = 0;
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  try {
    for (;;) {
      if (target.stopped()) return { sent, complete: false };
      const next = await iterator.next();
      if (next.done === true) return { sent, complete: true };
      if (target.stopped()) return { sent, complete: false };
      sent += 1;
      if (!target.write(next.value)) await target.writable();
    }
  } finally {
    if (target.stopped()) await iterator.return?.();
  }
}

/** What an application hands over to be sent as a stream: the chunks, then the end message's fields. */
export interface OutgoingStream<Chunk, End> {
  readonly chunks: ChunkSource<Chunk>;
  /** The end message's fields; a function is called once every chunk has been sent (for a running checksum). */
  readonly end?: End | (() => End);
}

/** `source` with `map` applied to each chunk as it is pulled, so nothing is read ahead of the transport. */
export async function* mapChunks<Chunk, Mapped>(
  source: ChunkSource<Chunk>,
  map: (chunk: Chunk) => Mapped,
): AsyncGenerator<Mapped, void, undefined> {
  for await (const chunk of source) yield map(chunk);
}

/** The end fields of an outgoing stream, resolved once its chunks are sent. */
export function endOf<End>(stream: OutgoingStream<unknown, End>, fallback: End): End {
  const end = stream.end;
  return typeof end === 'function' ? (end as () => End)() : (end ?? fallback);
}
