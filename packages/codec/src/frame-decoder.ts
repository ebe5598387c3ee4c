import { FrameTooLargeError, InvalidFramingError, InvalidLengthError } from './errors.js';
import { FollowedLinesDecoder } from './followed-lines-decoder.js';
import {
  checkedFrameLength,
  checkFramingConfig,
  type DatagramFraming,
  type DelimitedFraming,
  DelimiterScanner,
  describeDelimiter,
  type LengthPrefixedFraming,
  readLengthField,
} from './framing.js';
import { type OnFrame, PoisonableDecoder } from './poisonable.js';
import type { FrameDecoder, FrameSender, FramingConfig } from './types.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Creates the decoder for `config`'s framing kind (throws
 * SOCKSPEC_INVALID_FRAMING for a config that cannot work). `sender` says
 * whose frames it reads, which text frames of several lines need.
 *
 * The decoder keeps references to the chunks it was given until their bytes
 * have been delivered, and delivers views of them: a caller must not reuse a
 * chunk's memory after pushing it (Node's socket chunks are fresh, so this
 * only matters for pooled buffers).
 *
 * A throw from push() poisons the decoder, whether it came from the framing
 * or from `onFrame` (the rest of that chunk was not consumed, so the stream
 * position is lost). `onFrame` must not push into the same decoder.
 * Datagram decoders are poisoned too, for one contract everywhere; a
 * datagram server that wants to go on after an oversized datagram makes a
 * new decoder, which costs nothing.
 */
export function createFrameDecoder(
  config: FramingConfig,
  options: { readonly sender?: FrameSender } = {},
): FrameDecoder {
  checkFramingConfig(config);
  switch (config.kind) {
    case 'raw':
      return new RawDecoder(config.maxFrameBytes);
    case 'delimited': {
      const { following } = config;
      if (following === undefined) return new DelimitedDecoder(config);
      if (options.sender === undefined) {
        throw new InvalidFramingError(
          "delimited framing with 'following': say whose frames the decoder reads ({ sender: 'client' } on a server)",
        );
      }
      return new FollowedLinesDecoder({ ...config, following }, options.sender);
    }
    case 'length-prefixed':
      return config.lengthVarint === true ? new VarintLengthDecoder(config) : new LengthPrefixedDecoder(config);
    case 'fixed':
      return new FixedDecoder(config.frameBytes);
    case 'datagram':
      return new DatagramDecoder(config);
  }
}

/**
 * Chunks smaller than this are copied into one growing buffer instead of
 * being kept as views: a view keeps its chunk's whole ArrayBuffer and about
 * 300 bytes of objects alive, so a peer sending a line one byte per TCP
 * segment cost 293 bytes of server memory per byte received (issue 13).
 * Larger chunks are kept as views: their overhead is under 2 %.
 */
const COPY_BELOW = 16 * 1024;
/** The small-chunk buffer is kept for the next frame up to this size. */
const REUSE_UP_TO = 4 * 1024;

/**
 * The bytes of the current, incomplete frame: large chunks as views of the
 * chunks they arrived in, small ones copied together. Nothing is joined
 * until the frame is complete, so a frame spanning large chunks is copied
 * exactly once, into a buffer of its final size, and the memory held is at
 * most about twice the frame whatever the segmentation.
 */
class PendingChunks {
  private readonly chunks: Uint8Array[] = [];
  /** Where small chunks are copied; its filled part is the last entry of `chunks` while it is in use. */
  private small: Uint8Array | null = null;
  private smallUsed = 0;
  bytes = 0;

  add(view: Uint8Array): void {
    this.bytes += view.length;
    // The first chunk stays a view: a frame lying in it whose delimiter ends in the next chunk is then still
    // delivered without a copy, and one view's overhead is bounded by one chunk.
    if (this.chunks.length === 0 || view.length >= COPY_BELOW) {
      // Later small chunks start a new buffer after this view; a buffer nothing refers to yet is kept.
      if (this.smallUsed > 0) {
        this.small = null;
        this.smallUsed = 0;
      }
      this.chunks.push(view);
      return;
    }
    const needed = this.smallUsed + view.length;
    let small = this.small;
    const growing = this.smallUsed > 0;
    if (small === null || needed > small.length) {
      const grown = new Uint8Array(Math.max(needed, 256, (small?.length ?? 0) * 2));
      if (small !== null) grown.set(small.subarray(0, this.smallUsed));
      small = grown;
      this.small = grown;
    }
    small.set(view, this.smallUsed);
    this.smallUsed = needed;
    // The buffer's filled part stands in the list as one chunk.
    if (growing) this.chunks[this.chunks.length - 1] = small.subarray(0, needed);
    else this.chunks.push(small.subarray(0, needed));
  }

