import { existsSync, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readlink } from 'node:fs/promises';
import { errnoCode } from './errors.js';

/**
 * Path steps that cannot race, on Linux.
 *
 * Checking a path and then opening it by name again lets anything that
 * renames or swaps a component in between decide what is opened (issue 13:
 * a directory swapped with a symlink to the outside, over and over, got 59
 * outside files served and 69 written outside the root in 10 s). Node has no
 * openat(2), but `/proc/self/fd/N/name` is resolved by the kernel from the
 * directory descriptor N itself, whatever its old name now leads to: it is
 * openat(N, "name"). So every object is opened from a descriptor already held
 * and checked, and the kernel's own path of the new descriptor
 * (readlink of /proc/self/fd/M) is checked to lie inside the root before a
 * byte is read, written, renamed or listed.
 */

/**
 * O_PATH (Linux 2.6.39+): a descriptor that names an object without opening
 * it for I/O, so stepping through a FIFO or a device has no side effect. Node
 * does not export it; the value is the generic one (x86, arm, arm64, riscv,
 * powerpc, s390).
 */
const O_PATH = 0o10_000_000;
const O_DIRECTORY = 0o200_000;

/** Whether this system offers the descriptor paths the store relies on. */
export function descriptorPathsAvailable(): boolean {
  return process.platform === 'linux' && existsSync('/proc/self/fd');
}

/** A descriptor the store holds, with the kernel's path of it and its stats at opening. */
export class HeldPath {
  private constructor(
    readonly handle: FileHandle,
    /** Where the object is now, as the kernel names it (a file deleted since ends in " (deleted)"). */
    readonly real: string,
    readonly stats: Stats,
  ) {}

  /**
   * Opens `path` (a plain path for the root, else a `child` of a held
   * directory) as O_PATH, following symlinks, and returns it only when the
   * object reached lies where `allowed` says. `undefined` when nothing is there.
   */
  static async open(
    path: string,
    allowed: (real: string) => boolean,
    directory = false,
  ): Promise<HeldPath | Outside | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, O_PATH | (directory ? O_DIRECTORY : 0));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const real = await readlink(descriptorPath(handle));
      if (!allowed(real)) {
        await handle.close();
        return OUTSIDE;
      }
      return new HeldPath(handle, real, await handle.stat());
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The path that reopens this very object (the kernel follows the descriptor, not a name). */
  get self(): string {
    return descriptorPath(this.handle);
  }

  /** The path of `name` inside this directory: openat(this, name) for any call that takes a path. */
  child(name: string): string {
    return `${descriptorPath(this.handle)}/${name}`;
  }

  /** Where the object is now: a directory renamed out of the root after it was opened is caught here. */
  async realNow(): Promise<string> {
    return readlink(descriptorPath(this.handle));
  }

  /** The lstat of `name` inside this directory, or undefined when there is none. */
  async lstatChild(name: string): Promise<Stats | undefined> {
    try {
      return await lstat(this.child(name));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/** What `HeldPath.open` answers for an object outside where it was allowed to go (its descriptor already closed). */
export const OUTSIDE = Symbol('outside');
export type Outside = typeof OUTSIDE;

/** The kernel's name for an open descriptor of this process. */
export function descriptorPath(handle: FileHandle): string {
  return `/proc/self/fd/${handle.fd}`;
}
