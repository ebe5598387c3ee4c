import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Hashing reads the file in blocks this large, one buffer reused, so memory stays flat whatever the size. */
const HASH_BLOCK_BYTES = 1 << 20;

/** Feeds bytes [0, end) of the file to `hash`, one reused block at a time. */
export async function hashRange(handle: FileHandle, hash: Hash, end: number): Promise<void> {
  const block = Buffer.allocUnsafe(Math.min(HASH_BLOCK_BYTES, Math.max(end, 1)));
  let position = 0;
  while (position < end) {
    const { bytesRead } = await handle.read(block, 0, Math.min(block.length, end - position), position);
    if (bytesRead === 0) throw new Error(`the file ended at ${position} of ${end} bytes while it was hashed`);
    hash.update(block.subarray(0, bytesRead));
    position += bytesRead;
  }
}
