import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { createProtocolServer, type ProtocolServer, type ServerOptions, type ServerProtocol } from '../../src/index.js';
import { TestPeer } from './peer.js';

export interface Started {
  readonly server: ProtocolServer;
  readonly logs: string[];
  /** `localAddress`: connect from this loopback IP (127.0.0.2, …) to be another peer address. */
  connect(localAddress?: string): Promise<TestPeer>;
}

const servers: ProtocolServer[] = [];
const peers: TestPeer[] = [];
const tempDirs: string[] = [];
const processFaults: unknown[] = [];

const onFault = (error: unknown) => processFaults.push(error);
process.on('unhandledRejection', onFault);
process.on('uncaughtException', onFault);

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close();
  await Promise.all(servers.splice(0).map((server) => server.shutdown({ drainMs: 200 })));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  // The engine promises that no peer can crash the process.
  expect(processFaults.splice(0)).toEqual([]);
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockspec-server-'));
  tempDirs.push(dir);
  return dir;
}

/** Creates a server whose log lines are collected, registered for cleanup. */
export function createServer<Incoming>(protocol: ServerProtocol<Incoming>, options: ServerOptions = {}) {
  const logs: string[] = [];
  const server = createProtocolServer(protocol, { log: (line) => logs.push(line), ...options });
  servers.push(server);
  return {
    server,
    logs,
    connect: (localAddress?: string) => connectPeer(server, localAddress),
  };
}

/** Creates and starts listening. */
export async function startServer<Incoming>(
  protocol: ServerProtocol<Incoming>,
  options: ServerOptions = {},
): Promise<Started> {
  const started = createServer(protocol, options);
  await started.server.listen();
  return started;
}

export async function connectPeer(server: ProtocolServer, localAddress?: string): Promise<TestPeer> {
  const address = server.address;
  if (address === null) throw new Error('test: server is not listening');
  const peer = await TestPeer.connect(address, localAddress);
  peers.push(peer);
  return peer;
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits until `read()` has not changed for `quietMs`. Used only where the
 * thing asserted is that something stopped happening, which has no event.
 */
export async function settled(read: () => number, quietMs = 200, maxMs = 10_000): Promise<number> {
  const started = Date.now();
  let last = read();
  let lastChange = Date.now();
  while (Date.now() - lastChange < quietMs) {
    if (Date.now() - started > maxMs) throw new Error(`test: value kept changing for ${maxMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = read();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
  }
  return last;
}
