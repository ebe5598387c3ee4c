import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ListeningAddress,
  type RunningProgram,
  runProgram,
  startProgram,
  startServer,
  stopAllPrograms,
} from '@sockspec/app-kit/testing';
import { createClient, type FileTransferClient, RemoteError } from '@sockspec/protocol-file-transfer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileService } from '../src/handlers.js';
import { createFileTransferServer } from '../src/server-program.js';
import { type FileDownload, FileStore, type HeldBytes, partialName, type UploadWriter } from '../src/store.js';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const PYTHON_CLIENT = fileURLToPath(new URL('../python/ft_client.py', import.meta.url));
const CLIENT = 'src/client.ts';

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function fileSha256Hex(path: string): Promise<string> {
  return sha256Hex(await readFile(path));
}

function endpointArgs(address: ListeningAddress): string[] {
  return 'path' in address ? ['--unix', address.path] : ['--host', address.host, '--port', String(address.port)];
}

let dir: string;
let root: string;
let work: string;
const servers: { shutdown(options: { drainMs: number }): Promise<void> }[] = [];
const clients: FileTransferClient[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sockspec-ft-'));
  root = join(dir, 'root');
  work = join(dir, 'work');
  await mkdir(root);
  await mkdir(work);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
  await stopAllPrograms();
  await Promise.all(servers.splice(0).map((server) => server.shutdown({ drainMs: 0 })));
  await rm(dir, { recursive: true, force: true });
});

/** An in-process server on a unix socket in the test's directory. */
async function listenInProcess(store?: FileService): Promise<ListeningAddress> {
  const server = createFileTransferServer({
    root,
    transport: 'unix',
    path: join(dir, 'ft.sock'),
    log: () => undefined,
    ...(store === undefined ? {} : { store }),
  });
  servers.push(server);
  const bound = await server.listen();
  return { transport: 'unix', path: join(dir, 'ft.sock'), url: bound.url };
}

async function connect(address: ListeningAddress): Promise<FileTransferClient> {
  const client = await createClient(
    'path' in address ? { transport: 'unix', path: address.path } : { host: address.host, port: address.port },
  );
  clients.push(client);
  return client;
}

describe.each(['tcp', 'unix'] as const)('the programs over %s', (transport) => {
  async function startFileServer(): Promise<{ program: RunningProgram; address: ListeningAddress }> {
    const where = transport === 'unix' ? ['--unix', join(dir, 'ft.sock')] : ['--port', '0'];
    return startServer({ cwd, script: 'src/server.ts', args: ['--root', root, ...where] });
  }

  it('put, list and get round-trip a file, each printing its summary line', async () => {
    const { address } = await startFileServer();
    const data = randomBytes(300_000);
    await writeFile(join(work, 'a.bin'), data);
    await mkdir(join(root, 'sub'));

    const put = await runProgram({
      cwd,
      script: CLIENT,
      args: [...endpointArgs(address), 'put', join(work, 'a.bin'), 'sub/a.bin'],
    });
    expect(put.stderr).toEqual([]);
    expect({ code: put.code, stdout: put.stdout }).toMatchObject({ code: 0 });
    expect(put.stdout).toHaveLength(1);
    expect(put.stdout[0]).toMatch(
      /^put sub\/a\.bin: 300000 bytes \(300000 sent\) in \d+\.\d\d s \([\d.]+ [KMG]?i?B\/s\), sha256 ok, resumed at 0$/,
    );
    expect(await fileSha256Hex(join(root, 'sub', 'a.bin'))).toBe(sha256Hex(data));

    const listed = await runProgram({ cwd, script: CLIENT, args: [...endpointArgs(address), 'list', 'sub'] });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toEqual([expect.stringMatching(/^file\s+300000 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}a\.bin$/)]);
    const top = await runProgram({ cwd, script: CLIENT, args: [...endpointArgs(address), 'list'] });
    expect(top.stdout).toEqual([expect.stringMatching(/^directory\s+- {2}\S+ {2}sub\/$/)]);

    const got = await runProgram({
      cwd,
      script: CLIENT,
      args: [...endpointArgs(address), 'get', 'sub/a.bin', join(work, 'b.bin')],
    });
    expect(got.code).toBe(0);
    expect(got.stdout[0]).toMatch(/^get .*b\.bin: 300000 bytes \(300000 sent\) in .* sha256 ok, resumed at 0$/);
    expect(await fileSha256Hex(join(work, 'b.bin'))).toBe(sha256Hex(data));
    expect((await readdir(work)).sort()).toEqual(['a.bin', 'b.bin']);
  });

  it('refuses a path outside the root with exit status 1 and a line naming the path and the reason', async () => {
    const { address } = await startFileServer();
    await writeFile(join(work, 'x.txt'), 'x');
    const put = await runProgram({
      cwd,
      script: CLIENT,
      args: [...endpointArgs(address), 'put', join(work, 'x.txt'), '../x.txt'],
    });
    expect(put.code).toBe(1);
    expect(put.stdout).toEqual([]);
    expect(put.stderr).toEqual([
      expect.stringMatching(/^sockspec-file-transfer: put .*x\.txt \.\.\/x\.txt: .*outside-root.*\.\.\/x\.txt/),
    ]);
    const got = await runProgram({
      cwd,
      script: CLIENT,
      args: [...endpointArgs(address), 'get', 'missing.bin', join(work, 'm.bin')],
    });
    expect(got.code).toBe(1);
    expect(got.stderr.join('\n')).toMatch(/get missing\.bin .*not-found/);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['root', 'work']));
    expect(await readdir(work)).toEqual(['x.txt']);
  });
});

