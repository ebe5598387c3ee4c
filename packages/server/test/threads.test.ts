import { type ConcurrencyModel, eventLoop, threads } from '@sockspec/concurrency';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '../src/index.js';
import { settled, startServer } from './helpers/harness.js';
import type { TestPeer } from './helpers/peer.js';
import { workProtocol } from './helpers/work-protocol.js';

const WORK_MODULE = new URL('./fixtures/work-module.ts', import.meta.url);
const BURN_MS = 400;

const models: ConcurrencyModel[] = [];
afterEach(async () => {
  await Promise.all(models.splice(0).map((model) => model.close()));
});

function threadModel(options: { size?: number; maxConnections?: number; overflow?: 'queue' | 'refuse' } = {}) {
  const model = threads({ size: 2, ...options, module: WORK_MODULE });
  models.push(model);
  return model;
}

/**
 * Peer A asks for a CPU-heavy reply, then peer B for a cheap one. Returns the
 * order the replies arrived in and B's latency.
 */
async function slowThenFast(a: TestPeer, b: TestPeer): Promise<{ order: string[]; fastMs: number }> {
  const order: string[] = [];
  // The burn request is on the wire (handed to the kernel) before B asks.
  await new Promise<void>((resolve) => a.socket.write(`burn ${BURN_MS} slow\n`, () => resolve()));
  const slow = a.nextLine().then((line) => order.push(String(line)));
  const asked = Date.now();
  const fast = b.request('echo fast').then((line) => {
    order.push(String(line));
    return Date.now() - asked;
  });
  const [, fastMs] = await Promise.all([slow, fast]);
  return { order, fastMs };
}

