import cluster from 'node:cluster';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processes } from '@sockspec/concurrency';
import { describe, expect, it } from 'vitest';
import type { ServerOptions } from '../src/index.js';
import { type Started, startServer, tempDir } from './helpers/harness.js';
import { workProtocol } from './helpers/work-protocol.js';

const CLUSTER_SERVER = fileURLToPath(new URL('./fixtures/cluster-server.ts', import.meta.url));
// The workers run the fixture from TypeScript source, like the test itself.
const EXEC_ARGV = ['--conditions=development', '--import', 'tsx'];

interface ClusterConfig {
  readonly workers: number;
  readonly options?: ServerOptions;
  readonly maxConnections?: number;
  readonly overflow?: 'queue' | 'refuse';
  readonly maxRestarts?: number;
}

/** A primary in this process; its workers run the fixture program with the same options. */
function startCluster(config: ClusterConfig): Promise<Started> {
  const { workers, options = {}, maxConnections, overflow, maxRestarts } = config;
  const limits = {
    ...(maxConnections === undefined ? {} : { maxConnections }),
    ...(overflow === undefined ? {} : { overflow }),
  };
  return startServer(workProtocol(), {
    ...options,
    concurrency: processes({
      workers,
      exec: CLUSTER_SERVER,
      execArgv: EXEC_ARGV,
      args: [JSON.stringify({ ...options, ...limits })],
      restartDelayMs: 50,
      ...(maxRestarts === undefined ? {} : { maxRestarts }),
    }),
  });
}

/** The worker pids seen over `count` fresh connections. */
async function pidsOver(started: Started, count: number): Promise<Set<string>> {
  const pids = new Set<string>();
  for (let i = 0; i < count; i++) {
    const peer = await started.connect();
    const [pid] = String(await peer.request('where')).split(' ');
    pids.add(String(pid));
    peer.close();
  }
  return pids;
}

function liveWorkers(): number {
  return Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined && !worker.isDead()).length;
}

