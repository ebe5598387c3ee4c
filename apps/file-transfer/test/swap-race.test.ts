import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FileStore } from '../src/store.js';

/**
 * The time-of-check/time-of-use attack on the store: a directory inside the
 * root is swapped, over and over, with a symlink to a directory outside it,
 * while get, put and list run on paths through it. Issue 13 measured 69 files
 * written outside and 59 secrets served in 10 s with a check-then-open store.
 */
const SECONDS = Number(process.env.SOCKSPEC_SWAP_RACE_SECONDS ?? 10);
const SECRET = 'SECRET: the outside file';
const INSIDE = 'inside';

/** Swaps root/d with a symlink to outside until `seconds` pass; a separate process, so it races the store's file-system calls for real. */
const SWAPPER = `
const { renameSync, symlinkSync, unlinkSync } = require('node:fs');
const [d, parked, outside, seconds] = process.argv.slice(1);
const end = Date.now() + Number(seconds) * 1000;
let swaps = 0;
while (Date.now() < end) {
  renameSync(d, parked);
  symlinkSync(outside, d);
  unlinkSync(d);
  renameSync(parked, d);
  swaps += 1;
}
process.stdout.write(String(swaps));
`;

let base: string;
let root: string;
let outside: string;
let swapper: ChildProcess | undefined;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'sockspec-ft-swap-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(join(root, 'd'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(root, 'd', 'f.txt'), INSIDE);
  await writeFile(join(outside, 'f.txt'), SECRET);
  await writeFile(join(outside, 'only-outside.txt'), SECRET);
});

afterEach(async () => {
  if (swapper?.exitCode === null) swapper.kill('SIGKILL');
  await rm(base, { recursive: true, force: true });
});

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString();
}

it(
  'finds no escape while a directory is swapped with a symlink to the outside: get, put and list',
  async () => {
    const store = await FileStore.open(root);
    const descriptorsBefore = (await readdir('/proc/self/fd')).length;
    const child = spawn(
      process.execPath,
      ['-e', SWAPPER, join(root, 'd'), join(root, 'parked'), outside, String(SECONDS)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    swapper = child;
    let swapperOutput = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      swapperOutput += chunk.toString();
    });
    const exited = once(child, 'exit');

    const escapes = { served: 0, listed: 0 };
    const outcomes = { get: 0, list: 0, put: 0, refused: 0 };
    const upload = Buffer.from('planted by the test');
    const digest = new Uint8Array(createHash('sha256').update(upload).digest());
    const end = Date.now() + SECONDS * 1000;
    let round = 0;
    const ignoreRefusal = (): void => {
      outcomes.refused += 1;
    };
    while (Date.now() < end) {
      round += 1;
      await Promise.all([
        store
          .openDownload('d/f.txt', 0)
          .then(async (download) => {
            outcomes.get += 1;
            if ((await readAll(download.chunks)) !== INSIDE) escapes.served += 1;
          })
          .catch(ignoreRefusal),
        store
          .list('d')
          .then((listing) => {
            outcomes.list += 1;
            if (listing.entries.some((entry) => entry.name === 'only-outside.txt')) escapes.listed += 1;
          })
          .catch(ignoreRefusal),
        store
          .openUpload(`d/up-${round % 50}.txt`, upload.length, digest)
          .then(async (writer) => {
            await writer.write(upload);
            await writer.finish();
            outcomes.put += 1;
          })
          .catch(ignoreRefusal),
      ]);
    }
    await exited;
    const swaps = Number(swapperOutput);
    const written = (await readdir(outside)).filter((name) => name !== 'f.txt' && name !== 'only-outside.txt');
    // The race was run, and every operation also succeeded between swaps: the attack had its chances.
    expect(swaps).toBeGreaterThan(1000);
    expect(Math.min(outcomes.get, outcomes.list, outcomes.put)).toBeGreaterThan(10);
    expect({ ...escapes, writtenOutside: written }).toEqual({ served: 0, listed: 0, writtenOutside: [] });
    // Every descriptor a walk opened was closed again, refusals included (the child's pipe is gone too).
    expect((await readdir('/proc/self/fd')).length).toBeLessThanOrEqual(descriptorsBefore);
    if (process.env.SOCKSPEC_SWAP_RACE_REPORT === '1') console.log({ swaps, outcomes, escapes, written });
  },
  SECONDS * 1000 + 20_000,
);
