import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileReason, FileRefusedError } from '../src/errors.js';
import { CHUNK_BYTES, FileStore, partialName, type UploadWriter } from '../src/store.js';

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

async function refusedWith(promise: Promise<unknown>, reason: FileReason): Promise<FileRefusedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FileRefusedError);
  const refused = error as FileRefusedError;
  expect(refused.code).toBe('SOCKSPEC_FILE_REFUSED');
  expect({ reason: refused.reason, message: refused.message }).toMatchObject({ reason });
  return refused;
}

/** Compares by length and digest: vitest's deep equality walks a large buffer byte by byte, for seconds. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect({ length: actual.length, sha256: Buffer.from(sha256(actual)).toString('hex') }).toEqual({
    length: expected.length,
    sha256: Buffer.from(sha256(expected)).toString('hex'),
  });
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; sizes: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return { bytes: Buffer.concat(parts), sizes: parts.map((part) => part.length) };
}

let base: string;
let rootDir: string;
let outside: string;
let store: FileStore;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'sockspec-ft-store-'));
  rootDir = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(rootDir);
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'secret');
  store = await FileStore.open(rootDir);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('FileStore paths', () => {
  it.each([
    ['..', 'outside-root'],
    ['../outside/secret.txt', 'outside-root'],
    ['a/../../x', 'outside-root'],
    ['/etc/passwd', 'outside-root'],
    ['a/../b', 'bad-request'],
    ['a//b', 'bad-request'],
    ['a/', 'bad-request'],
    ['./a', 'bad-request'],
    ['a\\..\\..\\x', 'bad-request'],
    ['a\0b', 'bad-request'],
  ] as const)('refuses %j as %s for get, put and list', async (path, reason) => {
    const digest = sha256(new Uint8Array());
    await refusedWith(store.openDownload(path, 0), reason);
    await refusedWith(store.offer(path, 0, digest), reason);
    await refusedWith(store.openUpload(path, 0, digest), reason);
    await refusedWith(store.list(path), reason);
    expect(await readdir(base)).toEqual(['outside', 'root']);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('refuses a path longer than the protocol allows before touching the file system', async () => {
    await refusedWith(store.openDownload('x'.repeat(4097), 0), 'bad-request');
    await refusedWith(store.list(`${'d/'.repeat(2048)}x`), 'bad-request');
  });

  it('refuses a symlink to a file outside the root, for reading and for writing through it', async () => {
    await symlink(join(outside, 'secret.txt'), join(rootDir, 'leak.txt'));
    await refusedWith(store.openDownload('leak.txt', 0), 'outside-root');
    const data = Buffer.from('overwrite');
    await refusedWith(store.offer('leak.txt', data.length, sha256(data)), 'outside-root');
    await refusedWith(store.openUpload('leak.txt', data.length, sha256(data)), 'outside-root');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('refuses a symlink to a directory outside the root in the middle of a path', async () => {
    await symlink(outside, join(rootDir, 'escape'));
    await refusedWith(store.openDownload('escape/secret.txt', 0), 'outside-root');
    await refusedWith(store.list('escape'), 'outside-root');
    const data = Buffer.from('planted');
    await refusedWith(store.openUpload('escape/planted.txt', data.length, sha256(data)), 'outside-root');
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('shows a symlink leading outside as "other" in a listing, without its size', async () => {
    await symlink(join(outside, 'secret.txt'), join(rootDir, 'leak.txt'));
    const listing = await store.list('');
    expect(listing.entries).toEqual([{ name: 'leak.txt', kind: 'other', size: 0, modified: expect.any(Date) }]);
  });

  it('follows a symlink that stays inside the root', async () => {
    await mkdir(join(rootDir, 'data'));
    await writeFile(join(rootDir, 'data', 'a.txt'), 'inside');
    await symlink(join(rootDir, 'data'), join(rootDir, 'alias'));
    await symlink('data/a.txt', join(rootDir, 'a-link.txt'));
    for (const path of ['alias/a.txt', 'a-link.txt']) {
      const download = await store.openDownload(path, 0);
      expect((await collect(download.chunks)).bytes.toString()).toBe('inside');
    }
    expect((await store.list('alias')).entries.map((entry) => entry.name)).toEqual(['a.txt']);
    expect((await store.list('')).entries).toContainEqual({
      name: 'a-link.txt',
      kind: 'file',
      size: 6,
      modified: expect.any(Date),
    });
  });

  it('refuses a root whose realpath the walk would leave: the root itself may be reached through a symlink', async () => {
    const linked = join(base, 'root-link');
    await symlink(rootDir, linked);
    const viaLink = await FileStore.open(linked);
    expect(viaLink.root).toBe(rootDir);
    await writeFile(join(rootDir, 'f'), 'x');
    expect((await viaLink.list('')).entries.map((entry) => entry.name)).toEqual(['f']);
  });

  it('says not-found, not-a-file and not-a-directory', async () => {
    await mkdir(join(rootDir, 'dir'));
    await writeFile(join(rootDir, 'file'), 'x');
    await refusedWith(store.openDownload('missing', 0), 'not-found');
    await refusedWith(store.list('missing'), 'not-found');
    await refusedWith(store.openDownload('dir', 0), 'not-a-file');
    await refusedWith(store.list('file'), 'not-a-directory');
    await refusedWith(store.openDownload('file/x', 0), 'not-a-directory');
    await refusedWith(store.offer('dir', 1, sha256(Buffer.from('x'))), 'not-a-file');
    await refusedWith(store.offer('', 1, sha256(Buffer.from('x'))), 'not-a-file');
    await refusedWith(store.offer('nodir/x', 1, sha256(Buffer.from('x'))), 'not-found');
  });

  it('refuses names reserved for partial uploads, and bad offers', async () => {
    const digest = sha256(Buffer.from('x'));
    const reserved = partialName('a.bin', digest);
    await refusedWith(store.offer(reserved, 1, digest), 'bad-request');
    await refusedWith(store.openDownload(reserved, 0), 'bad-request');
    await refusedWith(store.offer('a.bin', 1, new Uint8Array(31)), 'bad-request');
    await refusedWith(store.offer('a.bin', -1, digest), 'bad-request');
    const small = await FileStore.open(rootDir, { maxFileBytes: 10 });
    await refusedWith(small.offer('a.bin', 11, digest), 'bad-request');
  });
});

describe('FileStore listings', () => {
  it('sorts by name, hides partial uploads and reports kinds and sizes', async () => {
    await writeFile(join(rootDir, 'b.txt'), 'bb');
    await writeFile(join(rootDir, 'a.txt'), 'a');
    await mkdir(join(rootDir, 'c'));
    const data = Buffer.from('partial data');
    const upload = await store.openUpload('d.txt', data.length, sha256(data));
    await upload.write(data.subarray(0, 4));
    await upload.abort();
    expect(await readdir(rootDir)).toContain(partialName('d.txt', sha256(data)));
    const listing = await store.list('');
    expect(listing.entries.map(({ name, kind, size }) => ({ name, kind, size }))).toEqual([
      { name: 'a.txt', kind: 'file', size: 1 },
      { name: 'b.txt', kind: 'file', size: 2 },
      { name: 'c', kind: 'directory', size: 0 },
    ]);
    expect(listing.total).toBe(3);
  });

  it('returns the first entries by name when a directory holds more than the limit', async () => {
    const small = await FileStore.open(rootDir, { maxListingEntries: 3 });
    const names = Array.from({ length: 20 }, (_, index) => `f${String(index).padStart(2, '0')}`);
    await Promise.all([...names].reverse().map((name) => writeFile(join(rootDir, name), '')));
    const listing = await small.list('');
    expect(listing.entries.map((entry) => entry.name)).toEqual(['f00', 'f01', 'f02']);
    expect(listing.total).toBe(20);
  });
});

describe('FileStore uploads', () => {
  it('stores a file under its name only after the last chunk and a matching SHA-256', async () => {
    const data = randomBytes(200_000);
    const digest = sha256(data);
    expect((await store.offer('dir-less.bin', data.length, digest)).offset).toBe(0);
    const upload = await store.openUpload('dir-less.bin', data.length, digest);
    for (let at = 0; at < data.length; at += CHUNK_BYTES) {
      await upload.write(data.subarray(at, at + CHUNK_BYTES));
      // Nothing under the final name while bytes are still arriving.
      await expect(stat(join(rootDir, 'dir-less.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    }
    expect(await upload.finish()).toEqual({ size: data.length });
    expectSameBytes(await readFile(join(rootDir, 'dir-less.bin')), data);
    expect(await readdir(rootDir)).toEqual(['dir-less.bin']);
  });

  it('resumes from the bytes held, hashing them again, and refuses any other offset or digest', async () => {
    const data = randomBytes(150_000);
    const digest = sha256(data);
    const first = await store.openUpload('r.bin', data.length, digest);
    await first.write(data.subarray(0, 70_000));
    await first.abort();
    const held = await store.offer('r.bin', data.length, digest);
    expect(held).toEqual({ offset: 70_000, sha256: sha256(data.subarray(0, 70_000)) });
    await refusedWith(store.openUpload('r.bin', data.length, digest, { ...held, offset: 69_999 }), 'offset-mismatch');
    await refusedWith(
      store.openUpload('r.bin', data.length, digest, { offset: 70_000, sha256: sha256(Buffer.from('other')) }),
      'offset-mismatch',
    );
    const second = await store.openUpload('r.bin', data.length, digest, held);
    expect(second.offset).toBe(70_000);
    await second.write(data.subarray(70_000));
    await second.finish();
    expectSameBytes(await readFile(join(rootDir, 'r.bin')), data);
  });

  it('starts over from 0 on request, discarding the bytes held', async () => {
    const data = randomBytes(10_000);
    const digest = sha256(data);
    const first = await store.openUpload('z.bin', data.length, digest);
    await first.write(data.subarray(0, 4000));
    await first.abort();
    const again = await store.openUpload('z.bin', data.length, digest);
    expect(again.offset).toBe(0);
    await again.write(data);
    await again.finish();
    expectSameBytes(await readFile(join(rootDir, 'z.bin')), data);
  });

  it('cannot be poisoned: garbage uploaded under the owner’s SHA-256 is offered with its own digest and discarded', async () => {
    const data = randomBytes(50_000);
    const digest = sha256(data);
    // Someone who knows the digest uploads 20,000 wrong bytes and leaves.
    const attacker = await store.openUpload('p.bin', data.length, digest);
    await attacker.write(randomBytes(20_000));
    await attacker.abort();
    const held = await store.offer('p.bin', data.length, digest);
    expect(held.offset).toBe(20_000);
    // The owner's prefix differs from what is held, so it uploads from 0 instead of failing at the end.
    expect(Buffer.from(held.sha256).equals(sha256(data.subarray(0, 20_000)))).toBe(false);
    const owner = await store.openUpload('p.bin', data.length, digest);
    await owner.write(data);
    await owner.finish();
    expectSameBytes(await readFile(join(rootDir, 'p.bin')), data);
  });

  it('starts over when the held bytes are longer than the offered size', async () => {
    const data = Buffer.from('short');
    const digest = sha256(data);
    await writeFile(join(rootDir, partialName('s.txt', digest)), 'much longer than five bytes');
    expect((await store.offer('s.txt', data.length, digest)).offset).toBe(0);
    const upload = await store.openUpload('s.txt', data.length, digest);
    await upload.write(data);
    await upload.finish();
    expect(await readFile(join(rootDir, 's.txt'), 'utf8')).toBe('short');
  });

  it('keeps uploads of different content apart: a new SHA-256 does not resume from old bytes', async () => {
    const old = randomBytes(1000);
    const upload = await store.openUpload('v.bin', old.length, sha256(old));
    await upload.write(old.subarray(0, 500));
    await upload.abort();
    const fresh = randomBytes(1000);
    expect((await store.offer('v.bin', fresh.length, sha256(fresh))).offset).toBe(0);
  });

  it('deletes the partial file and refuses on a checksum mismatch; the final name never appears', async () => {
    const data = randomBytes(100_000);
    const wrong = sha256(Buffer.from('something else'));
    const upload = await store.openUpload('bad.bin', data.length, wrong);
    await upload.write(data);
    const error = await refusedWith(upload.finish(), 'checksum-mismatch');
    expect(error.message).toContain(Buffer.from(wrong).toString('hex'));
    expect(await readdir(rootDir)).toEqual([]);
    expect((await store.offer('bad.bin', data.length, wrong)).offset).toBe(0);
  });

  it('refuses a chunk past the offered size and an End before it', async () => {
    const data = Buffer.from('0123456789');
    const digest = sha256(data);
    const upload = await store.openUpload('n.txt', data.length, digest);
    await upload.write(data.subarray(0, 6));
    await refusedWith(upload.write(data.subarray(0, 6)), 'size-mismatch');
    await refusedWith(upload.finish(), 'size-mismatch');
    // What arrived is kept for a resume.
    expect((await store.offer('n.txt', data.length, digest)).offset).toBe(6);
    expect(await readdir(rootDir)).toEqual([partialName('n.txt', digest)]);
  });

  it('replaces an existing file atomically: readers see the old bytes or the new, never a mix', async () => {
    const old = Buffer.alloc(300_000, 1);
    await writeFile(join(rootDir, 'same.bin'), old);
    const reading = await store.openDownload('same.bin', 0);
    const data = Buffer.alloc(300_000, 2);
    const upload = await store.openUpload('same.bin', data.length, sha256(data));
    await upload.write(data);
    expectSameBytes(await readFile(join(rootDir, 'same.bin')), old);
    await upload.finish();
    expectSameBytes(await readFile(join(rootDir, 'same.bin')), data);
    // A download opened before the rename keeps reading the file it opened.
    expectSameBytes((await collect(reading.chunks)).bytes, old);
  });

  it('refuses a second upload of the same path while one is open (busy), including through a symlink', async () => {
    await symlink(join(rootDir, 'busy.bin'), join(rootDir, 'busy-link.bin'));
    const data = randomBytes(1000);
    const digest = sha256(data);
    const first = await store.openUpload('busy.bin', data.length, digest);
    await refusedWith(store.openUpload('busy.bin', data.length, digest), 'busy');
    await refusedWith(store.offer('busy.bin', data.length, digest), 'busy');
    const racing = await Promise.allSettled([
      store.openUpload('other.bin', data.length, digest),
      store.openUpload('other.bin', data.length, digest),
    ]);
    expect(racing.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = racing.find((result) => result.status === 'rejected');
    expect((loser as PromiseRejectedResult).reason).toMatchObject({ reason: 'busy' });
    const winner = racing.find((result) => result.status === 'fulfilled');
    await (winner as PromiseFulfilledResult<UploadWriter>).value.abort();
    await first.write(data);
    await first.finish();
    // Finishing releases the path.
    expect((await store.offer('busy.bin', data.length, digest)).offset).toBe(0);
  });
});

describe('FileStore downloads', () => {
  it('sends the file from an offset in chunks of at most 64 KiB, with the whole file’s SHA-256', async () => {
    const data = randomBytes(3 * CHUNK_BYTES + 123);
    await writeFile(join(rootDir, 'g.bin'), data);
    const whole = await store.openDownload('g.bin', 0);
    expect(whole.size).toBe(data.length);
    expect(whole.sha256).toEqual(sha256(data));
    const all = await collect(whole.chunks);
    expectSameBytes(all.bytes, data);
    expect(Math.max(...all.sizes)).toBe(CHUNK_BYTES);
    const tail = await store.openDownload('g.bin', 100_000);
    expect(tail.sha256).toEqual(sha256(data));
    expectSameBytes((await collect(tail.chunks)).bytes, data.subarray(100_000));
    const atEnd = await store.openDownload('g.bin', data.length);
    expect((await collect(atEnd.chunks)).sizes).toEqual([]);
    await refusedWith(store.openDownload('g.bin', data.length + 1), 'offset-mismatch');
  });

  it('serves an uploaded file with its digest, and a fresh digest once the file changed', async () => {
    const data = Buffer.from('uploaded bytes');
    const upload = await store.openUpload('u.txt', data.length, sha256(data));
    await upload.write(data);
    await upload.finish();
    const served = await store.openDownload('u.txt', 0);
    await served.close();
    expect(served.sha256).toEqual(sha256(data));
    const changed = Buffer.from('changed! bytes');
    await writeFile(join(rootDir, 'u.txt'), changed);
    const again = await store.openDownload('u.txt', 0);
    expect(again.sha256).toEqual(sha256(changed));
    expectSameBytes((await collect(again.chunks)).bytes, changed);
  });

  it('hashes the file again once it changed', async () => {
    await writeFile(join(rootDir, 'c.txt'), 'one');
    const first = await store.openDownload('c.txt', 0);
    await first.close();
    await writeFile(join(rootDir, 'c.txt'), 'two!');
    const second = await store.openDownload('c.txt', 0);
    await second.close();
    expect(second.sha256).toEqual(sha256(Buffer.from('two!')));
  });
});

describe('FileStore partial uploads are bounded', () => {
  async function abortAfter(target: FileStore, path: string, bytes: Uint8Array, digest: Uint8Array): Promise<void> {
    const upload = await target.openUpload(path, 1000, digest);
    await upload.write(bytes);
    await upload.abort();
  }

  it('keeps one partial file per path: 200 aborted uploads under 200 SHA-256s leave one', async () => {
    const small = await FileStore.open(rootDir, { maxFileBytes: 1000 });
    for (let index = 0; index < 200; index += 1) {
      await abortAfter(small, 'one.bin', randomBytes(1000), sha256(Buffer.from(`version ${index}`)));
    }
    const names = await readdir(rootDir);
    expect(names).toHaveLength(1);
    expect(names[0]).toBe(partialName('one.bin', sha256(Buffer.from('version 199'))));
    expect(small.partialUse).toEqual({ bytes: 1000, files: 1 });
  });

  it('refuses an upload past the total for unfinished uploads (quota-exceeded), and takes it once one finishes', async () => {
    const small = await FileStore.open(rootDir, { maxFileBytes: 1000, maxPartialBytes: 2500 });
    await abortAfter(small, 'a.bin', randomBytes(1000), sha256(Buffer.from('a')));
    await abortAfter(small, 'b.bin', randomBytes(1000), sha256(Buffer.from('b')));
    const refused = await refusedWith(small.openUpload('c.bin', 1000, sha256(Buffer.from('c'))), 'quota-exceeded');
    expect(refused.message).toContain('2000 of the 2500 bytes');
    // A new upload of a path that already holds a partial replaces it, so it fits.
    const data = randomBytes(1000);
    const replacing = await small.openUpload('a.bin', data.length, sha256(data));
    await replacing.write(data);
    await replacing.finish();
    expect(small.partialUse).toEqual({ bytes: 1000, files: 1 });
    await abortAfter(small, 'c.bin', randomBytes(10), sha256(Buffer.from('c')));
    expect(small.partialUse).toEqual({ bytes: 1010, files: 2 });
  });

  it('deletes partial files no one wrote to for the TTL, found again when a store opens on the same root', async () => {
    const first = await FileStore.open(rootDir, { maxFileBytes: 1000, partialTtlMs: 60_000 });
    await abortAfter(first, 'old.bin', randomBytes(300), sha256(Buffer.from('old')));
    await mkdir(join(rootDir, 'sub'));
    await abortAfter(first, 'sub/new.bin', randomBytes(200), sha256(Buffer.from('new')));
    expect(await first.sweep(Date.now())).toBe(0);
    // A second store (a restarted server) finds both, with the bytes they hold.
    const second = await FileStore.open(rootDir, { maxFileBytes: 1000, partialTtlMs: 60_000 });
    expect(second.partialUse).toEqual({ bytes: 500, files: 2 });
    expect(await second.sweep(Date.now() + 61_000)).toBe(2);
    expect(await readdir(rootDir)).toEqual(['sub']);
    expect(await readdir(join(rootDir, 'sub'))).toEqual([]);
    expect(second.partialUse).toEqual({ bytes: 0, files: 0 });
  });

  it('never expires an upload that is open', async () => {
    const short = await FileStore.open(rootDir, { partialTtlMs: 1 });
    const data = randomBytes(100);
    const upload = await short.openUpload('live.bin', data.length, sha256(data));
    await upload.write(data.subarray(0, 50));
    expect(await short.sweep(Date.now() + 10_000)).toBe(0);
    await upload.write(data.subarray(50));
    await upload.finish();
    expectSameBytes(await readFile(join(rootDir, 'live.bin')), data);
  });
});