  clear(): void {
    // Truncating keeps the array's storage for the next frame. The small-chunk buffer is kept too unless it
    // grew past REUSE_UP_TO: an idle connection then holds 4 KiB, not a whole maxFrameBytes.
    this.chunks.length = 0;
    if (this.small !== null && this.small.length > REUSE_UP_TO) this.small = null;
    this.smallUsed = 0;
    this.bytes = 0;
  }

  /** Byte `index` of the virtual sequence held ++ tail[tailStart..]. */
  byteAt(index: number, tail: Uint8Array, tailStart: number): number {
    let rest = index;
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      if (rest < chunk.length) return chunk[rest]!;
      rest -= chunk.length;
    }
    return tail[tailStart + rest]!;
  }

  /**
   * The first `length` bytes of held ++ tail[tailStart..]: a view when they
   * lie in one chunk, otherwise one copy of exactly `length` bytes.
   */
  takeFront(length: number, tail: Uint8Array, tailStart: number): Uint8Array {
    const first = this.chunks[0];
    if (first === undefined) return tail.subarray(tailStart, tailStart + length);
    if (length <= first.length) {
      // A frame never aliases the small-chunk buffer: the buffer is reused for the next frame.
      return this.small !== null && first.buffer === this.small.buffer
        ? first.slice(0, length)
        : first.subarray(0, length);
    }
    const frame = new Uint8Array(length);
    this.copyFront(frame, length, tail, tailStart);
    return frame;
  }

  /** Copies the first `length` bytes of held ++ tail[tailStart..] to the start of `target`. */
  copyFront(target: Uint8Array, length: number, tail: Uint8Array, tailStart: number): void {
    let filled = 0;
    for (let c = 0; c < this.chunks.length && filled < length; c++) {
      const chunk = this.chunks[c]!;
      const n = Math.min(chunk.length, length - filled);
      target.set(n === chunk.length ? chunk : chunk.subarray(0, n), filled);
      filled += n;
    }
    if (filled < length) target.set(tail.subarray(tailStart, tailStart + length - filled), filled);
  }
}

// ---------------------------------------------------------------------------

class RawDecoder extends PoisonableDecoder {
  readonly bufferedBytes = 0;

  constructor(private readonly max: number) {
    super();
  }

  protected decode(chunk: Uint8Array, onFrame: OnFrame): void {
    const n = chunk.length;
    // An empty read carries nothing on a stream, so it is not a frame.
    if (n <= this.max) {
      if (n > 0) onFrame(chunk);
      return;
    }
    for (let pos = 0; pos < n; pos += this.max) onFrame(chunk.subarray(pos, Math.min(pos + this.max, n)));
  }

  protected describeHeld(): string {
    return 'raw';
  }
}

class DatagramDecoder extends PoisonableDecoder {
  readonly bufferedBytes = 0;
  private readonly max: number;
  private readonly delimiter: Uint8Array | null;
  private readonly stripCarriageReturn: boolean;

  constructor(config: DatagramFraming) {
    super();
    this.max = config.maxFrameBytes;
    this.delimiter = config.trailingDelimiter === undefined ? null : Uint8Array.from(config.trailingDelimiter);
    this.stripCarriageReturn = config.stripCarriageReturn === true;
  }

  protected decode(chunk: Uint8Array, onFrame: OnFrame): void {
    if (chunk.length > this.max) {
      throw new FrameTooLargeError({
        limit: this.max,
        actual: chunk.length,
        atLeast: chunk.length,
        detail: 'datagram',
      });
    }
    const delimiter = this.delimiter;
    if (delimiter === null) {
      onFrame(chunk);
      return;
    }
    // The datagram already bounds the frame, so only its last bytes are
    // compared; the frame stays a view of the chunk.
    let end = chunk.length;
    const d = delimiter.length;
    if (end >= d) {
      let k = 0;
      while (k < d && chunk[end - d + k] === delimiter[k]) k++;
      if (k === d) {
        end -= d;
        if (this.stripCarriageReturn && end > 0 && chunk[end - 1] === CR) end--;
      }
    }
    onFrame(end === chunk.length ? chunk : chunk.subarray(0, end));
  }

