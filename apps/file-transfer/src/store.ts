import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, opendir, realpath, stat, unlink } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { descriptorPathsAvailable, HeldPath, OUTSIDE } from './anchored.js';
import { errnoCode, FileRefusedError, refusal } from './errors.js';
import { hashRange } from './hashing.js';
import { type KnownPartial, PartialIndex } from './partials.js';
import { Upload, type UploadWriter } from './upload.js';

export type { UploadWriter } from './upload.js';

/** The spec's Data.bytes maxBytes: no chunk the store hands out is larger. */
export const CHUNK_BYTES = 65_536;
/** The spec's Path maxBytes. */
export const MAX_PATH_BYTES = 4096;
/** The spec's Listing.entries maxCount. */
export const MAX_LISTING_ENTRIES = 400;
export const SHA256_BYTES = 32;
/** A terabyte: larger offers are refused before a byte is written, so a peer cannot promise to fill the disk. */
export const DEFAULT_MAX_FILE_BYTES = 2 ** 40;
/** Unfinished uploads may hold at most this many files' worth of --max-file-bytes together, and never more than 64 GiB. */
const PARTIAL_FILES_WORTH = 16;
const MAX_DEFAULT_PARTIAL_BYTES = 64 * 2 ** 30;
/** An unfinished upload untouched this long (a day) is deleted: long enough to resume after a night's break. */
export const DEFAULT_PARTIAL_TTL_MS = 24 * 60 * 60 * 1000;
/** The SHA-256 of no bytes: what Ready says when nothing is held. */
const EMPTY_SHA256 = new Uint8Array(createHash('sha256').digest());
/** Linux and macOS refuse longer file names; checked here so the partial's name fails as a typed refusal. */
const MAX_NAME_BYTES = 255;
/** How many whole-file digests downloads remember, keyed by inode, size and times. */
const DIGEST_CACHE_ENTRIES = 256;
/** A file changed this recently may change again without its times moving; its digest is not remembered. */
const RACY_MS = 2000;

/**
 * Where an upload's bytes live until they are complete and verified: a
 * hidden name in the target's directory (so the final rename is atomic,
 * never across file systems), keyed by the expected SHA-256 so an upload of
 * different content does not resume from the wrong bytes.
 */
export function partialName(name: string, sha256: Uint8Array): string {
  return `.${name}.${Buffer.from(sha256).toString('hex', 0, 8)}.part`;
}
const PARTIAL_NAME = /^\..+\.[0-9a-f]{16}\.part$/;
/** What partialName adds to a name: '.', '.', 16 hex digits and '.part'. */
const PARTIAL_SUFFIX_BYTES = 23;

export function isPartialName(name: string): boolean {
  return PARTIAL_NAME.test(name);
}

export type EntryKind = 'file' | 'directory' | 'other';

export interface FileEntry {
  readonly name: string;
  readonly kind: EntryKind;
  /** Bytes of a file; 0 for anything else. */
  readonly size: number;
  readonly modified: Date;
}

export interface DirectoryListing {
  readonly path: string;
  /** Sorted by name, at most maxListingEntries of them (the first ones). */
  readonly entries: readonly FileEntry[];
  /** How many visible entries the directory holds; more than entries.length when the listing was cut. */
  readonly total: number;
}

export interface FileDownload {
  /** Size of the whole file when it was opened. */
  readonly size: number;
  /** SHA-256 of the whole file. */
  readonly sha256: Uint8Array;
  readonly offset: number;
  /** The bytes from offset to size, in chunks of at most CHUNK_BYTES; the file is closed when iteration ends. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Closes the file when the chunks are not (fully) iterated. Idempotent. */
  close(): Promise<void>;
}

/** The bytes of an upload the store holds already: how many, and their SHA-256. */
export interface HeldBytes {
  readonly offset: number;
  readonly sha256: Uint8Array;
}