describe('the client program', () => {
  it.each([
    [[], /missing required argument 'command'/],
    [['send', 'x'], /value 'send' is invalid for argument 'command'. Allowed choices are put, get, list/],
    [['put'], /put takes 1 to 2 path\(s\), got 0/],
    [['get', 'a', 'b', 'c'], /get takes 1 to 2 path\(s\), got 3/],
    [['list', 'a', 'b'], /list takes 0 to 1 path\(s\), got 2/],
  ])('%j is a usage error (exit status 2)', async (args, message) => {
    const result = await runProgram({ cwd, script: CLIENT, args: ['--port', '1', ...args] });
    expect(result.code).toBe(2);
    expect(result.stderr.join('\n')).toMatch(message);
  });

  it('fails with exit status 1 when no server listens', async () => {
    const result = await runProgram({ cwd, script: CLIENT, args: ['--unix', join(dir, 'nobody.sock'), 'list'] });
    expect(result.code).toBe(1);
    expect(result.stderr.join('\n')).toContain('nobody.sock');
  });
});

describe('the server program', () => {
  it('needs --root (exit status 2) and lists it in --help', async () => {
    const missing = await runProgram({ cwd, script: 'src/server.ts', args: ['--port', '0'] });
    expect(missing.code).toBe(2);
    expect(missing.stderr.join('\n')).toMatch(/required option '--root <dir>'/);
    const help = await runProgram({ cwd, script: 'src/server.ts', args: ['--help'] });
    expect(help.code).toBe(0);
    expect(help.stdout.join('\n')).toContain('--root <dir>');
  });

  it('exits 1 naming the root when it does not exist', async () => {
    const result = await runProgram({
      cwd,
      script: 'src/server.ts',
      args: ['--root', join(dir, 'nope'), '--port', '0'],
    });
    expect(result.code).toBe(1);
    expect(result.stderr.join('\n')).toContain(join(dir, 'nope'));
  });
});

