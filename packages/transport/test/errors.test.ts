import { Worker } from 'node:worker_threads';
import { isSockspecError } from '@sockspec/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AddressInUseError,
  type ByteChannel,
  ConnectionClosedError,
  ConnectTimeoutError,
  connect,
  InvalidAddressError,
  listen,
  UnsupportedTransportError,
} from '../src/index.js';
import { Resources } from './harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

/**
 * A loopback listener that never calls accept(): a worker thread binds with
 * backlog 1 and then blocks its own event loop, so once the kernel's accept
 * queue is full further SYNs are dropped and connects hang — a real timeout
 * without leaving loopback.
 */
async function startNonAcceptingListener(): Promise<number> {
  const gate = new SharedArrayBuffer(4);
  const worker = new Worker(
    `
    const net = require('node:net');
    const { parentPort, workerData } = require('node:worker_threads');
    const server = net.createServer();
    server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
      parentPort.postMessage(server.address().port);
      // Block this thread's loop inside the listening callback, before libuv
      // ever polls the listening socket for connections.
      Atomics.wait(new Int32Array(workerData), 0, 0);
    });
    `,
    { eval: true, workerData: gate },
  );
  res.defer(async () => {
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    await worker.terminate();
  });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('connect errors', () => {
  it('times out with SOCKSPEC_CONNECT_TIMEOUT when the listener accepts nothing', async () => {
    const port = await startNonAcceptingListener();
    const connected: ByteChannel[] = [];
    let failure: unknown;
    // The first one or two connections fit in the accept queue; the bound keeps
    // a broken timeout from turning into an endless loop.
    for (let attempt = 0; attempt < 8 && failure === undefined; attempt++) {
      try {
        connected.push(res.channel(await connect({ transport: 'tcp', port, connectTimeoutMs: 200 })));
      } catch (err) {
        failure = err;
      }
    }
    expect(connected.length).toBeGreaterThanOrEqual(1);
    expect(failure).toBeInstanceOf(ConnectTimeoutError);
    expect(isSockspecError(failure, 'SOCKSPEC_CONNECT_TIMEOUT')).toBe(true);
    expect((failure as Error).message).toBe(`could not connect to tcp://127.0.0.1:${port} within 200 ms`);
  });

  it('reports a refused connection with the URL, the OS code and the cause', async () => {
    const listener = await listen({ transport: 'tcp' });
    const { port } = listener.address;
    await listener.close();
    const err = await connect({ transport: 'tcp', port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err).toMatchObject({
      code: 'SOCKSPEC_CONNECTION_CLOSED',
      syscallCode: 'ECONNREFUSED',
      url: `tcp://127.0.0.1:${port}`,
    });
    expect((err as Error).message).toBe(
      `could not connect to tcp://127.0.0.1:${port}: connection refused (ECONNREFUSED): nothing is listening there`,
    );
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('reports a missing unix socket file', async () => {
    const path = `${await res.tempDir()}/nobody.sock`;
    await expect(connect({ transport: 'unix', path })).rejects.toMatchObject({
      code: 'SOCKSPEC_CONNECTION_CLOSED',
      syscallCode: 'ENOENT',
      message: `could not connect to unix://${path}: no socket file at that path (ENOENT)`,
    });
  });

  it('validates options before touching the network', async () => {
    await expect(connect({ transport: 'tcp', port: 0 })).rejects.toThrow(InvalidAddressError);
    await expect(connect({ transport: 'tcp', port: 70000 })).rejects.toThrow(/expected 1–65535/);
    await expect(connect({ transport: 'tcp', host: '::1', port: 1 })).rejects.toThrow(/use transport tcp6/);
    await expect(connect({ transport: 'tcp6', host: '127.0.0.1', port: 1 })).rejects.toThrow(/use transport tcp$/);
    await expect(connect({ transport: 'unix' })).rejects.toThrow(/needs a socket path/);
    await expect(connect({ transport: 'tcp', port: 1, connectTimeoutMs: 0 })).rejects.toThrow(/connectTimeoutMs/);
    await expect(connect({ transport: 'sctp' as 'tcp', port: 1 })).rejects.toThrow(UnsupportedTransportError);
    await expect(connect({ transport: 'tcp', port: 1, writeHighWaterMark: 0 })).rejects.toThrow(/writeHighWaterMark/);
  });
});

describe('listen errors', () => {
  it('reports a taken port as SOCKSPEC_ADDRESS_IN_USE', async () => {
    const first = res.listener(await listen({ transport: 'tcp' }));
    const err = await listen({ transport: 'tcp', port: first.address.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AddressInUseError);
    expect(err).toMatchObject({ code: 'SOCKSPEC_ADDRESS_IN_USE', url: first.address.url });
    expect((err as Error).message).toBe(`cannot listen on ${first.address.url}: address already in use`);
    expect((err as Error).cause).toMatchObject({ code: 'EADDRINUSE' });
  });

  it('rejects options that do not fit the transport', async () => {
    await expect(listen({ transport: 'tcp', socketMode: 0o600 })).rejects.toThrow(/socketMode applies to unix/);
    await expect(listen({ transport: 'tcp', ipv6Only: true })).rejects.toThrow(/ipv6Only applies to tcp6/);
    await expect(listen({ transport: 'tcp', backlog: 0 })).rejects.toThrow(/backlog/);
    await expect(listen({ transport: 'tcp', port: -1 })).rejects.toThrow(/invalid port -1/);
  });
});
