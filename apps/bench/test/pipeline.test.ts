import { startMemcached } from '@sockspec/app-gallery';
import { createClient } from '@sockspec/protocol-memcached';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandWrittenMemcachedClient } from '../src/hand-written-memcached.js';
import { formatPipelineResults, measurePipeline } from '../src/pipeline.js';

// A real memcached -B binary on a free loopback port, stopped by its pid.
let server: Awaited<ReturnType<typeof startMemcached>>;
beforeAll(async () => {
  server = await startMemcached(16);
});
afterAll(async () => {
  await server.stop();
});

describe('bench pipeline', () => {
  it('the hand-written baseline gets what the generated client stored, pipelined and paired by opaque', async () => {
    const typed = await createClient({ host: server.host, port: server.port });
    const value = new TextEncoder().encode('a value both clients read');
    await typed.set({ key: 'baseline', extras: { flags: 0, expiration: 0 }, value });
    await typed.close();
    const client = await HandWrittenMemcachedClient.connect(server.host, server.port);
    try {
      const replies = await Promise.all(Array.from({ length: 200 }, () => client.get('baseline')));
      for (const reply of replies) {
        expect(reply.status).toBe(0);
        expect(new Uint8Array(reply.value)).toEqual(value);
      }
      expect((await client.get('no-such-key')).status).toBe(1);
    } finally {
      client.close();
    }
  });

  it('measures all three clients over several connections and prints both ratios', async () => {
    const results = await measurePipeline(server.host, server.port, { connections: 3, requests: 100, rounds: 1 });
    expect(results.map((result) => result.client)).toEqual(['sockspec', 'hand-written node:net', 'bytes only']);
    for (const result of results) expect(result.perSecond).toBeGreaterThan(0);
    expect(formatPipelineResults(results)).toMatch(
      /ratio 3 connections × 100 in flight: sockspec \/ hand-written \d+\.\d\d, sockspec \/ bytes only \d+\.\d\d/,
    );
  });
});