describe('the server refuses every escape with the typed reason and keeps serving', () => {
  it.each([
    ['..', 'outsideRoot'],
    ['../outside.txt', 'outsideRoot'],
    ['a/../../x', 'outsideRoot'],
    ['/etc/passwd', 'outsideRoot'],
    ['leak.txt', 'outsideRoot'],
    ['escape/secret.txt', 'outsideRoot'],
    ['a//b', 'badRequest'],
    ['a\\b', 'badRequest'],
    ['a\0b', 'badRequest'],
    // Longer than a file name may be (ENAMETOOLONG), and a refusal text that would outgrow Failed.text: both were 'internal'.
    ['n'.repeat(300), 'badRequest'],
    [`${'n'.repeat(300)}/${'m'.repeat(300)}/${'o'.repeat(300)}/x`, 'badRequest'],
    ['p'.repeat(1200), 'badRequest'],
  ])('%j → %s', async (path, reason) => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await symlink(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    await symlink(outside, join(root, 'escape'));
    await writeFile(join(root, 'fine.txt'), 'fine');
    const address = await listenInProcess();
    const hostile = await connect(address);
    const sha256 = new Uint8Array(createHash('sha256').update('x').digest());
    const attempts = [
      hostile.get({ path, offset: 0n }),
      hostile.offer({ path, size: 1n, sha256 }),
      hostile.upload(
        { path, size: 1n, sha256, offset: 0n, held: sha256 },
        { chunks: [{ bytes: new Uint8Array([120]) }], end: {} },
      ),
      hostile.list({ path }),
    ];
    // Handlers go on every attempt at once: a later one may be refused while an earlier one is still awaited.
    const outcomes = attempts.map((attempt) =>
      attempt.then(
        () => undefined,
        (caught: unknown) => caught,
      ),
    );
    for (const outcome of outcomes) {
      const error = await outcome;
      expect(error).toBeInstanceOf(RemoteError);
      expect((error as RemoteError).code).toBe('SOCKSPEC_REMOTE_ERROR');
      expect((error as RemoteError).reply).toMatchObject({ type: 'Failed', reason });
    }
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(await readdir(outside)).toEqual(['secret.txt']);
    // The same connection and a new one both still work.
    expect((await hostile.list({ path: '' })).entries.map((entry) => entry.name)).toEqual([
      'escape',
      'fine.txt',
      'leak.txt',
    ]);
    const other = await connect(address);
    const sending = await other.get({ path: 'fine.txt', offset: 0n });
    const parts: Uint8Array[] = [];
    for await (const chunk of sending.stream) parts.push(chunk.bytes);
    await sending.stream.end;
    expect(Buffer.concat(parts).toString()).toBe('fine');
  });
});

describe('Python interop (socket + struct only)', () => {
  async function runPython(
    args: string[],
  ): Promise<{ code: number | null; json: Record<string, unknown>; stderr: string }> {
    const child = spawn('python3', [PYTHON_CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);
    return { code, json: stdout === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>), stderr };
  }

  it.each(['tcp', 'unix'] as const)(
    'puts and gets a 5 MiB file over %s; SHA-256 matches on both sides',
    async (transport) => {
      const where = transport === 'unix' ? ['--unix', join(dir, 'ft.sock')] : ['--port', '0'];
      const { address } = await startServer({ cwd, script: 'src/server.ts', args: ['--root', root, ...where] });
      const data = randomBytes(5 * 1024 * 1024);
      const digest = sha256Hex(data);
      await writeFile(join(work, 'five.bin'), data);
      const peer =
        'path' in address ? ['--unix', address.path] : ['--host', address.host, '--port', String(address.port)];

      const put = await runPython([...peer, 'put', join(work, 'five.bin'), 'five.bin']);
      expect({ code: put.code, stderr: put.stderr }).toEqual({ code: 0, stderr: '' });
      expect(put.json).toMatchObject({
        command: 'put',
        path: 'five.bin',
        bytes: data.length,
        offset: 0,
        sha256: digest,
      });
      expect(await fileSha256Hex(join(root, 'five.bin'))).toBe(digest);

      const got = await runPython([...peer, 'get', 'five.bin', join(work, 'back.bin')]);
      expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: '' });
      expect(got.json).toMatchObject({ command: 'get', bytes: data.length, sha256: digest, verified: true });
      expect(await fileSha256Hex(join(work, 'back.bin'))).toBe(digest);

      const listed = await runPython([...peer, 'list']);
      expect(listed.json).toMatchObject({ entries: [{ name: 'five.bin', kind: 'file', size: data.length }] });

      const refused = await runPython([...peer, 'get', '../etc/passwd', join(work, 'nope')]);
      expect(refused.code).toBe(1);
      expect(refused.json).toMatchObject({ failed: { reason: 'outside-root' } });
    },
  );
});

/**
 * A store whose uploads are slowed to a known pace and report their
 * progress, so a test can act once the server holds enough bytes instead
 * of guessing with a timer.
 */
class WatchedStore implements FileService {
  throttleMs = 2;
  private readonly watchers = new Set<() => void>();
  written = 0;
  aborted = 0;

  constructor(private readonly store: FileStore) {}

  list: FileStore['list'] = (path) => this.store.list(path);
  offer: FileStore['offer'] = (path, size, sha256) => this.store.offer(path, size, sha256);
  /** Bytes handed to downloads so far. */
  sent = 0;

  async openDownload(path: string, offset: number): Promise<FileDownload> {
    const download = await this.store.openDownload(path, offset);
    const watch = this;
    async function* slowed(): AsyncGenerator<Uint8Array> {
      for await (const chunk of download.chunks) {
        // A slow disk for reads too: the client receives at a known pace.
        if (watch.throttleMs > 0) await new Promise((resolve) => setTimeout(resolve, watch.throttleMs));
        watch.sent += chunk.length;
        watch.notify();
        yield chunk;
      }
    }
    return {
      size: download.size,
      sha256: download.sha256,
      offset: download.offset,
      chunks: slowed(),
      close: () => download.close(),
    };
  }

