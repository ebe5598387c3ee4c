import { TruncatedFrameError } from './errors.js';
import type { FrameDecoder } from './types.js';

export type OnFrame = (frame: Uint8Array) => void;

/**
 * A decoder that stays failed once push() has thrown: the rest of that chunk
 * was not consumed, so the stream position is lost.
 */
export abstract class PoisonableDecoder implements FrameDecoder {
  private failed = false;
  private failure: unknown;

  abstract readonly bufferedBytes: number;
  protected abstract decode(chunk: Uint8Array, onFrame: OnFrame): void;
  /** Says what the held bytes were part of, for TruncatedFrameError. */
  protected abstract describeHeld(): string;

  push(chunk: Uint8Array, onFrame: OnFrame): void {
    if (this.failed) throw this.failure;
    try {
      this.decode(chunk, onFrame);
    } catch (err) {
      this.failed = true;
      this.failure = err;
      throw err;
    }
  }

  end(): void {
    if (this.failed) throw this.failure;
    const held = this.bufferedBytes;
    if (held > 0) {
      this.failed = true;
      this.failure = new TruncatedFrameError(held, this.describeHeld());
      throw this.failure;
    }
  }
}