  protected describeHeld(): string {
    return 'datagram';
  }
}

/**
 * Frames whose size is known before their bytes arrive (fixed, and
 * length-prefixed once the length field is read) share one shape:
 *
 * - frames that lie inside the chunk are delivered as views, walking the
 *   chunk with an index (no copy, one subarray per frame);
 * - the first partial frame allocates a buffer of exactly its (already
 *   checked) size, and later chunks are copied straight into it, so a frame
 *   spanning chunks is copied once and no chunk list is kept for it.
 */
/**
 * The first buffer of a frame that runs past its chunk holds at least this
 * much, and at least twice what has arrived; it doubles as more comes, up to
 * the frame's size. So a peer that announces a large frame and sends a few
 * bytes costs a few KiB, not the frame (1,000 peers announcing 16 MiB each
 * would otherwise take 16 GB at once), for about one extra copy of the frame.
 */
const FIRST_FRAME_BUFFER_BYTES = 16 * 1024;

abstract class SizedFrameDecoder extends PoisonableDecoder {
  /** The unfinished frame's buffer: its first `filled` bytes are in, and it grows to `heldFrameSize`. */
  protected frame: Uint8Array | null = null;
  protected heldFrameSize = 0;
  protected filled = 0;

  /** Starts a frame of `size` bytes with chunk[from..]; delivers it if complete, else keeps it. Returns bytes used. */
  protected startFrame(size: number, chunk: Uint8Array, from: number, onFrame: OnFrame): number {
    const available = chunk.length - from;
    if (available >= size) {
      onFrame(chunk.subarray(from, from + size));
      return size;
    }
    const frame = this.openFrame(size, available);
    frame.set(from === 0 ? chunk : chunk.subarray(from));
    this.filled = available;
    return available;
  }

  /**
   * Starts a frame of `size` bytes whose first bytes are `held` (a header that
   * arrived in pieces) and go on in `chunk`. Returns how many bytes of `chunk`
   * it used, or -1 when the frame is still open.
   */
  protected startHeldFrame(held: PendingChunks, size: number, chunk: Uint8Array, onFrame: OnFrame): number {
    const before = held.bytes;
    if (before + chunk.length >= size) {
      const frame = held.takeFront(size, chunk, 0);
      held.clear();
      onFrame(frame);
      return size - before;
    }
    const frame = this.openFrame(size, before + chunk.length);
    held.copyFront(frame, before + chunk.length, chunk, 0);
    held.clear();
    this.filled = before + chunk.length;
    return -1;
  }

  /** Adds chunk's first bytes to the held frame; delivers it when full. Returns bytes used. */
  protected continueFrame(frame: Uint8Array, chunk: Uint8Array, onFrame: OnFrame): number {
    const need = this.heldFrameSize - this.filled;
    const take = Math.min(need, chunk.length);
    let buffer = frame;
    if (this.filled + take > buffer.length) {
      buffer = new Uint8Array(Math.min(this.heldFrameSize, Math.max(buffer.length * 2, this.filled + take)));
      buffer.set(frame.subarray(0, this.filled));
      this.frame = buffer;
    }
    buffer.set(take === chunk.length ? chunk : chunk.subarray(0, take), this.filled);
    this.filled += take;
    if (this.filled < this.heldFrameSize) return take;
    // Growth stops at heldFrameSize, so a full buffer is exactly the frame.
    this.frame = null;
    this.filled = 0;
    onFrame(buffer);
    return take;
  }

  private openFrame(size: number, arrived: number): Uint8Array {
    const frame = new Uint8Array(Math.min(size, Math.max(FIRST_FRAME_BUFFER_BYTES, arrived * 2)));
    this.frame = frame;
    this.heldFrameSize = size;
    return frame;
  }
}

class FixedDecoder extends SizedFrameDecoder {
  constructor(private readonly frameBytes: number) {
    super();
  }

  get bufferedBytes(): number {
    return this.filled;
  }

  protected decode(chunk: Uint8Array, onFrame: OnFrame): void {
    const n = chunk.length;
    let pos = this.frame === null ? 0 : this.continueFrame(this.frame, chunk, onFrame);
    while (pos < n) pos += this.startFrame(this.frameBytes, chunk, pos, onFrame);
  }