  async openUpload(path: string, size: number, sha256: Uint8Array, held?: HeldBytes): Promise<UploadWriter> {
    const upload = await this.store.openUpload(path, size, sha256, held);
    const watched: UploadWriter = {
      get offset() {
        return upload.offset;
      },
      get written() {
        return upload.written;
      },
      write: async (bytes) => {
        // A slow disk, in effect: the server reads the socket only as fast as this accepts chunks.
        if (this.throttleMs > 0) await new Promise((resolve) => setTimeout(resolve, this.throttleMs));
        await upload.write(bytes);
        this.written = upload.written;
        this.notify();
      },
      finish: () => upload.finish(),
      abort: async () => {
        await upload.abort();
        this.aborted += 1;
        this.notify();
      },
    };
    return watched;
  }

  private notify(): void {
    for (const watcher of this.watchers) watcher();
  }

  /** Resolves once `check` holds (re-checked after every write and abort). */
  until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const poll = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.watchers.delete(poll);
        resolve();
      };
      const timer = setTimeout(() => {
        this.watchers.delete(poll);
        reject(new Error(`no ${what} within ${timeoutMs} ms (written ${this.written}, aborted ${this.aborted})`));
      }, timeoutMs);
      this.watchers.add(poll);
      poll();
    });
  }
}

describe('get resumes from the partial file next to the target', () => {
  it('sends only the missing bytes when the partial file is a prefix', async () => {
    const address = await listenInProcess();
    const data = randomBytes(200_000);
    await writeFile(join(root, 'r.bin'), data);
    await writeFile(join(work, '.r.bin.part'), data.subarray(0, 120_000));
    const got = await runProgram({
      cwd,
      script: CLIENT,
      args: [...endpointArgs(address), 'get', 'r.bin', join(work, 'r.bin')],
    });
    expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: [] });
    expect(got.stdout[0]).toMatch(/: 200000 bytes \(80000 sent\) in .* resumed at 120000$/);
    expect(await fileSha256Hex(join(work, 'r.bin'))).toBe(sha256Hex(data));
    expect(await readdir(work)).toEqual(['r.bin']);
  });

  it('starts over once when the bytes held belong to another version of the file', async () => {
    const address = await listenInProcess();
    const data = randomBytes(100_000);
    await writeFile(join(root, 's.bin'), data);
    await writeFile(join(work, '.s.bin.part'), randomBytes(50_000));
    const got = await runProgram({
      cwd,
      script: CLIENT,
      args: [...endpointArgs(address), 'get', 's.bin', join(work, 's.bin')],
    });
    expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: [] });
    expect(got.stdout[0]).toMatch(/: 100000 bytes \(100000 sent\) in .* resumed at 0$/);
    expect(await fileSha256Hex(join(work, 's.bin'))).toBe(sha256Hex(data));
    expect(await readdir(work)).toEqual(['s.bin']);
  });

  it('into a directory, keeps the remote name', async () => {
    const address = await listenInProcess();
    await mkdir(join(root, 'deep'));
    await writeFile(join(root, 'deep', 'n.txt'), 'named');
    const got = await runProgram({ cwd, script: CLIENT, args: [...endpointArgs(address), 'get', 'deep/n.txt', work] });
    expect(got.code).toBe(0);
    expect(await readFile(join(work, 'n.txt'), 'utf8')).toBe('named');
  });
});

/** The figures of a client's `put`/`get` summary line: total bytes, bytes sent, where it resumed. */
function resumeFigures(
  stdout: readonly string[],
  verb: 'put' | 'get',
): { total: number; sent: number; resumedAt: number } {
  const match = new RegExp(`^${verb} \\S*big\\.bin: (\\d+) bytes \\((\\d+) sent\\) .* resumed at (\\d+)$`).exec(
    stdout[0] ?? '',
  );
  expect(match, stdout.join('\n')).not.toBeNull();
  const [total, sent, resumedAt] = (match ?? []).slice(1).map(Number) as [number, number, number];
  return { total, sent, resumedAt };
}

/** The file-transfer server over a disk that takes 2 ms per chunk, in a process of its own a test can kill -9. */
function startSlowServer() {
  return startServer({ cwd, script: 'test/fixtures/slow-disk-server.ts', args: [root, join(dir, 'slow.sock')] });
}

