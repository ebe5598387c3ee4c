import { createHash, type Hash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, opendir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { descriptorPathsAvailable, errnoCode, HeldPath, OUTSIDE } from './anchored.js';
import { type FileReason, FileRefusedError } from './errors.js';

/** The spec's Data.bytes maxBytes: no chunk the store hands out is larger. */
export const CHUNK_BYTES = 65_536;
/** The spec's Path maxBytes. */
export const MAX_PATH_BYTES = 4096;
/** The spec's Listing.entries maxCount. */
export const MAX_LISTING_ENTRIES = 400;
export const SHA256_BYTES = 32;
/** A terabyte: larger offers are refused before a byte is written, so a peer cannot promise to fill the disk. */
export const DEFAULT_MAX_FILE_BYTES = 2 ** 40;
/** Linux and macOS refuse longer file names; checked here so the partial's name fails as a typed refusal. */
const MAX_NAME_BYTES = 255;
/** Hashing reads the file in blocks this large, one buffer reused, so memory stays flat whatever the size. */
const HASH_BLOCK_BYTES = 1 << 20;
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

export interface FileStoreOptions {
  /** Largest file an upload may offer (default DEFAULT_MAX_FILE_BYTES). */
  readonly maxFileBytes?: number;
  /** Most entries one listing returns (default MAX_LISTING_ENTRIES, the protocol's limit). */
  readonly maxListingEntries?: number;
}

/** Where an upload lands: a directory held open inside the root, and the name in it. */
interface Target {
  readonly directory: HeldPath;
  readonly name: string;
  /** The real final path, which names the upload while it is open (two uploads of one file are busy). */
  readonly final: string;
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
  /** Real final paths with an open upload. */
  private readonly uploading = new Set<string>();
  private readonly digests = new Map<string, Uint8Array>();

  private constructor(root: string, options: FileStoreOptions) {
    this.root = root;
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.maxListingEntries = options.maxListingEntries ?? MAX_LISTING_ENTRIES;
    if (!Number.isSafeInteger(this.maxFileBytes) || this.maxFileBytes < 0) {
      throw new RangeError(`maxFileBytes must be a whole number of bytes, got ${this.maxFileBytes}`);
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
    return new FileStore(real, options);
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

  /** How many bytes of this upload the store already holds: the resume offset (0 for a fresh upload). */
  async offer(path: string, size: number, sha256: Uint8Array): Promise<number> {
    return this.guard(path, async () => {
      this.checkOffer(path, size, sha256);
      const { directory, name, final } = await this.target(path);
      try {
        if (this.uploading.has(final)) throw busy(path);
        const held = await directory.lstatChild(partialName(name, sha256));
        if (held === undefined) return 0;
        if (!held.isFile())
          throw new FileRefusedError('outside-root', path, 'the partial upload is not a regular file');
        return held.size > size ? 0 : held.size;
      } finally {
        await directory.close();
      }
    });
  }

  /**
   * Starts (or resumes) an upload. `offset` must be what `offer` answered:
   * the partial file's current length. The bytes already held are hashed
   * again here, so the final check covers the whole file.
   */
  async openUpload(path: string, size: number, sha256: Uint8Array, offset: number): Promise<UploadWriter> {
    return this.guard(path, async () => {
      this.checkOffer(path, size, sha256);
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
      try {
        return await Upload.open(
          path,
          target,
          size,
          sha256,
          offset,
          (real) => this.contains(real),
          () => this.uploading.delete(target.final),
        );
      } catch (error) {
        this.uploading.delete(target.final);
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
      return { directory, name, final: join(directory.real, name) };
    } catch (error) {
      await directory.close();
      throw error;
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

/** Maps what the file system said onto the protocol's reasons; anything unexpected is 'internal'. */
function refusal(error: unknown, path: string): FileRefusedError {
  if (error instanceof FileRefusedError) return error;
  const code = errnoCode(error);
  const known: Record<string, [FileReason, string]> = {
    ENOENT: ['not-found', 'no such file or directory'],
    ENOTDIR: ['not-a-directory', 'a component is not a directory'],
    EISDIR: ['not-a-file', 'expected a file, got a directory'],
    // O_NOFOLLOW met a symlink that was not there when the path was checked.
    ELOOP: ['outside-root', 'a symlink appeared in the path'],
    ENAMETOOLONG: ['bad-request', 'a name is too long for the file system'],
  };
  const [reason, detail] = (code === undefined ? undefined : known[code]) ?? [
    'internal' as const,
    `file system error ${code ?? ''}: ${error instanceof Error ? error.message : String(error)}`.trim(),
  ];
  return new FileRefusedError(reason, path, detail, { cause: error });
}

/** Feeds bytes [0, end) of the file to `hash`, one reused block at a time. */
async function hashRange(handle: FileHandle, hash: Hash, end: number): Promise<void> {
  const block = Buffer.allocUnsafe(Math.min(HASH_BLOCK_BYTES, Math.max(end, 1)));
  let position = 0;
  while (position < end) {
    const { bytesRead } = await handle.read(block, 0, Math.min(block.length, end - position), position);
    if (bytesRead === 0) throw new Error(`the file ended at ${position} of ${end} bytes while it was hashed`);
    hash.update(block.subarray(0, bytesRead));
    position += bytesRead;
  }
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

class Upload implements UploadWriter {
  readonly offset: number;
  written: number;
  private done = false;

  private constructor(
    private readonly path: string,
    private readonly target: Target,
    private readonly partial: string,
    private readonly size: number,
    private readonly expected: Uint8Array,
    private readonly handle: FileHandle,
    private readonly hash: Hash,
    offset: number,
    private readonly allowed: (real: string) => boolean,
    private readonly release: () => void,
  ) {
    this.offset = offset;
    this.written = offset;
  }

  /** Takes over `target.directory`: the upload closes it when it ends. */
  static async open(
    path: string,
    target: Target,
    size: number,
    sha256: Uint8Array,
    offset: number,
    allowed: (real: string) => boolean,
    release: () => void,
  ): Promise<Upload> {
    const partial = partialName(target.name, sha256);
    // Created in the held directory; O_NOFOLLOW refuses a symlink planted under the partial's name.
    const handle = await open(
      target.directory.child(partial),
      constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      const held = await handle.stat();
      if (!held.isFile()) throw new FileRefusedError('outside-root', path, 'the partial upload is not a regular file');
      // A partial longer than the file cannot be a prefix of it: start over, as offer said.
      const current = held.size > size ? 0 : held.size;
      if (offset !== current) {
        throw new FileRefusedError('offset-mismatch', path, `expected offset ${current} (bytes held), got ${offset}`);
      }
      if (held.size !== current) await handle.truncate(current);
      const hash = createHash('sha256');
      await hashRange(handle, hash, current);
      return new Upload(path, target, partial, size, sha256, handle, hash, current, allowed, release);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.checkOpen();
    if (this.written + bytes.length > this.size) {
      throw new FileRefusedError(
        'size-mismatch',
        this.path,
        `a ${bytes.length}-byte chunk at ${this.written} goes past the offered size ${this.size}`,
      );
    }
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, this.written + done);
      done += bytesWritten;
    }
    this.hash.update(bytes);
    this.written += bytes.length;
  }

  async finish(): Promise<{ readonly size: number }> {
    this.checkOpen();
    this.done = true;
    const { directory, name } = this.target;
    try {
      if (this.written !== this.size) {
        throw new FileRefusedError(
          'size-mismatch',
          this.path,
          `the upload ended at ${this.written} of ${this.size} bytes`,
        );
      }
      const actual = new Uint8Array(this.hash.digest());
      if (!Buffer.from(actual).equals(this.expected)) {
        await this.handle.close();
        await unlink(directory.child(this.partial));
        throw new FileRefusedError(
          'checksum-mismatch',
          this.path,
          `expected SHA-256 ${Buffer.from(this.expected).toString('hex')}, got ${Buffer.from(actual).toString('hex')}; the partial upload was deleted`,
        );
      }
      // Data on disk before the name: a crash after the rename must not leave a short file under the final name.
      await this.handle.sync();
      await this.handle.close();
      // The directory was inside the root when it was opened; one moved out since does not get the file.
      if (!this.allowed(await directory.realNow())) {
        throw new FileRefusedError(
          'outside-root',
          this.path,
          'the directory was moved out of the root during the upload',
        );
      }
      if ((await directory.lstatChild(name))?.isDirectory() === true) {
        throw new FileRefusedError('not-a-file', this.path, 'a directory took the name during the upload');
      }
      await rename(directory.child(this.partial), directory.child(name));
      await syncDirectory(directory);
      return { size: this.size };
    } catch (error) {
      await this.handle.close().catch(() => undefined);
      throw refusal(error, this.path);
    } finally {
      await directory.close();
      this.release();
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.release();
    await this.handle.close().catch(() => undefined);
    await this.target.directory.close();
  }

  private checkOpen(): void {
    if (this.done) throw new FileRefusedError('bad-request', this.path, 'the upload is already finished');
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
