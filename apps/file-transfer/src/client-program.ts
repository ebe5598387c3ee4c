import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, lstat, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { styleText } from 'node:util';
import {
  colourEnabled,
  describeEndpoint,
  type ProgramIO,
  parseMilliseconds,
  parseProgramArgs,
  processIO,
  USAGE_EXIT_CODE,
} from '@sockspec/app-kit';
import { isSockspecError } from '@sockspec/errors';
import { createClient, type Failed, type FileTransferClient, RemoteError } from '@sockspec/protocol-file-transfer';
import { Argument, Option } from 'commander';
import { BatchedFileWriter } from './batched-writes.js';
import { FILE_TRANSFER_DEFAULT_PORT } from './port.js';
import { createProgress, formatSummary } from './progress.js';
import { CHUNK_BYTES, MAX_LISTING_ENTRIES } from './store.js';

export const CLIENT_NAME = 'sockspec-file-transfer';
/** Long enough for the server to hash a multi-gigabyte file before it answers a get. */
const DEFAULT_TIMEOUT_MS = 60_000;
const COMMANDS = ['put', 'get', 'list'] as const;
type CommandName = (typeof COMMANDS)[number];
/** How many paths each command takes: [at least, at most]. */
const ARITY: Record<CommandName, readonly [number, number]> = { put: [1, 2], get: [1, 2], list: [0, 1] };

/** A failure the person must see; exit status 1. */
class TransferFailed extends Error {}

const identity = {
  name: CLIENT_NAME,
  description: `File-transfer client: put LOCAL [REMOTE] uploads (resuming a broken upload), get REMOTE [LOCAL] downloads (resuming from LOCAL's partial file), list [DIR] shows a server directory. Every transfer is checked by SHA-256. Connects to 127.0.0.1:${FILE_TRANSFER_DEFAULT_PORT} unless told otherwise.`,
  defaultPort: FILE_TRANSFER_DEFAULT_PORT,
};

/**
 * Runs `sockspec-file-transfer put|get|list ...`. Resolves with the exit
 * status: 0 done, 1 refused or failed (one stderr line naming the path and
 * the reason), 2 bad arguments.
 */