  protected describeHeld(): string {
    return `fixed frames are ${this.frameBytes} bytes`;
  }
}

class LengthPrefixedDecoder extends SizedFrameDecoder {
  private readonly headerBytes: number;
  private readonly littleEndian: boolean;
  /** Bytes of a frame whose length field has not fully arrived (fewer than headerBytes). */
  private readonly header = new PendingChunks();
  /** Where a length field split across chunks is put together. */
  private readonly fieldScratch = new Uint8Array(8);

  constructor(private readonly config: LengthPrefixedFraming) {
    super();
    this.headerBytes = config.lengthOffset + config.lengthBytes;
    this.littleEndian = config.lengthEndian === 'little';
  }

  get bufferedBytes(): number {
    return this.frame === null ? this.header.bytes : this.filled;
  }

  protected decode(chunk: Uint8Array, onFrame: OnFrame): void {
    const n = chunk.length;
    const { headerBytes, config } = this;
    let pos = 0;
    if (this.frame !== null) {
      pos = this.continueFrame(this.frame, chunk, onFrame);
      if (this.frame !== null) return;
    } else if (this.header.bytes > 0) {
      pos = this.completeSplitHeader(chunk, onFrame);
      if (pos < 0) return;
    }
    // The hot loop: read each length field in place, check it, and hand out
    // the frame as a view of the chunk. Per frame it allocates only the view
    // (and, for the one frame that runs past the chunk, its buffer).
    while (n - pos >= headerBytes) {
      const value = readLengthField(chunk, pos + config.lengthOffset, config.lengthBytes, this.littleEndian);
      pos += this.startFrame(checkedFrameLength(config, value), chunk, pos, onFrame);
      if (this.frame !== null) return;
    }
    if (pos < n) this.header.add(pos === 0 ? chunk : chunk.subarray(pos));
  }

  /**
   * A frame's first bytes are held but not its whole length field. Returns
   * how many bytes of `chunk` it used, or -1 when the field is still
   * incomplete or the frame still open.
   */
  private completeSplitHeader(chunk: Uint8Array, onFrame: OnFrame): number {
    const { header, headerBytes, config } = this;
    const held = header.bytes;
    if (held + chunk.length < headerBytes) {
      if (chunk.length > 0) header.add(chunk);
      return -1;
    }
    const scratch = this.fieldScratch;
    for (let k = 0; k < config.lengthBytes; k++) scratch[k] = header.byteAt(config.lengthOffset + k, chunk, 0);
    const size = checkedFrameLength(config, readLengthField(scratch, 0, config.lengthBytes, this.littleEndian));
    return this.startHeldFrame(header, size, chunk, onFrame);
  }

  protected describeHeld(): string {
    return this.frame === null
      ? `length field at offset ${this.config.lengthOffset} not complete`
      : `frame of ${this.heldFrameSize} bytes`;
  }
}

/**
 * Length-prefixed frames whose length is an unsigned LEB128 varint (MQTT's
 * remaining length). The frame's size is known once the varint's last byte
 * (high bit clear) is in, which is at most lengthBytes bytes after its start;
 * a longer varint is SOCKSPEC_INVALID_LENGTH, so at most lengthOffset +
 * lengthBytes bytes are ever held before the size is decided.
 */
class VarintLengthDecoder extends SizedFrameDecoder {
  private readonly header = new PendingChunks();

  constructor(private readonly config: LengthPrefixedFraming) {
    super();
  }

  get bufferedBytes(): number {
    return this.frame === null ? this.header.bytes : this.filled;
  }

  protected decode(chunk: Uint8Array, onFrame: OnFrame): void {
    let pos = 0;
    if (this.frame !== null) {
      pos = this.continueFrame(this.frame, chunk, onFrame);
      if (this.frame !== null) return;
    } else if (this.header.bytes > 0) {
      pos = this.completeSplitHeader(chunk, onFrame);
      if (pos < 0) return;
    }
    for (;;) {
      const from = pos;
      const size = this.frameSize((at) => chunk[from + at]!, chunk.length - pos);
      if (size < 0) break;
      pos += this.startFrame(size, chunk, pos, onFrame);
      if (this.frame !== null) return;
    }
    if (pos < chunk.length) this.header.add(pos === 0 ? chunk : chunk.subarray(pos));
  }

