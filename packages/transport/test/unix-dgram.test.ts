import fs from 'node:fs/promises';
import path from 'node:path';
import { isSockspecError } from '@sockspec/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AddressInUseError,
  connect,
  type DatagramListener,
  formatUrl,
  listen,
  parseUrl,
  TransportUnavailableError,
} from '../src/index.js';
import { loadUnixDgram } from '../src/unix-dgram.js';
import { closedWith, Resources, until } from './harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

const text = (s: string) => new TextEncoder().encode(s);

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

describe('unix-dgram', () => {
  it('round-trips: the client binds its own path, the reply goes to it, both files are removed on close', async () => {
    const dir = await res.tempDir();
    const serverPath = path.join(dir, 's.sock');
    const clientPath = path.join(dir, 'c.sock');
    const listener = res.listener(await listen({ transport: 'unix-dgram', path: serverPath })) as DatagramListener;
    expect(listener.address.url).toBe(`unixgram://${serverPath}`);
    expect(parseUrl(listener.address.url)).toEqual({ transport: 'unix-dgram', path: serverPath });
    const peers: string[] = [];
    listener.onChannel((channel) => {
      peers.push(channel.remote.host);
      channel.onData((chunk) => channel.write(text(`re:${Buffer.from(chunk)}`)));
    });
    const client = res.channel(await connect({ ...parseUrl(listener.address.url), localPath: clientPath }));
    expect(client.local.url).toBe(`unixgram://${clientPath}`);
    expect(await exists(clientPath)).toBe(true);
    const got: string[] = [];
    client.onData((chunk) => got.push(Buffer.from(chunk).toString()));
    client.write(text('a'));
    client.write(text('b'));
    await until(() => got.length === 2, 'two replies');
    expect(got).toEqual(['re:a', 're:b']);
    expect(peers).toEqual([clientPath]);

    const closed = closedWith(client);
    client.destroy();
    await closed;
    expect(await exists(clientPath)).toBe(false);
    await listener.close();
    expect(await exists(serverPath)).toBe(false);
  });

  it('binds a fresh temp path for a client that names none', async () => {
    const dir = await res.tempDir();
    const listener = res.listener(await listen({ transport: 'unix-dgram', path: path.join(dir, 's.sock') }));
    const client = res.channel(await connect({ transport: 'unix-dgram', path: listener.address.host }));
    expect(client.local.host).toMatch(/sockspec-\d+-[0-9a-f]{8}\.sock$/);
    expect(await exists(client.local.host)).toBe(true);
    const closed = closedWith(client);
    client.end();
    await closed;
    expect(await exists(client.local.host)).toBe(false);
  });

  it('drops an oversize datagram with one log line and serves the next', async () => {
    const dir = await res.tempDir();
    const logs: string[] = [];
    const listener = res.listener(
      await listen({
        transport: 'unix-dgram',
        path: path.join(dir, 's.sock'),
        maxDatagramBytes: 16,
        transportLog: (line) => logs.push(line),
      }),
    ) as DatagramListener;
    listener.onChannel((channel) => channel.onData((chunk) => channel.write(chunk)));
    const clientPath = path.join(dir, 'c.sock');
    const client = res.channel(
      await connect({ transport: 'unix-dgram', path: listener.address.host, localPath: clientPath }),
    );
    const got: string[] = [];
    client.onData((chunk) => got.push(Buffer.from(chunk).toString()));
    client.write(new Uint8Array(17));
    client.write(text('fits'));
    await until(() => got.length === 1, 'the echo of the small datagram');
    expect(got).toEqual(['fits']);
    expect(logs).toEqual([
      `${listener.address.url}: dropped a datagram of 17 bytes from ${clientPath}: over maxDatagramBytes 16`,
    ]);
  });

  it('replaces a stale socket file, refuses a live one and a regular file', async () => {
    const dir = await res.tempDir();
    const file = path.join(dir, 's.sock');
    // A crashed process leaves its socket file behind with nobody bound to it.
    const crashed = loadUnixDgram().createSocket('unix_dgram');
    crashed.bind(file);
    crashed.close();
    const stale = await fs.lstat(file);
    expect(stale.isSocket()).toBe(true);
    const second = res.listener(await listen({ transport: 'unix-dgram', path: file }));
    await expect(listen({ transport: 'unix-dgram', path: file })).rejects.toThrow(AddressInUseError);
    const regular = path.join(dir, 'plain');
    await fs.writeFile(regular, 'x');
    await expect(listen({ transport: 'unix-dgram', path: regular })).rejects.toThrow(/is a regular file, not a socket/);
    expect(second.address.url).toBe(formatUrl({ transport: 'unix-dgram', path: file }));
  });

  it('a connect to a path nobody is bound to fails with ENOENT / ECONNREFUSED', async () => {
    const dir = await res.tempDir();
    const error = await connect({ transport: 'unix-dgram', path: path.join(dir, 'nobody.sock') }).catch(
      (e: unknown) => e,
    );
    expect(isSockspecError(error, 'SOCKSPEC_CONNECTION_CLOSED')).toBe(true);
    expect((error as Error).message).toMatch(/no socket file at that path \(ENOENT\)/);
  });

  it('names the package and how to install it when the addon cannot load', () => {
    const missing = () => {
      throw new Error("Cannot find module 'unix-dgram'\nRequire stack: …");
    };
    expect(() => loadUnixDgram(missing)).toThrow(TransportUnavailableError);
    expect(() => loadUnixDgram(missing)).toThrow(
      /transport unix-dgram needs the native addon from the npm package "unix-dgram", which could not be loaded \(Cannot find module 'unix-dgram'\)\. Install it with "pnpm add unix-dgram"/,
    );
  });
});

describe('unix-dgram peers that go away', () => {
  it('a reply to a client whose socket is gone closes only that peer channel, with the errno named', async () => {
    const dir = await res.tempDir();
    const listener = res.listener(
      await listen({ transport: 'unix-dgram', path: path.join(dir, 's.sock') }),
    ) as DatagramListener;
    const accepted = new Promise<import('../src/index.js').ByteChannel>((resolve) => listener.onChannel(resolve));
    const client = await connect({
      transport: 'unix-dgram',
      path: listener.address.host,
      localPath: path.join(dir, 'c.sock'),
    });
    client.write(text('hi'));
    const peer = await accepted;
    peer.onData(() => {});
    const clientClosed = closedWith(client);
    client.destroy();
    await clientClosed;
    const peerClosed = closedWith(peer);
    peer.write(text('anyone?'));
    const error = await peerClosed;
    expect(error).toMatchObject({
      code: 'SOCKSPEC_CONNECTION_CLOSED',
      syscallCode: expect.stringMatching(/ENOENT|ECONNREFUSED/),
    });
    expect(listener.peerCount).toBe(0);
  });
});