export interface FileStoreOptions {
  /** Largest file an upload may offer (default DEFAULT_MAX_FILE_BYTES). */
  readonly maxFileBytes?: number;
  /**
   * Most bytes all unfinished uploads together may count for (an open upload
   * counts its offered size); default 16 × maxFileBytes, at most 64 GiB.
   */
  readonly maxPartialBytes?: number;
  /** An unfinished upload no one has written to for this long is deleted (default a day). */
  readonly partialTtlMs?: number;
  /** Most entries one listing returns (default MAX_LISTING_ENTRIES, the protocol's limit). */
  readonly maxListingEntries?: number;
}

/** Where an upload lands: a directory held open inside the root, and the name in it. */
interface Target {
  readonly directory: HeldPath;
  readonly name: string;
  /** The real final path, which names the upload while it is open (two uploads of one file are busy). */
  readonly final: string;
  /** The directory relative to the root ('' is the root), '/'-separated: how the partial index finds it again. */
  readonly relativeDirectory: string;
}

/**
 * The files the server serves: one root directory, and nothing outside it.
 * Every protocol path is checked lexically, then walked from the root one
 * component at a time, each opened from the directory descriptor before it
 * and kept only when the kernel places it inside the root (see anchored.ts),
 * so what was checked is what is read, written, renamed or listed: a
 * component swapped for a symlink after the check cannot redirect it.
 */
export class FileStore {
  readonly root: string;
  readonly maxFileBytes: number;
  readonly maxListingEntries: number;
  readonly maxPartialBytes: number;
  readonly partialTtlMs: number;
  /** Real final paths with an open upload. */
  private readonly uploading = new Set<string>();
  private readonly digests = new Map<string, Uint8Array>();
  private readonly partials = new PartialIndex();

  private constructor(root: string, options: FileStoreOptions) {
    this.root = root;
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.maxListingEntries = options.maxListingEntries ?? MAX_LISTING_ENTRIES;
    this.maxPartialBytes =
      options.maxPartialBytes ?? Math.min(MAX_DEFAULT_PARTIAL_BYTES, PARTIAL_FILES_WORTH * this.maxFileBytes);
    this.partialTtlMs = options.partialTtlMs ?? DEFAULT_PARTIAL_TTL_MS;
    if (!Number.isSafeInteger(this.maxFileBytes) || this.maxFileBytes < 0) {
      throw new RangeError(`maxFileBytes must be a whole number of bytes, got ${this.maxFileBytes}`);
    }
    if (!Number.isSafeInteger(this.maxPartialBytes) || this.maxPartialBytes < 0) {
      throw new RangeError(`maxPartialBytes must be a whole number of bytes, got ${this.maxPartialBytes}`);
    }
    if (!Number.isSafeInteger(this.partialTtlMs) || this.partialTtlMs < 1) {
      throw new RangeError(`partialTtlMs must be a whole number of milliseconds, got ${this.partialTtlMs}`);
    }
    if (!Number.isSafeInteger(this.maxListingEntries) || this.maxListingEntries < 1) {
      throw new RangeError(`maxListingEntries must be at least 1, got ${this.maxListingEntries}`);
    }
  }

  /** Opens a store over `root`, made absolute and resolved through symlinks once, here. */
  static async open(root: string, options: FileStoreOptions = {}): Promise<FileStore> {
    if (!descriptorPathsAvailable()) {
      throw new FileRefusedError(
        'internal',
        '',
        'the file store checks every path through /proc/self/fd so that no check can race its use, and this system has none (Linux only)',
      );
    }
    let real: string;
    try {
      real = await realpath(resolve(root));
    } catch (error) {
      throw new FileRefusedError('not-found', '', `the root directory ${root} cannot be opened`, { cause: error });
    }
    if (!(await stat(real)).isDirectory()) {
      throw new FileRefusedError('not-a-directory', '', `the root ${real} is not a directory`);
    }
    const store = new FileStore(real, options);
    await store.scanPartials();
    await store.sweep();
    return store;
  }

  /** Bytes unfinished uploads count for now, and how many there are. */
  get partialUse(): { readonly bytes: number; readonly files: number } {
    return { bytes: this.partials.total, files: this.partials.size };
  }

