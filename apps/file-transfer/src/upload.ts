import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import type { HeldPath } from './anchored.js';
import { BatchedFileWriter } from './batched-writes.js';
import { FileRefusedError, refusal } from './errors.js';
import { hashRange } from './hashing.js';

/** One upload's bytes on their way to a file: written to a partial file, made visible only when complete and verified. */
export interface UploadWriter {
  /** Where this upload started (the partial file's length when it was opened). */
  readonly offset: number;
  /** Bytes of the file held so far, offset included. */
  readonly written: number;
  /** Appends a chunk; refuses with size-mismatch rather than write past the offered size. */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Checks size and SHA-256, then makes the file visible under its name by
   * an atomic rename. A checksum mismatch deletes the partial file (its bytes
   * are wrong, resuming from them cannot succeed).
   */
  finish(): Promise<{ readonly size: number }>;
  /** Stops without finishing: the partial file stays, so a later offer resumes from it. Idempotent. */
  abort(): Promise<void>;
}

/** What an upload needs to open: where it lands, what it promises, what the uploader believes is held. */
export interface UploadPlan {
  /** The protocol path, for refusals. */
  readonly path: string;
  /** The directory it lands in (held open, inside the root; the upload closes it when it ends) and the name in it. */
  readonly directory: HeldPath;
  readonly name: string;
  readonly partialName: string;
  readonly size: number;
  readonly sha256: Uint8Array;
  /** Offset 0 starts over; any other offset must be the partial's length, and sha256 the digest of those bytes. */
  readonly held: { readonly offset: number; readonly sha256: Uint8Array };
  /** Whether a real path is inside the root (checked again just before the rename). */
  readonly allowed: (real: string) => boolean;
  /** Called once when the upload ends: its partial file was kept (with `written` bytes) or is gone (renamed or deleted). */
  readonly ended: (outcome: 'kept' | 'gone', written: number) => void;
}

export class Upload implements UploadWriter {
  readonly offset: number;
  private readonly file: BatchedFileWriter;
  private done = false;

  private constructor(
    private readonly plan: UploadPlan,
    private readonly handle: FileHandle,
    private readonly hash: Hash,
  ) {
    this.offset = plan.held.offset;
    this.file = new BatchedFileWriter(handle, plan.held.offset);
  }

  /** Accepted so far, offset included: what reached the partial file and what the batch still holds. */
  get written(): number {
    return this.file.position + this.file.held;
  }

  static async open(plan: UploadPlan): Promise<Upload> {
    const { path, directory, size, held } = plan;
    // Created in the held directory; O_NOFOLLOW refuses a symlink planted under the partial's name.
    const handle = await open(
      directory.child(plan.partialName),
      constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new FileRefusedError('outside-root', path, 'the partial upload is not a regular file');
      // A partial longer than the file cannot be a prefix of it: only a fresh start is possible, as offer said.
      const length = stats.size > size ? 0 : stats.size;
      const hash = createHash('sha256');
      if (held.offset === 0) {
        if (stats.size !== 0) await handle.truncate(0);
      } else {
        if (held.offset !== length) {
          throw new FileRefusedError(
            'offset-mismatch',
            path,
            `expected offset ${length} (bytes held) or 0, got ${held.offset}`,
          );
        }
        await hashRange(handle, hash, length);
        // The uploader resumes only onto the bytes it checked: someone may have changed them since Ready.
        if (!Buffer.from(hash.copy().digest()).equals(held.sha256)) {
          throw new FileRefusedError(
            'offset-mismatch',
            path,
            `the ${length} bytes held are not the ones the uploader checked (their SHA-256 differs); upload from offset 0`,
          );
        }
      }
      return new Upload(plan, handle, hash);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.checkOpen();
    if (this.written + bytes.length > this.plan.size) {
      throw new FileRefusedError(
        'size-mismatch',
        this.plan.path,
        `a ${bytes.length}-byte chunk at ${this.written} goes past the offered size ${this.plan.size}`,
      );
    }
    this.hash.update(bytes);
    await this.file.write(bytes);
  }

  async finish(): Promise<{ readonly size: number }> {
    this.checkOpen();
    this.done = true;
    const { path, directory, name, partialName, size } = this.plan;
    let outcome: 'kept' | 'gone' = 'kept';
    try {
      await this.file.flush();
      if (this.written !== size) {
        throw new FileRefusedError('size-mismatch', path, `the upload ended at ${this.written} of ${size} bytes`);
      }
      const actual = new Uint8Array(this.hash.digest());
      if (!Buffer.from(actual).equals(this.plan.sha256)) {
        await this.handle.close();
        await unlink(directory.child(partialName));
        outcome = 'gone';
        throw new FileRefusedError(
          'checksum-mismatch',
          path,
          `expected SHA-256 ${Buffer.from(this.plan.sha256).toString('hex')}, got ${Buffer.from(actual).toString('hex')}; the partial upload was deleted`,
        );
      }
      // Data on disk before the name: a crash after the rename must not leave a short file under the final name.
      await this.handle.sync();
      await this.handle.close();
      // The directory was inside the root when it was opened; one moved out since does not get the file.
      if (!this.plan.allowed(await directory.realNow())) {
        throw new FileRefusedError('outside-root', path, 'the directory was moved out of the root during the upload');
      }
      if ((await directory.lstatChild(name))?.isDirectory() === true) {
        throw new FileRefusedError('not-a-file', path, 'a directory took the name during the upload');
      }
      await rename(directory.child(partialName), directory.child(name));
      outcome = 'gone';
      await syncDirectory(directory);
      return { size };
    } catch (error) {
      await this.handle.close().catch(() => undefined);
      throw refusal(error, path);
    } finally {
      await directory.close();
      this.plan.ended(outcome, this.file.position);
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    // What was accepted is kept for a resume; if the disk refuses it, the partial is what did reach the file.
    await this.file.flush().catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    await this.plan.directory.close();
    this.plan.ended('kept', this.file.position);
  }

  private checkOpen(): void {
    if (this.done) throw new FileRefusedError('bad-request', this.plan.path, 'the upload is already finished');
  }
}

/** Makes a rename durable: the directory entry is data too. */
async function syncDirectory(directory: HeldPath): Promise<void> {
  const handle = await open(directory.self, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