// Each test forks real processes that load TypeScript; a loaded CI machine needs headroom.
describe('processes', { timeout: 30_000 }, () => {
  const transports: Array<[string, () => ServerOptions]> = [
    ['tcp', () => ({ transport: 'tcp', port: 0 })],
    ['tcp6', () => ({ transport: 'tcp6', host: '::1', port: 0 })],
    ['unix', () => ({ transport: 'unix', path: join(tempDir(), 'cluster.sock') })],
  ];

  it.each(transports)('%s: N workers share one listener; port 0 is one port for all', async (kind, options) => {
    const started = await startCluster({ workers: 3, options: options() });
    const address = started.server.address!;
    expect(address.transport).toBe(kind);
    if (kind !== 'unix') expect(address.port).toBeGreaterThan(0);
    expect(liveWorkers()).toBe(3);
    // Cluster hands connections out round-robin: 12 connections reach all three.
    const pids = await pidsOver(started, 12);
    expect(pids.size).toBe(3);
    expect(pids.has(String(process.pid))).toBe(false);
    await started.server.shutdown({ drainMs: 2000 });
    expect(liveWorkers()).toBe(0);
  });

  it('replaces a crashed worker and keeps serving', async () => {
    const started = await startCluster({ workers: 2 });
    const before = await pidsOver(started, 4);
    expect(before.size).toBe(2);

    const victim = await started.connect();
    const [victimPid] = String(await victim.request('where')).split(' ');
    const replaced = once(cluster, 'listening');
    victim.send('crash');
    expect(await victim.nextLine()).toBeNull();
    await replaced;
    expect(started.logs).toEqual([
      expect.stringMatching(
        new RegExp(`^processes: worker \\d \\(pid ${victimPid}\\) exited with code 3; restarting in 50 ms$`),
      ),
    ]);
    expect(liveWorkers()).toBe(2);
    const after = await pidsOver(started, 4);
    expect(after.size).toBe(2);
    expect(after.has(String(victimPid))).toBe(false);
  });

  it('stops restarting a worker that keeps crashing (a crash loop); the others keep serving', async () => {
    const started = await startCluster({ workers: 2, maxRestarts: 1 });
    const original = await pidsOver(started, 2);
    expect(original.size).toBe(2);
    const first = await started.connect();
    const [firstPid] = String(await first.request('where')).split(' ');
    const replaced = once(cluster, 'listening');
    first.send('crash');
    await replaced;

    // Find the replacement: the pid neither original worker had.
    let replacement: Awaited<ReturnType<Started['connect']>> | undefined;
    for (let i = 0; i < 6 && replacement === undefined; i++) {
      const peer = await started.connect();
      const [pid] = String(await peer.request('where')).split(' ');
      if (!original.has(String(pid))) replacement = peer;
      else peer.close();
    }
    expect(replacement).toBeDefined();
    const [replacementPid] = String(await replacement!.request('where')).split(' ');
    replacement!.send('crash');
    await expect.poll(() => started.logs.length).toBe(2);
    expect(started.logs[0]).toMatch(
      new RegExp(`worker (\\d) \\(pid ${firstPid}\\) exited with code 3; restarting in 50 ms`),
    );
    expect(started.logs[1]).toMatch(
      new RegExp(
        `worker \\d \\(pid ${replacementPid}\\) exited with code 3; it crashed 2 times within 60000 ms, not restarting it`,
      ),
    );
    expect(liveWorkers()).toBe(1);
    const survivors = await pidsOver(started, 3);
    expect(survivors.size).toBe(1);
  });

  it('shutdown lets an in-flight request finish in its worker, then every worker exits', async () => {
    const started = await startCluster({ workers: 2 });
    const peer = await started.connect();
    peer.send('tick 300 done');
    expect(await peer.nextLine()).toBe('tick');
    const stopped = started.server.shutdown({ drainMs: 5000 });
    expect(await peer.nextLine()).toBe('done');
    await stopped;
    expect(liveWorkers()).toBe(0);
  });

  it('shutdown cuts off a request still running when drainMs runs out', async () => {
    const started = await startCluster({ workers: 1 });
    const peer = await started.connect();
    peer.send('tick 60000 never');
    expect(await peer.nextLine()).toBe('tick');
    const began = Date.now();
    await started.server.shutdown({ drainMs: 300 });
    expect(await peer.nextLine()).toBeNull();
    expect(Date.now() - began).toBeLessThan(5000);
    expect(liveWorkers()).toBe(0);
  });

  it.each(['queue', 'refuse'] as const)("maxConnections per worker with overflow '%s'", async (overflow) => {
    const started = await startCluster({ workers: 1, maxConnections: 1, overflow });
    const first = await started.connect();
    expect(await first.request('echo one')).toBe('one');
    const second = await started.connect();
    const reply = second.request('echo two');
    if (overflow === 'refuse') {
      expect(await reply).toBeNull();
      expect(await first.request('echo still')).toBe('still');
    } else {
      expect(await first.request('echo again')).toBe('again');
      first.socket.end();
      expect(await reply).toBe('two');
    }
  });

  it('backpressure holds in a worker: a peer that does not read stops its stream', async () => {
    const started = await startCluster({ workers: 1 });
    const reader = await started.connect();
    expect(await reader.request('streamed')).toBe('0');
    const stalled = await started.connect();
    stalled.socket.pause();
    const lines = 4000;
    const size = 16 * 1024;
    stalled.send(`stream ${lines} ${size}`);
    // Another connection to the same worker reports how far the stream got.
    const progress = async () => Number(await reader.request('streamed'));
    let last = -1;
    let now = await progress();
    while (now !== last) {
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 200));
      now = await progress();
    }
    expect(now).toBeGreaterThan(0);
    // 64 MiB asked for; what went out is what the socket buffers and the high-water mark hold.
    expect(now * size).toBeLessThan(16 * 1024 * 1024);
    stalled.socket.resume();
    for (let i = 0; i < lines; i++) expect((await stalled.nextLine())?.length).toBe(size);
  });

  it('handleOne() is refused in the primary, which serves nothing itself', async () => {
    const started = await startCluster({ workers: 1 });
    await expect(started.server.handleOne()).rejects.toThrow(
      /handleOne\(\) is not available under the processes model/,
    );
  });
});