  /**
   * Deletes the unfinished uploads no one has written to for partialTtlMs.
   * The server program calls it on a timer; returns how many it deleted.
   */
  async sweep(now: number = Date.now()): Promise<number> {
    const expired = this.partials.untouchedSince(now - this.partialTtlMs);
    for (const partial of expired) await this.deletePartial(partial);
    return expired.length;
  }

  /** The entries of a directory ('' is the root), sorted by name, partial uploads hidden. */
  async list(path: string): Promise<DirectoryListing> {
    return this.guard(path, async () => {
      const directory = await this.walk(path, checkSegments(path));
      if (directory === undefined) throw new FileRefusedError('not-found', path, 'no such directory');
      try {
        if (!directory.stats.isDirectory()) {
          throw new FileRefusedError('not-a-directory', path, 'expected a directory, got a file');
        }
        // Keeps the smallest names only, so a directory of a million files costs a bounded amount of memory.
        let names: string[] = [];
        let total = 0;
        const limit = this.maxListingEntries;
        for await (const entry of await opendir(directory.self)) {
          if (isPartialName(entry.name)) continue;
          total += 1;
          names.push(entry.name);
          if (names.length >= 2 * limit) names = names.sort(compareNames).slice(0, limit);
        }
        names = names.sort(compareNames).slice(0, limit);
        const described = await Promise.all(names.map((name) => this.describe(directory, name)));
        const entries = described.filter((entry) => entry !== undefined);
        return { path, entries, total: total - (described.length - entries.length) };
      } finally {
        await directory.close();
      }
    });
  }

  /**
   * How many bytes of this upload the store already holds, and their SHA-256
   * (0 and the empty digest for a fresh upload). The uploader resumes only
   * when its file starts with those bytes: anyone who knows a file's SHA-256
   * can have uploaded them.
   */
  async offer(path: string, size: number, sha256: Uint8Array): Promise<HeldBytes> {
    return this.guard(path, async () => {
      this.checkOffer(path, size, sha256);
      const { directory, name, final } = await this.target(path);
      try {
        if (this.uploading.has(final)) throw busy(path);
        let handle: FileHandle;
        try {
          handle = await open(directory.child(partialName(name, sha256)), constants.O_RDONLY | constants.O_NOFOLLOW);
        } catch (error) {
          if (errnoCode(error) === 'ENOENT') return { offset: 0, sha256: EMPTY_SHA256 };
          throw error;
        }
        try {
          const held = await handle.stat();
          if (!held.isFile())
            throw new FileRefusedError('outside-root', path, 'the partial upload is not a regular file');
          if (held.size > size) return { offset: 0, sha256: EMPTY_SHA256 };
          const hash = createHash('sha256');
          await hashRange(handle, hash, held.size);
          return { offset: held.size, sha256: new Uint8Array(hash.digest()) };
        } finally {
          await handle.close();
        }
      } finally {
        await directory.close();
      }
    });
  }

