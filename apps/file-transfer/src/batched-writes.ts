import type { FileHandle } from 'node:fs/promises';

/**
 * Chunks are handed to the file in batches of this many bytes, one writev
 * each: a write per 64 KiB chunk was a thread-pool round trip per chunk. 8
 * chunks, so a transfer holds at most 512 KiB beyond what the stream
 * receiver already may (32 chunks).
 */
export const WRITE_BATCH_BYTES = 512 * 1024;

/**
 * Appends chunks to a file from `position` on, a batch at a time. The
 * chunks are kept, not copied, until written: they must not change after
 * write() (chunks of a received stream do not).
 */
export class BatchedFileWriter {
  /** The end of what reached the file. */
  position: number;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;

  constructor(
    private readonly handle: FileHandle,
    position: number,
  ) {
    this.position = position;
  }

  /** Bytes accepted but not yet in the file. */
  get held(): number {
    return this.#batchBytes;
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.#batch.push(bytes);
    this.#batchBytes += bytes.length;
    if (this.#batchBytes >= WRITE_BATCH_BYTES) await this.flush();
  }

  /** Writes what is held; a short writev goes on from where it stopped. */
  async flush(): Promise<void> {
    let chunks = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    while (chunks.length > 0) {
      const { bytesWritten } = await this.handle.writev(chunks, this.position);
      this.position += bytesWritten;
      let skip = bytesWritten;
      while (chunks.length > 0 && skip >= chunks[0]!.length) {
        skip -= chunks[0]!.length;
        chunks = chunks.slice(1);
      }
      if (skip > 0) chunks = [chunks[0]!.subarray(skip), ...chunks.slice(1)];
    }
  }
}