  /** The frame's size from its first `available` bytes, or -1 while its length varint is not complete. */
  private frameSize(byteAt: (at: number) => number, available: number): number {
    const { lengthOffset, lengthBytes } = this.config;
    let value = 0;
    let scale = 1;
    for (let k = 0; k < lengthBytes; k++) {
      if (lengthOffset + k >= available) return -1;
      const byte = byteAt(lengthOffset + k);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return checkedFrameLength(this.config, value, lengthOffset + k + 1);
      scale *= 128;
    }
    throw new InvalidLengthError(
      `the varint length field at offset ${lengthOffset} runs past its ${lengthBytes}-byte limit (every byte has the high bit set)`,
    );
  }

  private completeSplitHeader(chunk: Uint8Array, onFrame: OnFrame): number {
    const { header } = this;
    const held = header.bytes;
    const size = this.frameSize((at) => header.byteAt(at, chunk, 0), held + chunk.length);
    if (size < 0) {
      if (chunk.length > 0) header.add(chunk);
      return -1;
    }
    return this.startHeldFrame(header, size, chunk, onFrame);
  }

  protected describeHeld(): string {
    return this.frame === null
      ? `varint length field at offset ${this.config.lengthOffset} not complete`
      : `frame of ${this.heldFrameSize} bytes`;
  }
}

class DelimitedDecoder extends PoisonableDecoder {
  private readonly max: number;
  private readonly delimiterBytes: number;
  private readonly keepDelimiter: boolean;
  private readonly stripCarriageReturn: boolean;
  private readonly scanner: DelimiterScanner;
  /** Bytes of the current frame from earlier chunks; all scanned already, none ends a delimiter. */
  private readonly pending = new PendingChunks();

  constructor(private readonly config: DelimitedFraming) {
    super();
    this.max = config.maxFrameBytes;
    this.delimiterBytes = config.delimiter.length;
    this.keepDelimiter = config.keepDelimiter;
    this.stripCarriageReturn = config.stripCarriageReturn;
    this.scanner = new DelimiterScanner(config.delimiter);
  }

  get bufferedBytes(): number {
    return this.pending.bytes;
  }

  protected decode(chunk: Uint8Array, onFrame: OnFrame): void {
    const n = chunk.length;
    const { pending, max } = this;
    // `start` is where the current frame's bytes in this chunk begin. The
    // scan position is `start` too: bytes held from earlier chunks were
    // scanned when they arrived, and the scanner carries any partly matched
    // delimiter, so no byte is looked at twice. The scan stops where the
    // frame would pass maxFrameBytes, so the work per chunk is bounded and
    // the verdict does not depend on how the stream was chunked.
    let start = 0;
    for (;;) {
      const held = pending.bytes;
      const limit = Math.min(n, start + (max - held));
      const end = this.scanner.scan(chunk, start, limit);
      if (end < 0) {
        if (held + (n - start) >= max) {
          throw new FrameTooLargeError({
            limit: max,
            actual: null,
            atLeast: max + 1,
            detail: `no delimiter ${describeDelimiter(this.config.delimiter)} in its first ${max} bytes`,
          });
        }
        if (start < n) pending.add(start === 0 ? chunk : chunk.subarray(start));
        return;
      }
      const frame = this.cut(held + (end - start), chunk, start);
      pending.clear();
      start = end;
      onFrame(frame);
    }
  }

  /** The frame whose raw bytes (delimiter included) are held ++ chunk[start..], `rawLength` of them. */
  private cut(rawLength: number, chunk: Uint8Array, start: number): Uint8Array {
    const { pending } = this;
    let length = this.keepDelimiter ? rawLength : rawLength - this.delimiterBytes;
    if (this.stripCarriageReturn && rawLength >= 2 && pending.byteAt(rawLength - 2, chunk, start) === CR) {
      if (!this.keepDelimiter) return pending.takeFront(length - 1, chunk, start);
      // "line\r\n" kept as "line\n": the bytes are not contiguous, so this
      // one combination always copies.
      length -= 1;
      const frame = new Uint8Array(length);
      pending.copyFront(frame, length - 1, chunk, start);
      frame[length - 1] = LF;
      return frame;
    }
    return pending.takeFront(length, chunk, start);
  }

  protected describeHeld(): string {
    return `no delimiter ${describeDelimiter(this.config.delimiter)} yet`;
  }
}