  /**
   * Starts an upload from 0 (discarding any bytes held) or resumes one.
   * To resume, `held` must be what `offer` answered: the partial file's
   * current length and the SHA-256 of those bytes, which are hashed again
   * here and compared, so the final check covers the whole file.
   */
  async openUpload(
    path: string,
    size: number,
    sha256: Uint8Array,
    held: HeldBytes = { offset: 0, sha256: EMPTY_SHA256 },
  ): Promise<UploadWriter> {
    return this.guard(path, async () => {
      this.checkOffer(path, size, sha256);
      const { offset } = held;
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new FileRefusedError('bad-request', path, `offset must be a whole number of bytes, got ${offset}`);
      }
      const target = await this.target(path);
      // Checked and claimed in one turn of the event loop, so two uploads cannot both pass.
      if (this.uploading.has(target.final)) {
        await target.directory.close();
        throw busy(path);
      }
      this.uploading.add(target.final);
      let partial: KnownPartial | undefined;
      try {
        const claimed = await this.claimPartial(path, target, partialName(target.name, sha256), size);
        partial = claimed;
        return await Upload.open({
          path,
          directory: target.directory,
          name: target.name,
          partialName: claimed.name,
          size,
          sha256,
          held,
          allowed: (real) => this.contains(real),
          ended: (outcome, written) => {
            this.uploading.delete(target.final);
            if (outcome === 'kept') this.partials.resize(claimed, written, Date.now(), false);
            else this.partials.delete(claimed);
          },
        });
      } catch (error) {
        this.uploading.delete(target.final);
        if (partial !== undefined) await this.recount(partial, target.directory);
        await target.directory.close();
        throw error;
      }
    });
  }

  /** Opens a file for sending from `offset`; its SHA-256 covers the whole file. */
  async openDownload(path: string, offset: number): Promise<FileDownload> {
    return this.guard(path, async () => {
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new FileRefusedError('bad-request', path, `offset must be a whole number of bytes, got ${offset}`);
      }
      const segments = checkSegments(path);
      if (isPartialName(segments.at(-1) ?? '')) throw partialRefused(path);
      const found = await this.walk(path, segments);
      if (found === undefined) throw new FileRefusedError('not-found', path, 'no such file');
      let handle: FileHandle;
      try {
        if (found.stats.isDirectory())
          throw new FileRefusedError('not-a-file', path, 'expected a file, got a directory');
        // Checked on the held object, before it is opened for reading: a FIFO or device is never opened.
        if (!found.stats.isFile()) throw new FileRefusedError('not-a-file', path, 'expected a regular file');
        if (isPartialName(basename(found.real))) throw partialRefused(path);
        // Reopens the very object that was checked (its descriptor path, not its name).
        handle = await open(found.self, constants.O_RDONLY);
      } finally {
        await found.close();
      }
      try {
        const opened = await handle.stat();
        if (opened.ino !== found.stats.ino || opened.dev !== found.stats.dev) {
          throw new FileRefusedError('internal', path, 'the file changed identity while it was opened');
        }
        const size = opened.size;
        if (offset > size) {
          throw new FileRefusedError(
            'offset-mismatch',
            path,
            `offset ${offset} is past the end of the ${size}-byte file`,
          );
        }
        const sha256 = await this.digest(handle, opened);
        return download(path, handle, size, sha256, offset);
      } catch (error) {
        await handle.close();
        throw error;
      }
    });
  }

  /** Runs `body`, turning file-system errors into refusals that name the protocol path. */
  private async guard<T>(path: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      throw refusal(error, path);
    }
  }

  private checkOffer(path: string, size: number, sha256: Uint8Array): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.maxFileBytes) {
      throw new FileRefusedError('bad-request', path, `size must be 0 to ${this.maxFileBytes} bytes, got ${size}`);
    }
    if (sha256.length !== SHA256_BYTES) {
      throw new FileRefusedError(
        'bad-request',
        path,
        `expected a ${SHA256_BYTES}-byte SHA-256, got ${sha256.length} bytes`,
      );
    }
  }

  /**
   * Where an upload to `path` lands: a directory inside the root, held open,
   * and a name in it that is not a directory. A final symlink (inside the
   * root) is followed: the upload replaces the file it points to, in that
   * file's directory. The caller closes the directory.
   */
  private async target(path: string, followed = false): Promise<Target> {
    const segments = checkSegments(path);
    const name = segments.at(-1);
    if (name === undefined) throw new FileRefusedError('not-a-file', path, 'the root is a directory, not a file');
    const directory = await this.walk(path, segments.slice(0, -1));
    if (directory === undefined) throw new FileRefusedError('not-found', path, 'the parent directory does not exist');
    try {
      if (!directory.stats.isDirectory()) {
        throw new FileRefusedError('not-a-directory', path, 'the parent is not a directory');
      }
      const entry = await directory.lstatChild(name);
      if (entry?.isSymbolicLink() === true) {
        if (followed) throw new FileRefusedError('outside-root', path, `'${name}' changed into a symlink`);
        const linked = await this.step(path, directory, name);
        if (linked === undefined) throw new FileRefusedError('not-found', path, `'${name}' is a symlink to nothing`);
        await linked.close();
        if (linked.stats.isDirectory())
          throw new FileRefusedError('not-a-file', path, 'expected a file, got a directory');
        return await this.target(relative(this.root, linked.real).split(sep).join('/'), true);
      }
      if (entry?.isDirectory() === true) {
        throw new FileRefusedError('not-a-file', path, 'expected a file, got a directory');
      }
      if (isPartialName(name)) throw partialRefused(path);
      // The partial file's name is the longest one written; it must fit where the final name fits.
      if (Buffer.byteLength(partialName(name, new Uint8Array(SHA256_BYTES))) > MAX_NAME_BYTES) {
        throw nameTooLong(path, MAX_NAME_BYTES - PARTIAL_SUFFIX_BYTES);
      }
      const relativeDirectory = relative(this.root, directory.real).split(sep).join('/');
      return { directory, name, final: join(directory.real, name), relativeDirectory };
    } catch (error) {
      await directory.close();
      throw error;
    }
  }

  /**
   * Counts an upload's partial file in the index, at its offered size while
   * it is open. One partial per path: another one for the same path (other
   * content) is deleted. Refuses when unfinished uploads would then count for
   * more than maxPartialBytes, after deleting any that expired.
   */
  private async claimPartial(path: string, target: Target, name: string, size: number): Promise<KnownPartial> {
    const others = (): number => this.partials.total - (this.partials.get(target.final)?.bytes ?? 0);
    if (others() + size > this.maxPartialBytes) await this.sweep();
    if (others() + size > this.maxPartialBytes) {
      throw new FileRefusedError(
        'quota-exceeded',
        path,
        `unfinished uploads hold ${others()} of the ${this.maxPartialBytes} bytes this server allows them, and this one may need ${size}; try again once some finish or expire`,
      );
    }
    const partial: KnownPartial = {
      final: target.final,
      directory: target.relativeDirectory,
      name,
      bytes: size,
      touched: Date.now(),
      open: true,
    };
    const replaced = this.partials.set(partial);
    if (replaced !== undefined) await unlinkQuietly(target.directory, replaced.name);
    return partial;
  }

  /** After an upload failed to open: its partial counts for what its file holds, or leaves the index when there is none. */
  private async recount(partial: KnownPartial, directory: HeldPath): Promise<void> {
    const stats = await directory.lstatChild(partial.name).catch(() => undefined);
    if (stats === undefined) this.partials.delete(partial);
    else this.partials.resize(partial, stats.size, stats.mtimeMs, false);
  }

  /** Removes a partial file and its index entry, finding its directory again through a walk. */
  private async deletePartial(partial: KnownPartial): Promise<void> {
    this.partials.delete(partial);
    const directory = await this.walk(partial.directory, segmentsOf(partial.directory)).catch(() => undefined);
    if (directory === undefined) return;
    try {
      await unlinkQuietly(directory, partial.name);
    } finally {
      await directory.close();
    }
  }

  /**
   * Finds the partial files already under the root (from an earlier run),
   * so they count against the quota and expire. Symlinked directories are
   * not entered: each real directory is visited once.
   */
  private async scanPartials(): Promise<void> {
    const pending = [''];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const relativeDirectory = next;
      const directory = await this.walk(relativeDirectory, segmentsOf(relativeDirectory));
      if (directory === undefined) continue;
      try {
        if (!directory.stats.isDirectory()) continue;
        for await (const entry of await opendir(directory.self)) {
          if (entry.isDirectory())
            pending.push(relativeDirectory === '' ? entry.name : `${relativeDirectory}/${entry.name}`);
          if (!entry.isFile() || !isPartialName(entry.name)) continue;
          const stats = await directory.lstatChild(entry.name);
          if (stats === undefined) continue;
          const final = join(directory.real, targetOfPartial(entry.name));
          const known = this.partials.get(final);
          // One partial per path: of two left by an earlier run, the newer is kept.
          if (known !== undefined && known.touched >= stats.mtimeMs) {
            await unlinkQuietly(directory, entry.name);
            continue;
          }
          const partial = {
            final,
            directory: relativeDirectory,
            name: entry.name,
            bytes: stats.size,
            touched: stats.mtimeMs,
            open: false,
          };
          const replaced = this.partials.set(partial);
          if (replaced !== undefined) await unlinkQuietly(directory, replaced.name);
        }
      } finally {
        await directory.close();
      }
    }
  }

  /**
   * Opens `segments` from the root, one component at a time (symlinks
   * inside the root followed), and returns the last one held; undefined
   * when a component does not exist. The caller closes what it gets.
   */
  private async walk(path: string, segments: readonly string[]): Promise<HeldPath | undefined> {
    let current = await this.openRoot(path);
    try {
      for (const [index, segment] of segments.entries()) {
        if (!current.stats.isDirectory()) {
          throw new FileRefusedError(
            'not-a-directory',
            path,
            `'${segments.slice(0, index).join('/')}' is not a directory`,
          );
        }
        const next = await this.step(path, current, segment);
        if (next === undefined) {
          const entry = await current.lstatChild(segment);
          if (entry?.isSymbolicLink() === true) {
            throw new FileRefusedError('not-found', path, `'${segment}' is a symlink to nothing`);
          }
          await current.close();
          return undefined;
        }
        await current.close();
        current = next;
      }
      return current;
    } catch (error) {
      await current.close();
      throw error;
    }
  }

  /** Opens `name` in a held directory, following a symlink; refused when the kernel places it outside the root. */
  private async step(path: string, directory: HeldPath, name: string): Promise<HeldPath | undefined> {
    if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw nameTooLong(path, MAX_NAME_BYTES);
    const next = await HeldPath.open(directory.child(name), (real) => this.contains(real));
    if (next === OUTSIDE) throw new FileRefusedError('outside-root', path, `'${name}' leads outside the root`);
    return next;
  }

  /** The root, opened for one operation; it was resolved once at start and must still be there. */
  private async openRoot(path: string): Promise<HeldPath> {
    const root = await HeldPath.open(this.root, (real) => real === this.root, true);
    if (root === undefined || root === OUTSIDE) {
      throw new FileRefusedError('internal', path, `the root directory ${this.root} was removed or moved`);
    }
    return root;
  }

  private contains(real: string): boolean {
    const prefix = this.root.endsWith(sep) ? this.root : this.root + sep;
    return real === this.root || real.startsWith(prefix);
  }

  /**
   * One listing entry, or undefined when it vanished since it was read. A
   * symlink shows as what it points to when that is inside the root, else as
   * 'other' (size and time of a file outside the root are not the peer's to see).
   */
  private async describe(directory: HeldPath, name: string): Promise<FileEntry | undefined> {
    const entry = await directory.lstatChild(name);
    if (entry === undefined) return undefined;
    if (!entry.isSymbolicLink()) return entryOf(name, entry);
    const target = await HeldPath.open(directory.child(name), (real) => this.contains(real)).catch(() => undefined);
    if (target === undefined || target === OUTSIDE) return { name, kind: 'other', size: 0, modified: entry.mtime };
    await target.close();
    return entryOf(name, target.stats);
  }

  /** The whole file's SHA-256, remembered per inode/size/times so repeated gets of a large file hash it once. */
  private async digest(handle: FileHandle, stats: Stats): Promise<Uint8Array> {
    const key = `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
    const known = this.digests.get(key);
    if (known !== undefined) return known;
    const hashedAt = Date.now();
    const hash = createHash('sha256');
    await hashRange(handle, hash, stats.size);
    const digest = new Uint8Array(hash.digest());
    // File times tick coarsely (a jiffy or worse): a write in the same tick as the one before hashing would
    // leave the key unchanged. Only files untouched for a while are remembered (git's "racy" rule).
    if (Math.max(stats.mtimeMs, stats.ctimeMs) > hashedAt - RACY_MS) return digest;
    this.digests.set(key, digest);
    if (this.digests.size > DIGEST_CACHE_ENTRIES) {
      const oldest = this.digests.keys().next();
      if (oldest.done !== true) this.digests.delete(oldest.value);
    }
    return digest;
  }
}

/** The final name a partial file becomes: `.NAME.<16 hex>.part` → NAME. */
function targetOfPartial(partial: string): string {
  return partial.slice(1, 1 - PARTIAL_SUFFIX_BYTES);
}

/** A directory relative to the root as walk segments ('' is the root). */
function segmentsOf(relativeDirectory: string): string[] {
  return relativeDirectory === '' ? [] : relativeDirectory.split('/');
}

/** Deletes `name` in a held directory; one already gone is no error. */
async function unlinkQuietly(directory: HeldPath, name: string): Promise<void> {
  await unlink(directory.child(name)).catch((error: unknown) => {
    if (errnoCode(error) !== 'ENOENT') throw error;
  });
}

function entryOf(name: string, stats: Stats): FileEntry {
  const kind: EntryKind = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
  return { name, kind, size: kind === 'file' ? stats.size : 0, modified: stats.mtime };
}

/** A name longer than the file system takes is the peer's mistake, said as such (never ENAMETOOLONG as 'internal'). */
function nameTooLong(path: string, limit: number): FileRefusedError {
  const why =
    limit < MAX_NAME_BYTES ? ` (the file system's ${MAX_NAME_BYTES}, less room for the partial upload's name)` : '';
  return new FileRefusedError('bad-request', path, `a file name is at most ${limit} bytes${why}`);
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The lexical checks, before any file-system call: a protocol path is
 * relative, '/'-separated, and names each component plainly.
 */
function checkSegments(path: string): string[] {
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
    throw new FileRefusedError('bad-request', path.slice(0, 64), `a path is at most ${MAX_PATH_BYTES} bytes`);
  }
  if (path.includes('\0')) throw new FileRefusedError('bad-request', path, 'a path must not contain NUL');
  if (path.includes('\\'))
    throw new FileRefusedError('bad-request', path, "a path is '/'-separated; '\\' is not allowed");
  if (path.startsWith('/') || isAbsolute(path)) {
    throw new FileRefusedError('outside-root', path, 'a path is relative to the root; absolute paths are refused');
  }
  if (path === '') return [];
  const segments = path.split('/');
  let depth = 0;
  for (const segment of segments) {
    if (segment === '..') {
      depth -= 1;
      if (depth < 0) throw new FileRefusedError('outside-root', path, "'..' climbs above the root");
    } else {
      depth += 1;
    }
  }
  if (segments.includes('..')) throw new FileRefusedError('bad-request', path, "'..' segments are not accepted");
  if (segments.some((segment) => segment === '' || segment === '.')) {
    throw new FileRefusedError('bad-request', path, "empty and '.' segments are not accepted");
  }
  return segments;
}

function busy(path: string): FileRefusedError {
  return new FileRefusedError('busy', path, 'another upload of this path is in progress');
}

function partialRefused(path: string): FileRefusedError {
  return new FileRefusedError(
    'bad-request',
    path,
    'names of the form .NAME.<16 hex>.part are reserved for partial uploads',
  );
}

function download(path: string, handle: FileHandle, size: number, sha256: Uint8Array, offset: number): FileDownload {
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= handle.close();
    return closed;
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      let position = offset;
      while (position < size) {
        // A fresh buffer per chunk: the transport may still hold the previous one when the next is read.
        const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - position));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) {
          throw new FileRefusedError(
            'internal',
            path,
            `the file shrank to ${position} bytes while it was sent (${size} announced)`,
          );
        }
        position += bytesRead;
        yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
      }
    } finally {
      await close();
    }
  }
  return { size, sha256, offset, chunks: chunks(), close };
}
