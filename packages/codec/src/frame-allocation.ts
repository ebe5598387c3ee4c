/**
 * Memory for frames being built and for byte fields copied out of received
 * frames: small ones are cut from shared slabs.
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
 * another's bytes change. As with Node's own Buffer pool (8 KiB, under 4 KiB
 * each), a frame or decoded value kept alive keeps its slab alive; anything
 * above MAX_SLAB_BYTES gets memory of its own, so a kept value pins at most
 * 8 KiB. Code that transfers a frame's `.buffer` to a worker must copy the
 * frame first (packages/concurrency does).
 */

/** 8 KiB, Node's pool size: one allocation per ~200 memcached GETs or ~140 chat Saids. */
const SLAB_BYTES = 8 * 1024;
/** Up to a quarter slab shares one, so a slab is at most a quarter wasted at its end. */
const MAX_SLAB_BYTES = SLAB_BYTES / 4;

let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/** A zeroed Uint8Array of `size` bytes for a frame being built. */
export function allocateFrame(size: number): Uint8Array {
  if (size > MAX_SLAB_BYTES) return new Uint8Array(size);
  if (slabUsed + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const frame = new Uint8Array(slab, slabUsed, size);
  slabUsed += size;
  return frame;
}

/**
 * A copy of `source[from, to)` that shares nothing with `source`: a decoded
 * bytes field must not keep the whole read chunk (up to 64 KiB) alive, nor
 * change when the decoder reuses its buffer.
 */
export function copyBytes(source: Uint8Array, from: number, to: number): Uint8Array {
  const copy = allocateFrame(to - from);
  copy.set(source.subarray(from, to));
  return copy;
}
