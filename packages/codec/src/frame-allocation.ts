/**
 * Memory for frames being built: small frames are cut from shared slabs.
 *
 * Why: a fresh `ArrayBuffer` costs V8 a backing store of its own, and a
 * `Uint8Array` of up to 64 bytes is kept on the JS heap until its `.buffer`
 * is asked for (as a DataView needs), which then moves it off the heap. On
 * this machine either costs 650-750 ns per frame, against 40 ns for a view
 * cut from a slab: a 38-byte memcached GET took 874 ns to encode, most of
 * it that allocation (`pnpm bench codec` and `pnpm bench pipeline` show it).
 *
 * A slab is never written again once its bytes are handed out, so a frame
 * starts zeroed (encoders rely on that for reserved bytes) and no frame sees
 * another's bytes change. As with Node's own Buffer pool (8 KiB, frames under
 * 4 KiB), a frame kept alive keeps its slab alive; frames above
 * MAX_SLAB_FRAME_BYTES get memory of their own, so that pinning costs at most
 * the slab, not a multiple of what is kept. Code that transfers a frame's
 * `.buffer` to a worker must copy the frame first (packages/concurrency does).
 */

/** 16 KiB: one allocation per ~400 memcached GETs or ~280 chat Saids. */
const SLAB_BYTES = 16 * 1024;
/** Frames up to a quarter slab share one; larger ones cost their allocation whatever it is. */
const MAX_SLAB_FRAME_BYTES = SLAB_BYTES / 4;

let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/** A zeroed Uint8Array of `size` bytes for a frame being built. */
export function allocateFrame(size: number): Uint8Array {
  if (size > MAX_SLAB_FRAME_BYTES) return new Uint8Array(size);
  if (slabUsed + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const frame = new Uint8Array(slab, slabUsed, size);
  slabUsed += size;
  return frame;
}
