/**
 * The unfinished uploads a store holds, so their disk use has bounds: one
 * partial file per target path (a new upload of other content replaces the
 * old one), a total for the whole store, and an age after which an untouched
 * partial is deleted. Issue 13 measured 200 aborted uploads of one
 * 1,000-byte name under 200 SHA-256s leaving 200 partial files and 200,000
 * bytes on disk, with no expiry.
 */

/** One partial file: where it is (its directory relative to the root, '' for the root), and what it may cost. */
export interface KnownPartial {
  /** The real final path it becomes; the key. */
  readonly final: string;
  /** The partial's directory, relative to the root ('' is the root), '/'-separated. */
  readonly directory: string;
  /** The partial file's name in that directory. */
  readonly name: string;
  /** Bytes it counts against the total: the offered size while an upload is open, the bytes held after. */
  bytes: number;
  /** When it was last written (ms since the epoch); an open upload never expires. */
  touched: number;
  open: boolean;
}

export class PartialIndex {
  private readonly byFinal = new Map<string, KnownPartial>();
  private bytes = 0;

  /** Bytes all partial files count for now. */
  get total(): number {
    return this.bytes;
  }

  get size(): number {
    return this.byFinal.size;
  }

  get(final: string): KnownPartial | undefined {
    return this.byFinal.get(final);
  }

  /** Records (or replaces) the partial of `final`; returns the one it replaced, whose file the caller deletes. */
  set(partial: KnownPartial): KnownPartial | undefined {
    const previous = this.byFinal.get(partial.final);
    if (previous !== undefined) this.bytes -= previous.bytes;
    this.byFinal.set(partial.final, partial);
    this.bytes += partial.bytes;
    return previous !== undefined && previous.name !== partial.name ? previous : undefined;
  }

  /** Changes what a partial counts for (an upload opened, grew, or ended). */
  resize(partial: KnownPartial, bytes: number, touched: number, open: boolean): void {
    if (this.byFinal.get(partial.final) !== partial) return;
    this.bytes += bytes - partial.bytes;
    partial.bytes = bytes;
    partial.touched = touched;
    partial.open = open;
  }

  delete(partial: KnownPartial): void {
    if (this.byFinal.get(partial.final) !== partial) return;
    this.byFinal.delete(partial.final);
    this.bytes -= partial.bytes;
  }

  /** The partials no upload has touched since `before`, oldest first. */
  untouchedSince(before: number): KnownPartial[] {
    return [...this.byFinal.values()]
      .filter((partial) => !partial.open && partial.touched < before)
      .sort((a, b) => a.touched - b.touched);
  }
}