/** The server that takes over after the slow one was killed, on the same root. */
async function startNextServer(): Promise<ListeningAddress> {
  return (await startServer({ cwd, script: 'src/server.ts', args: ['--root', root, '--unix', join(dir, 'next.sock')] }))
    .address;
}

/** A rerun after the server died resumed from what reached the disk (at least 4 MiB, at most what was held). */
function expectResumedFromDisk(stdout: readonly string[], verb: 'put' | 'get', size: number, held: number): void {
  const { total, sent, resumedAt } = resumeFigures(stdout, verb);
  expect(total).toBe(size);
  expect(resumedAt).toBeGreaterThanOrEqual(4 * 1024 * 1024);
  expect(resumedAt).toBeLessThanOrEqual(held);
  expect(sent).toBe(size - resumedAt);
}

/** Waits until the partial file at `path` holds at least `bytes`. */
async function untilHolds(path: string, bytes: number): Promise<void> {
  await expect
    .poll(async () => (await stat(path).catch(() => ({ size: 0 }))).size, { timeout: 30_000, interval: 10 })
    .toBeGreaterThanOrEqual(bytes);
}

describe('a client killed mid-upload', () => {
  it('leaves nothing under the final name, and a rerun resumes instead of restarting', async () => {
    const store = new WatchedStore(await FileStore.open(root));
    const address = await listenInProcess(store);
    const size = 32 * 1024 * 1024;
    const data = randomBytes(size);
    const digest = sha256Hex(data);
    await writeFile(join(work, 'big.bin'), data);
    const args = [...endpointArgs(address), 'put', join(work, 'big.bin'), 'big.bin'];

    const first = startProgram({ cwd, script: CLIENT, args });
    await store.until(() => store.written >= 4 * 1024 * 1024, '4 MiB held by the server');
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await store.until(() => store.aborted === 1, 'aborted upload on the server');

    const partial = join(root, partialName('big.bin', Buffer.from(digest, 'hex')));
    const held = (await stat(partial)).size;
    expect(held).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(held).toBeLessThan(size);
    await expect(stat(join(root, 'big.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(root)).toEqual([partialName('big.bin', Buffer.from(digest, 'hex'))]);

    store.throttleMs = 0;
    const rerun = await runProgram({ cwd, script: CLIENT, args, timeoutMs: 60_000 });
    expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: [] });
    const { total, sent, resumedAt } = resumeFigures(rerun.stdout, 'put');
    expect(total).toBe(size);
    expect(resumedAt).toBe(held);
    expect(resumedAt).toBeGreaterThan(0);
    expect(sent).toBeLessThan(size);
    expect(sent).toBe(size - held);
    expect(await fileSha256Hex(join(root, 'big.bin'))).toBe(digest);
    expect(await readdir(root)).toEqual(['big.bin']);
  }, 120_000);
});

describe('a server killed mid-upload', () => {
  it('leaves nothing under the final name, and the next server resumes the upload from the bytes on disk', async () => {
    const size = 32 * 1024 * 1024;
    const data = randomBytes(size);
    const digest = sha256Hex(data);
    await writeFile(join(work, 'big.bin'), data);
    const partial = join(root, partialName('big.bin', Buffer.from(digest, 'hex')));
    const slow = await startSlowServer();
    const put = (address: ListeningAddress) =>
      startProgram({ cwd, script: CLIENT, args: [...endpointArgs(address), 'put', join(work, 'big.bin'), 'big.bin'] });

    const first = put(slow.address);
    await untilHolds(partial, 4 * 1024 * 1024);
    slow.program.child.kill('SIGKILL');
    expect((await slow.program.exited).signal).toBe('SIGKILL');
    expect((await first.exited).code).not.toBe(0);
    await expect(stat(join(root, 'big.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    const held = (await stat(partial)).size;
    expect(held).toBeLessThan(size);

    const address = await startNextServer();
    const rerun = put(address);
    expect(await rerun.exited).toEqual({ code: 0, signal: null });
    expectResumedFromDisk(rerun.stdout, 'put', size, held);
    expect(await fileSha256Hex(join(root, 'big.bin'))).toBe(digest);
    expect(await readdir(root)).toEqual(['big.bin']);
  }, 120_000);
});

describe('a server killed mid-download', () => {
  it('the client fails, keeps only its partial file, and a rerun against the next server resumes from it', async () => {
    const size = 32 * 1024 * 1024;
    const data = randomBytes(size);
    await writeFile(join(root, 'big.bin'), data);
    const target = join(work, 'big.bin');
    const partial = join(work, '.big.bin.part');
    const slow = await startSlowServer();
    const get = (address: ListeningAddress) =>
      startProgram({ cwd, script: CLIENT, args: [...endpointArgs(address), 'get', 'big.bin', target] });

    const first = get(slow.address);
    await untilHolds(partial, 4 * 1024 * 1024);
    slow.program.child.kill('SIGKILL');
    expect((await slow.program.exited).signal).toBe('SIGKILL');
    expect((await first.exited).code).toBe(1);
    expect(first.stderr.join('\n')).not.toMatch(/\n\s+at /);
    await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(work)).toEqual(['.big.bin.part']);
    const held = (await stat(partial)).size;
    expect(held).toBeLessThan(size);

    const address = await startNextServer();
    const rerun = get(address);
    expect(await rerun.exited).toEqual({ code: 0, signal: null });
    expectResumedFromDisk(rerun.stdout, 'get', size, held);
    expect(await fileSha256Hex(target)).toBe(sha256Hex(data));
    expect(await readdir(work)).toEqual(['big.bin']);
  }, 120_000);
});

describe('a client killed mid-download', () => {
  it('leaves nothing under the final name, only its partial file, and a rerun resumes from it', async () => {
    const store = new WatchedStore(await FileStore.open(root));
    const address = await listenInProcess(store);
    const size = 32 * 1024 * 1024;
    const data = randomBytes(size);
    await writeFile(join(root, 'big.bin'), data);
    const target = join(work, 'big.bin');
    const args = [...endpointArgs(address), 'get', 'big.bin', target];

    const first = startProgram({ cwd, script: CLIENT, args });
    await store.until(() => store.sent >= 4 * 1024 * 1024, '4 MiB sent by the server');
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(work)).toEqual(['.big.bin.part']);
    const held = (await stat(join(work, '.big.bin.part'))).size;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(size);

    store.throttleMs = 0;
    const rerun = await runProgram({ cwd, script: CLIENT, args, timeoutMs: 60_000 });
    expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: [] });
    const { total, sent, resumedAt } = resumeFigures(rerun.stdout, 'get');
    expect(total).toBe(size);
    expect(resumedAt).toBe(held);
    expect(sent).toBe(size - held);
    expect(await fileSha256Hex(target)).toBe(sha256Hex(data));
    expect(await readdir(work)).toEqual(['big.bin']);
  }, 120_000);
});