export async function runFileTransferClient(io: ProgramIO = processIO()): Promise<number> {
  let chosen: { command: CommandName; paths: string[] } | undefined;
  const parsed = parseProgramArgs<{ timeoutMs: number }>(identity, 'connect', io, (command) =>
    command
      .usage('[options] put LOCAL [REMOTE] | get REMOTE [LOCAL] | list [DIR]')
      .addOption(
        new Option('--timeout-ms <ms>', 'how long to wait for the connection and for each reply')
          .argParser(parseMilliseconds)
          .default(DEFAULT_TIMEOUT_MS),
      )
      .addArgument(new Argument('<command>', 'put, get or list').choices(COMMANDS))
      .argument('[paths...]', 'the paths the command takes')
      .action((name: CommandName, paths: string[]) => {
        chosen = { command: name, paths };
      }),
  );
  if (typeof parsed === 'number') return parsed;
  const fail = (message: string): number => {
    const line = `${CLIENT_NAME}: ${message}`;
    io.stderr.write(`${colourEnabled(io.stderr, io.env) ? styleText('red', line, { validateStream: false }) : line}\n`);
    return 1;
  };
  if (chosen === undefined) return USAGE_EXIT_CODE;
  const { command, paths } = chosen;
  const [least, most] = ARITY[command];
  if (paths.length < least || paths.length > most) {
    io.stderr.write(
      `${CLIENT_NAME}: error: ${command} takes ${least === most ? least : `${least} to ${most}`} path(s), got ${paths.length}\n`,
    );
    return USAGE_EXIT_CODE;
  }

  const { endpoint } = parsed;
  const { timeoutMs } = parsed.options;
  let client: FileTransferClient;
  try {
    client = await createClient({ ...endpoint, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs });
  } catch (error) {
    return fail(
      isSockspecError(error) ? error.message : `cannot connect to ${describeEndpoint(endpoint)}: ${String(error)}`,
    );
  }
  try {
    if (command === 'put') await put(client, io, paths[0]!, paths[1]);
    else if (command === 'get') await get(client, io, paths[0]!, paths[1]);
    else await list(client, io, paths[0] ?? '');
    await client.close();
    return 0;
  } catch (error) {
    void client.close().catch(() => undefined);
    const what = command === 'list' ? `list ${JSON.stringify(paths[0] ?? '')}` : `${command} ${paths.join(' ')}`;
    if (error instanceof RemoteError) {
      // Named as the spec names it ('outside-root'), not as the TypeScript value ('outsideRoot').
      const reply = error.reply as Failed;
      const reason = reply.reason.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
      return fail(`${what}: refused by the server (${reason}): ${reply.text}`);
    }
    return fail(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The SHA-256 of no bytes: what an upload from offset 0 says it expects the server to hold. */
const EMPTY_SHA256 = new Uint8Array(createHash('sha256').digest());

async function fileSha256(path: string, end: number): Promise<Uint8Array> {
  const hash = createHash('sha256');
  if (end > 0) {
    for await (const block of createReadStream(path, { start: 0, end: end - 1, highWaterMark: 1 << 20 })) {
      hash.update(block as Buffer);
    }
  }
  return new Uint8Array(hash.digest());
}

async function put(
  client: FileTransferClient,
  io: ProgramIO,
  local: string,
  remoteArg: string | undefined,
): Promise<void> {
  const remote = remoteArg ?? basename(local);
  const info = await stat(local).catch((error: unknown) => {
    throw new TransferFailed(`cannot read ${local}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!info.isFile()) throw new TransferFailed(`${local} is not a regular file`);
  const size = info.size;
  const sha256 = await fileSha256(local, size);
  const ready = await client.offer({ path: remote, size: BigInt(size), sha256 });
  const held = Number(ready.offset);
  if (!(held >= 0 && held <= size)) {
    throw new TransferFailed(`the server offered to resume at ${ready.offset}, outside the ${size}-byte file`);
  }
  // Resumes only onto bytes that are this file's own start: anyone who knows the SHA-256 can have uploaded them.
  const prefix = held === 0 ? ready.held : await fileSha256(local, held);
  const offset = Buffer.from(prefix).equals(ready.held) ? held : 0;
  const started = performance.now();
  const progress = createProgress({
    label: `put ${remote}`,
    total: size,
    start: offset,
    stream: io.stderr,
    env: io.env,
  });
  let sent = 0;
  // Read as the transport drains: the upload never holds more than a few chunks of the file in memory.
  async function* chunks(): AsyncGenerator<{ bytes: Uint8Array }> {
    if (offset >= size) return;
    for await (const bytes of createReadStream(local, { start: offset, end: size - 1, highWaterMark: CHUNK_BYTES })) {
      sent += (bytes as Buffer).length;
      progress.update(offset + sent);
      yield { bytes: bytes as Buffer };
    }
  }
  try {
    await client.upload(
      { path: remote, size: BigInt(size), sha256, offset: BigInt(offset), held: offset === 0 ? EMPTY_SHA256 : prefix },
      { chunks: chunks(), end: {} },
    );
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  io.stdout.write(`${formatSummary({ verb: 'put', name: remote, size, sent, seconds, resumedAt: offset })}\n`);
}

/** Where get writes: LOCAL, or REMOTE's name in the current directory, or inside LOCAL when it is a directory. */
async function downloadTarget(remote: string, local: string | undefined): Promise<string> {
  const name = posix.basename(remote);
  if (local === undefined) {
    if (name === '' || name === '.' || name === '..')
      throw new TransferFailed(`say where to write ${JSON.stringify(remote)}: get REMOTE LOCAL`);
    return name;
  }
  const existing = await stat(local).catch(() => undefined);
  return existing?.isDirectory() === true ? join(local, name) : local;
}

async function get(
  client: FileTransferClient,
  io: ProgramIO,
  remote: string,
  localArg: string | undefined,
): Promise<void> {
  const local = await downloadTarget(remote, localArg);
  // Next to the target, so the final rename stays on one file system and is atomic.
  const partial = join(dirname(local), `.${basename(local)}.part`);
  const held = await lstat(partial).catch(() => undefined);
  if (held !== undefined && !held.isFile()) throw new TransferFailed(`${partial} exists and is not a regular file`);
  const first = await download(client, io, remote, local, partial, held?.size ?? 0);
  // Bytes held from an older version of the file cannot make the new one: start over once.
  if (first === 'stale') await download(client, io, remote, local, partial, 0);
}

async function download(
  client: FileTransferClient,
  io: ProgramIO,
  remote: string,
  local: string,
  partial: string,
  offset: number,
): Promise<'done' | 'stale'> {
  let reply: Awaited<ReturnType<FileTransferClient['get']>>;
  try {
    reply = await client.get({ path: remote, offset: BigInt(offset) });
  } catch (error) {
    if (offset > 0 && error instanceof RemoteError && (error.reply as Failed).reason === 'offsetMismatch') {
      await unlink(partial);
      return 'stale';
    }
    throw error;
  }
  const size = Number(reply.size);
  if (Number(reply.offset) !== offset || size < offset) {
    throw new TransferFailed(
      `asked for ${remote} from ${offset}, the server sends from ${reply.offset} of ${reply.size} bytes`,
    );
  }
  const hash = createHash('sha256');
  const started = performance.now();
  const handle: FileHandle = await open(partial, offset === 0 ? 'w' : 'r+');
  const file = new BatchedFileWriter(handle, offset);
  let received = 0;
  try {
    await hashPrefix(handle, hash, offset);
    const progress = createProgress({
      label: `get ${remote}`,
      total: size,
      start: offset,
      stream: io.stderr,
      env: io.env,
    });
    try {
      for await (const chunk of reply.stream) {
        if (offset + received + chunk.bytes.length > size) {
          throw new TransferFailed(`the server sent more than the ${size} bytes it announced for ${remote}`);
        }
        await file.write(chunk.bytes);
        hash.update(chunk.bytes);
        received += chunk.bytes.length;
        progress.update(offset + received);
      }
      await reply.stream.end;
    } finally {
      // What arrived stays in the partial file for a resume, the connection broken or not.
      await file.flush().catch(() => undefined);
      progress.stop();
    }
    if (offset + received !== size) {
      throw new TransferFailed(`${remote} ended at ${offset + received} of ${size} bytes; run get again to resume`);
    }
    const actual = hash.digest();
    if (!actual.equals(reply.sha256)) {
      await handle.close();
      await unlink(partial);
      if (offset > 0) return 'stale';
      throw new TransferFailed(
        `checksum-mismatch: ${remote} has SHA-256 ${Buffer.from(reply.sha256).toString('hex')}, the bytes received ${actual.toString('hex')}`,
      );
    }
    await handle.sync();
  } finally {
    await handle.close().catch(() => undefined);
  }
  await rename(partial, local);
  const seconds = (performance.now() - started) / 1000;
  io.stdout.write(`${formatSummary({ verb: 'get', name: local, size, sent: received, seconds, resumedAt: offset })}\n`);
  return 'done';
}

/** Feeds the partial file's first `length` bytes to `hash`, one reused block at a time. */
async function hashPrefix(handle: FileHandle, hash: Hash, length: number): Promise<void> {
  const block = Buffer.allocUnsafe(Math.min(length, 1 << 20));
  let position = 0;
  while (position < length) {
    const { bytesRead } = await handle.read(block, 0, Math.min(block.length, length - position), position);
    if (bytesRead === 0) throw new TransferFailed(`the partial file ended at ${position} of ${length} bytes`);
    hash.update(block.subarray(0, bytesRead));
    position += bytesRead;
  }
}

async function list(client: FileTransferClient, io: ProgramIO, path: string): Promise<void> {
  const listing = await client.list({ path });
  for (const entry of listing.entries) {
    const size = entry.kind === 'file' ? String(entry.size) : '-';
    const name = entry.kind === 'directory' ? `${entry.name}/` : entry.name;
    io.stdout.write(`${entry.kind.padEnd(9)} ${size.padStart(14)}  ${entry.modified.toISOString()}  ${name}\n`);
  }
  if (listing.entries.length >= MAX_LISTING_ENTRIES) {
    io.stderr.write(
      `${CLIENT_NAME}: the server lists at most ${MAX_LISTING_ENTRIES} entries; the directory may hold more\n`,
    );
  }
}
