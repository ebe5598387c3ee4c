import { FieldTooLargeError, FrameTooLargeError, InvalidLengthError } from './errors.js';
import { type DelimitedFraming, describeDelimiter } from './framing.js';
import { type OnFrame, PoisonableDecoder } from './poisonable.js';
import type { FollowingListContext, FollowingStep, FollowingSteps, FrameSender } from './types.js';
import { utf8Encode } from './utf8.js';

/**
 * How deep elements may nest inside one frame (a RESP array of arrays of
 * …). The decoder's work stack and the codec's recursion both stop here;
 * Redis's own replies nest 3 deep at most (EXEC of SCAN), so 16 leaves room.
 */
export const MAX_TEXT_NESTING = 16;

/** A buffer this large is let go once its frame is delivered, so an idle connection keeps little. */
const KEEP_BUFFER_BYTES = 64 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Work still to do inside the current frame, innermost last. */
type Pending = { raw: number; bare: boolean } | { left: number; element: number } | UntilList;

/** Lines up to an end line (HTTP's headers), and the bytes one of them announced for after it. */
interface UntilList {
  readonly until: Uint8Array;
  readonly element: number;
  readonly maxCount: number;
  readonly at: FollowingListContext;
  lines: number;
  /** Bytes with no delimiter after the end line (HTTP's body); -1 until a line announces them. */
  after: number;
}

/**
 * Frames of a text protocol whose messages are more than a line (RESP's
 * `*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`): after each line the generated codec's
 * `following` says what comes next (raw bytes, or elements that start with
 * lines of their own), and the frame ends when nothing is left. Frames are
 * delivered with every delimiter in them.
 *
 * Every count and length is checked against maxFrameBytes before a byte of
 * what it announces is buffered: the bytes a frame still owes (each raw part
 * plus its delimiter, at least one delimiter per element) are added up, so a
 * `*1000000000` line is refused at once. The scan resumes where it stopped,
 * so a peer that sends one byte at a time costs one step per byte, and the
 * held bytes are one buffer of at most maxFrameBytes plus one chunk.
 */
export class FollowedLinesDecoder extends PoisonableDecoder {
  readonly #max: number;
  readonly #delimiter: Uint8Array;
  readonly #following: FollowingSteps;
  readonly #frameElement: number;
  /** Bytes of an unfinished frame (and any that came after it in its chunk), from index 0. */
  #buffer = new Uint8Array(0);
  #held = 0;
  // Scan state, relative to the start of the current frame.
  #pos = 0;
  #lineStart = 0;
  /** Bytes left of a raw part, its delimiter included; -1 while reading a line. */
  #rawLeft = -1;
  /** The raw part being read has no delimiter after it. */
  #rawBare = false;
  /** The list the line being read belongs to, when it is an `until` list (the line may be its end). */
  #lineList: UntilList | null = null;
  #element: number;
  readonly #stack: Pending[] = [];
  #depth = 0;
  /** The fewest bytes the frame still needs after #pos: what its counts and lengths have announced. */
  #owed = 0;

  constructor(config: DelimitedFraming & { readonly following: FollowingSteps }, sender: FrameSender) {
    super();
    this.#max = config.maxFrameBytes;
    this.#delimiter = Uint8Array.from(config.delimiter);
    this.#following = config.following;
    this.#frameElement = sender === 'client' ? 0 : 1;
    this.#element = this.#frameElement;
  }

  get bufferedBytes(): number {
    return this.#held;
  }

  protected describeHeld(): string {
    return this.#rawLeft >= 0
      ? `${this.#rawLeft} bytes of a value still to come`
      : `no delimiter ${describeDelimiter(this.#delimiter)} yet`;
  }

