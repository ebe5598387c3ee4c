import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressInUseError, connect, InvalidAddressError, listen } from '../src/index.js';
import { nextChannel, Resources, readBytes } from './harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

async function echoOnce(socketPath: string): Promise<void> {
  const client = res.channel(await connect({ transport: 'unix', path: socketPath }));
  const reply = readBytes(client, 2);
  client.write(Uint8Array.of(1, 2));
  expect([...(await reply)]).toEqual([1, 2]);
}

async function listenEcho(socketPath: string, socketMode?: number) {
  const listener = res.listener(
    await listen({ transport: 'unix', path: socketPath, ...(socketMode === undefined ? {} : { socketMode }) }),
  );
  listener.onChannel((channel) => channel.onData((chunk) => channel.write(chunk)));
  return listener;
}

describe('unix socket files', () => {
  it('replaces a stale socket file nobody listens on', async () => {
    const dir = await res.tempDir();
    const live = path.join(dir, 'live.sock');
    const stale = path.join(dir, 'stale.sock');
    // A second name for a bound socket outlives the listener: exactly what a
    // crashed server leaves behind.
    const first = res.listener(await listen({ transport: 'unix', path: live }));
    await fs.link(live, stale);
    await first.close();
    expect((await fs.lstat(stale)).isSocket()).toBe(true);
    await expect(connect({ transport: 'unix', path: stale })).rejects.toMatchObject({
      code: 'SOCKSPEC_CONNECTION_CLOSED',
      syscallCode: 'ECONNREFUSED',
    });

    const listener = await listenEcho(stale);
    expect(listener.address.url).toBe(`unix://${stale}`);
    await echoOnce(stale);
  });

  it('refuses a path another listener is using, naming the path', async () => {
    const socketPath = path.join(await res.tempDir(), 'busy.sock');
    await listenEcho(socketPath);
    const attempt = listen({ transport: 'unix', path: socketPath });
    await expect(attempt).rejects.toBeInstanceOf(AddressInUseError);
    await expect(attempt).rejects.toMatchObject({ code: 'SOCKSPEC_ADDRESS_IN_USE' });
    await expect(attempt).rejects.toThrow(socketPath);
    // The first listener is untouched and still serving.
    await echoOnce(socketPath);
  });

  it('never replaces a path that is not a socket', async () => {
    const dir = await res.tempDir();
    const file = path.join(dir, 'important.txt');
    await fs.writeFile(file, 'keep me');
    const attempt = listen({ transport: 'unix', path: file });
    await expect(attempt).rejects.toMatchObject({ code: 'SOCKSPEC_ADDRESS_IN_USE' });
    await expect(attempt).rejects.toThrow(/is a regular file, not a socket/);
    expect(await fs.readFile(file, 'utf8')).toBe('keep me');

    const sub = path.join(dir, 'subdir');
    await fs.mkdir(sub);
    await expect(listen({ transport: 'unix', path: sub })).rejects.toThrow(/is a directory, not a socket/);
    expect((await fs.lstat(sub)).isDirectory()).toBe(true);
  });

  it('applies socketMode to the socket file', async () => {
    const dir = await res.tempDir();
    const a = path.join(dir, 'a.sock');
    const b = path.join(dir, 'b.sock');
    await listenEcho(a, 0o600);
    await listenEcho(b, 0o660);
    expect((await fs.stat(a)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(b)).mode & 0o777).toBe(0o660);
    await echoOnce(a);
  });

  it('removes its socket file on close and leaves accepted channels open', async () => {
    const socketPath = path.join(await res.tempDir(), 'gone.sock');
    const listener = res.listener(await listen({ transport: 'unix', path: socketPath }));
    const accepted = nextChannel(listener);
    const client = res.channel(await connect({ transport: 'unix', path: socketPath }));
    const server = await accepted;
    await listener.close();
    await expect(fs.lstat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
    const reply = readBytes(client, 3);
    server.write(new TextEncoder().encode('hi!'));
    expect((await reply).toString()).toBe('hi!');
    await listener.close();
  });

  it('resolves relative paths and rejects paths over the OS limit before binding', async () => {
    const dir = await res.tempDir();
    const long = path.join(dir, 'x'.repeat(120));
    await expect(listen({ transport: 'unix', path: long })).rejects.toBeInstanceOf(InvalidAddressError);
    await expect(fs.lstat(long)).rejects.toMatchObject({ code: 'ENOENT' });

    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const listener = res.listener(await listen({ transport: 'unix', path: 'rel.sock' }));
      expect(listener.address.host).toBe(path.join(await fs.realpath(dir), 'rel.sock'));
    } finally {
      process.chdir(cwd);
    }
  });
});