describe('threads', { timeout: 20_000 }, () => {
  it('answers a second client while a CPU-heavy handler runs; the event loop model stalls it', async () => {
    const threaded = await startServer(workProtocol(), { concurrency: threadModel() });
    const a = await threaded.connect();
    const b = await threaded.connect();
    // Both workers started and loaded the module: startup is not what is measured.
    expect(await a.request('echo warm')).toBe('warm');
    expect(await b.request('echo warm')).toBe('warm');
    const underThreads = await slowThenFast(a, b);
    expect(underThreads.order).toEqual(['fast', 'slow']);
    expect(underThreads.fastMs).toBeLessThan(BURN_MS);

    const inline = await startServer(workProtocol(), { concurrency: eventLoop() });
    const c = await inline.connect();
    const d = await inline.connect();
    const underAsync = await slowThenFast(c, d);
    // The contrast is the evidence: inline, the cheap reply waits for the burn.
    expect(underAsync.order).toEqual(['slow', 'fast']);
    expect(underAsync.fastMs).toBeGreaterThanOrEqual(BURN_MS / 2);
  });

  it('pins a connection to one worker, so per-connection state persists', async () => {
    const { connect } = await startServer(workProtocol(), { concurrency: threadModel() });
    const a = await connect();
    const b = await connect();
    const first = await a.request('count');
    const [count, thread] = String(first).split(' ');
    expect(count).toBe('1');
    expect(await b.request('count')).toMatch(/^1 \d+$/);
    expect(await a.request('count')).toBe(`2 ${thread}`);
    expect(await a.request('count')).toBe(`3 ${thread}`);
    // Two connections, two workers: the least loaded one takes the next connection.
    expect(await b.request('where')).not.toBe(await a.request('where'));
  });

  it('keeps replies in request order per connection', async () => {
    const { connect } = await startServer(workProtocol(), { concurrency: threadModel() });
    const peer = await connect();
    peer.sendRaw(Array.from({ length: 200 }, (_, i) => `echo ${i}\n`).join(''));
    for (let i = 0; i < 200; i++) expect(await peer.nextLine()).toBe(String(i));
  });

  it('a handler that throws in a worker costs one log line and its connection; others are served', async () => {
    const { connect, logs } = await startServer(workProtocol(), { concurrency: threadModel() });
    const a = await connect();
    const b = await connect();
    expect(await b.request('echo before')).toBe('before');
    a.send('throw');
    expect(await a.nextLine()).toBeNull();
    await a.closed;
    expect(logs).toEqual([
      expect.stringMatching(/^work: 127\.0\.0\.1:\d+: handler failed: Error: handler exploded; closing connection$/),
    ]);
    expect(await b.request('echo after')).toBe('after');
  });

  it('bad input decoded in the worker gets the error frame and one log line', async () => {
    const { connect, logs } = await startServer(workProtocol(), { concurrency: threadModel() });
    const peer = await connect();
    expect(await peer.request('nonsense')).toBe('ERR SOCKSPEC_UNKNOWN_MESSAGE');
    await peer.closed;
    expect(logs).toEqual([
      expect.stringContaining("SOCKSPEC_UNKNOWN_MESSAGE work: unknown request 'nonsense'; closing connection"),
    ]);
  });

  it('a crashed worker is replaced; its connections are closed with a log line, others keep being served', async () => {
    const { connect, logs } = await startServer(workProtocol(), { concurrency: threadModel({ size: 2 }) });
    const a = await connect();
    const b = await connect();
    const idle = await connect(); // pinned to the same worker as a (least loaded, round two)
    const [, aThread] = String(await a.request('where')).split(' ');
    const [, bThread] = String(await b.request('where')).split(' ');
    const [, idleThread] = String(await idle.request('where')).split(' ');
    expect(aThread).not.toBe(bThread);
    expect(idleThread).toBe(aThread);

    a.send('crash');
    expect(await a.nextLine()).toBeNull();
    expect(await idle.nextLine()).toBeNull();
    await expect.poll(() => logs.length).toBe(2);
    for (const line of logs) expect(line).toMatch(/SOCKSPEC_WORKER_FAILED threads: worker thread \d exited \(code 3\)/);
    expect(await b.request('echo still here')).toBe('still here');

    const c = await connect();
    const [, cThread] = String(await c.request('where')).split(' ');
    expect(cThread).not.toBe(aThread);
    expect(await c.request('count')).toMatch(/^1 /);
  });

  it('backpressure holds across the thread boundary: a peer that does not read stops the stream', async () => {
    let served: Connection | null = null;
    const { connect } = await startServer(workProtocol(), {
      concurrency: threadModel(),
      hooks: {
        setup: (connection) => {
          served = connection;
        },
      },
    });
    const peer = await connect();
    // The worker is up, so the quiet spell below is the stall, not its startup.
    expect(await peer.request('echo warm')).toBe('warm');
    peer.socket.pause();
    const lines = 2000;
    const size = 16 * 1024;
    peer.send(`stream ${lines} ${size}`);
    // 32 MiB if the worker's sends were buffered without bound.
    const stalledAt = await settled(() => served?.pendingWriteBytes ?? -1);
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(8 * size + 64 * 1024);
    peer.socket.resume();
    for (let i = 0; i < lines; i++) expect((await peer.nextLine())?.length).toBe(size);
  });

  it('a module without a protocol export fails each connection with a clear log line', async () => {
    const model = threads({ size: 1, module: new URL('./helpers/peer.ts', import.meta.url) });
    models.push(model);
    const { connect, logs } = await startServer(workProtocol(), { concurrency: model });
    const peer = await connect();
    expect(await peer.request('echo hi')).toBeNull();
    expect(logs).toEqual([
      expect.stringMatching(
        /handler failed: SOCKSPEC_WORKER_FAILED threads: worker thread 0 could not load the handler module: .*peer\.ts must export a server protocol \(decode, dispatch\) as 'default' or 'protocol'/,
      ),
    ]);
  });

  it('rejects options that cannot work', () => {
    expect(() => threads({ size: 0, module: WORK_MODULE })).toThrow(/size must be a whole number/);
    expect(() => threads({ module: 'relative/path.js' })).toThrow(/URL or an absolute path/);
  });
});