  protected decode(chunk: Uint8Array, onFrame: OnFrame): void {
    if (this.#held === 0) {
      let base = 0;
      while (base < chunk.length) {
        const length = this.#scan(chunk, base, chunk.length);
        if (length < 0) {
          this.#append(chunk.subarray(base));
          return;
        }
        // A view of the chunk: Node's socket chunks are fresh, so it stays valid.
        onFrame(chunk.subarray(base, base + length));
        base += length;
      }
      return;
    }
    this.#append(chunk);
    let base = 0;
    for (;;) {
      const length = this.#scan(this.#buffer, base, this.#held);
      if (length < 0) break;
      // The buffer is reused, so the frame is copied out.
      onFrame(this.#buffer.slice(base, base + length));
      base += length;
      if (base === this.#held) break;
    }
    if (base > 0) {
      this.#buffer.copyWithin(0, base, this.#held);
      this.#held -= base;
    }
    if (this.#held === 0 && this.#buffer.length > KEEP_BUFFER_BYTES) this.#buffer = new Uint8Array(0);
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#held + bytes.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, Math.min(this.#buffer.length * 2, this.#max + bytes.length)));
      grown.set(this.#buffer.subarray(0, this.#held));
      this.#buffer = grown;
    }
    this.#buffer.set(bytes, this.#held);
    this.#held = needed;
  }

  /** Advances over bytes[base + #pos, end): the frame's length once it is complete (state reset), else -1. */
  #scan(bytes: Uint8Array, base: number, end: number): number {
    const delimiterLength = this.#delimiter.length;
    for (;;) {
      if (this.#rawLeft >= 0) {
        const available = end - (base + this.#pos);
        if (available < this.#rawLeft) {
          this.#pos += available;
          this.#rawLeft -= available;
          return -1;
        }
        this.#pos += this.#rawLeft;
        this.#rawLeft = -1;
        if (!this.#rawBare && !this.#delimiterAt(bytes, base + this.#pos - delimiterLength)) {
          throw new InvalidLengthError(
            `the bytes a line announced are not followed by the delimiter ${describeDelimiter(this.#delimiter)}: the length was wrong`,
          );
        }
        this.#lineStart = this.#pos;
        if (this.#advance()) return this.#finish();
        continue;
      }
      const from = base + this.#pos;
      const limit = Math.min(end, base + this.#max);
      const at = indexOfDelimiter(bytes, this.#delimiter, from, limit);
      if (at < 0) {
        if (limit - base >= this.#max) {
          throw new FrameTooLargeError({
            limit: this.#max,
            actual: null,
            atLeast: this.#max + 1,
            detail: `no delimiter ${describeDelimiter(this.#delimiter)} in its first ${this.#max} bytes`,
          });
        }
        // A delimiter may have begun in the last bytes; look at them again next time.
        this.#pos = Math.max(this.#lineStart, limit - base - (delimiterLength - 1));
        return -1;
      }
      const lineEnd = at - base;
      this.#pos = lineEnd + delimiterLength;
      const line = bytes.subarray(base + this.#lineStart, at);
      this.#lineStart = this.#pos;
      const list = this.#lineList;
      this.#lineList = null;
      if (list !== null) {
        if (this.#endsList(list, line)) {
          if (this.#advance()) return this.#finish();
          continue;
        }
        list.lines += 1;
        if (list.lines > list.maxCount) {
          throw new FieldTooLargeError({ ...list.at, limit: list.maxCount, actual: list.lines, unit: 'elements' });
        }
      } else if (this.#stack.length > 0) {
        this.#owed -= delimiterLength;
      }
      const steps = this.#stepsFor(line);
      if (steps !== null) for (let k = steps.length - 1; k >= 0; k--) this.#push(steps[k]!, list);
      if (this.#advance()) return this.#finish();
    }
  }

  #stepsFor(line: Uint8Array): readonly FollowingStep[] | null {
    let text: string;
    try {
      text = strictUtf8.decode(line);
    } catch {
      // Not text: a frame of its own, which the codec rejects with where the bad byte is.
      return null;
    }
    return this.#following(text, this.#element);
  }

  /** Whether `line` is the end line of `list`: then the list is done, and what a line of it announced follows. */
  #endsList(list: UntilList, line: Uint8Array): boolean {
    const until = list.until;
    if (line.length !== until.length) return false;
    for (let k = 0; k < until.length; k++) if (line[k] !== until[k]) return false;
    this.#owed -= until.length + this.#delimiter.length;
    this.#stack.pop();
    this.#depth -= 1;
    if (list.after > 0) {
      // Owed since the line that announced it.
      this.#stack.push({ raw: list.after, bare: true });
    }
    return true;
  }

  /** One step of what follows a line; `list` is the `until` list the line belongs to, if any. */
  #push(step: FollowingStep, list: UntilList | null): void {
    const delimiterLength = this.#delimiter.length;
    if ('bytes' in step) {
      this.#owe(step.bytes + delimiterLength, `a value of ${step.bytes} bytes`);
      this.#stack.push({ raw: step.bytes, bare: false });
      return;
    }
    if ('afterList' in step) {
      if (list === null) throw new InvalidLengthError('a line announced bytes after a list, but it is not in one');
      if (list.after >= 0) {
        throw new InvalidLengthError(`two lines of '${list.at.field}' announce the length of what follows it`);
      }
      this.#owe(step.afterList, `${step.afterList} bytes after '${list.at.field}'`);
      list.after = step.afterList;
      return;
    }
    if (this.#depth >= MAX_TEXT_NESTING) {
      throw new InvalidLengthError(`elements nest more than ${MAX_TEXT_NESTING} deep in one frame`);
    }
    this.#depth += 1;
    if ('until' in step) {
      const until = utf8Encode(step.until);
      this.#owe(until.length + delimiterLength, `a list ending at the line ${JSON.stringify(step.until)}`);
      this.#stack.push({
        until,
        element: step.element,
        maxCount: step.maxCount,
        at: step.at,
        lines: 0,
        after: -1,
      });
      return;
    }
    this.#owe(step.count * delimiterLength, `${step.count} elements`);
    this.#stack.push({ left: step.count, element: step.element });
  }

  #owe(bytes: number, what: string): void {
    this.#owed += bytes;
    if (this.#pos + this.#owed > this.#max) {
      throw new FrameTooLargeError({
        limit: this.#max,
        actual: null,
        atLeast: this.#pos + this.#owed,
        detail: `a line announced ${what}`,
      });
    }
  }

  /** Takes the next piece of work: true when the frame is complete. */
  #advance(): boolean {
    const stack = this.#stack;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if ('raw' in top) {
        stack.pop();
        this.#rawBare = top.bare;
        this.#rawLeft = top.bare ? top.raw : top.raw + this.#delimiter.length;
        this.#owed -= this.#rawLeft;
        return false;
      }
      if ('until' in top) {
        this.#element = top.element;
        this.#lineList = top;
        return false;
      }
      if (top.left > 0) {
        top.left -= 1;
        this.#element = top.element;
        return false;
      }
      stack.pop();
      this.#depth -= 1;
    }
    return true;
  }

  #finish(): number {
    const length = this.#pos;
    this.#lineList = null;
    this.#pos = 0;
    this.#lineStart = 0;
    this.#owed = 0;
    this.#element = this.#frameElement;
    return length;
  }

  #delimiterAt(bytes: Uint8Array, at: number): boolean {
    const delimiter = this.#delimiter;
    for (let k = 0; k < delimiter.length; k++) if (bytes[at + k] !== delimiter[k]) return false;
    return true;
  }
}

/** Where the delimiter starts in bytes[from, limit), or -1. */
function indexOfDelimiter(bytes: Uint8Array, delimiter: Uint8Array, from: number, limit: number): number {
  const first = delimiter[0]!;
  const last = limit - delimiter.length;
  // Bytes past `limit` may be stale buffer space: indexOf must not see them.
  const view = limit === bytes.length ? bytes : bytes.subarray(0, limit);
  for (let i = view.indexOf(first, from); i >= 0 && i <= last; i = view.indexOf(first, i + 1)) {
    let k = 1;
    while (k < delimiter.length && bytes[i + k] === delimiter[k]) k++;
    if (k === delimiter.length) return i;
  }
  return -1;
}