describe('a resume cannot be poisoned', () => {
  it('garbage uploaded under the owner’s SHA-256 by another peer is discarded: put uploads from 0 and succeeds', async () => {
    const store = new WatchedStore(await FileStore.open(root));
    store.throttleMs = 0;
    const address = await listenInProcess(store);
    const data = randomBytes(1024 * 1024);
    const digest = new Uint8Array(createHash('sha256').update(data).digest());
    await writeFile(join(work, 'owned.bin'), data);

    // A peer that knows the digest sends 256 KiB of garbage under it, then vanishes.
    const hostile = await connect(address);
    const empty = new Uint8Array(createHash('sha256').digest());
    async function* garbage(): AsyncGenerator<{ bytes: Uint8Array }> {
      for (let index = 0; index < 4; index += 1) yield { bytes: randomBytes(65_536) };
      await new Promise(() => undefined);
    }
    void hostile
      .upload(
        { path: 'owned.bin', size: BigInt(data.length), sha256: digest, offset: 0n, held: empty },
        { chunks: garbage(), end: {} },
      )
      .catch(() => undefined);
    await store.until(() => store.written >= 4 * 65_536, 'the garbage held by the server');
    await hostile.close();
    await store.until(() => store.aborted === 1, 'the hostile upload aborted');

    const put = await runProgram({
      cwd,
      script: CLIENT,
      args: [...endpointArgs(address), 'put', join(work, 'owned.bin'), 'owned.bin'],
    });
    expect({ code: put.code, stderr: put.stderr }).toEqual({ code: 0, stderr: [] });
    expect(put.stdout[0]).toMatch(/\(1048576 sent\).*resumed at 0$/);
    expect(await fileSha256Hex(join(root, 'owned.bin'))).toBe(sha256Hex(data));
    expect(await readdir(root)).toEqual(['owned.bin']);
  }, 60_000);
});
