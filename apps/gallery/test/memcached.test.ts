/**
 * specs/memcached.protocol.yaml against the real memcached (`memcached -B
 * binary`, Debian's memcached 1.6): the generated client's calls read like
 * the protocol's documentation, and every byte it sends is what the server
 * expects.
 */
import { createClient, type MemcachedClient } from '@sockspec/protocol-memcached';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealServer, startMemcached } from '../src/index.js';

let server: RealServer;
let mc: MemcachedClient;
const text = new TextEncoder();
const bytes = (value: string): Uint8Array => text.encode(value);
const noExtras = { flags: 0, expiration: 0 };
/** Keys are unique per run, so a test never sees another's items. */
const key = (name: string): string => `sockspec-${process.pid}-${name}`;
/** A reply whose status is ok, narrowed to that case of its union (its value, extras or counter); fails the test otherwise. */
function ok<Reply extends { readonly status: string }>(reply: Reply): Reply & { readonly status: 'ok' } {
  expect(reply.status).toBe('ok');
  return reply as Reply & { readonly status: 'ok' };
}

beforeAll(async () => {
  server = await startMemcached();
  mc = await createClient({ host: server.host, port: server.port });
});

afterAll(async () => {
  await mc?.close();
  await server?.stop();
});

describe('memcached binary protocol, against memcached -B binary', () => {
  it('VERSION and NOOP', async () => {
    const version = await mc.version();
    expect(version.status).toBe('ok');
    expect(version.version).toMatch(/^1\.6\.\d+/);
    expect((await mc.noop()).status).toBe('ok');
  });

  it('SET then GET returns the value, its flags and a CAS; a miss is keyNotFound', async () => {
    const stored = await mc.set({ key: key('a'), extras: { flags: 0xdeadbeef, expiration: 0 }, value: bytes('hello') });
    expect(stored.status).toBe('ok');
    expect(stored.cas).toBeGreaterThan(0n);
    const hit = ok(await mc.get({ key: key('a') }));
    expect(hit).toMatchObject({ type: 'GetResult', status: 'ok', cas: stored.cas });
    expect(Buffer.from(hit.value).toString()).toBe('hello');
    expect(hit.extras).toEqual({ flags: 0xdeadbeef });
    // The status chose the body's layout: a miss has the error text, and TypeScript knows it has no value.
    const miss = await mc.get({ key: key('never-set') });
    if (miss.status === 'ok') throw new Error('expected a miss');
    expect(miss.status).toBe('keyNotFound');
    expect(miss.error).toBe('Not found');
    expect('value' in miss && miss.value !== undefined).toBe(false);
  });

  it('ADD only when absent, REPLACE only when present, DELETE removes', async () => {
    expect((await mc.add({ key: key('b'), extras: noExtras, value: bytes('1') })).status).toBe('ok');
    const again = await mc.add({ key: key('b'), extras: noExtras, value: bytes('2') });
    if (again.status === 'ok') throw new Error('expected keyExists');
    expect(again.status).toBe('keyExists');
    expect(again.error).toBe('Data exists for key.');
    expect((await mc.replace({ key: key('b'), extras: noExtras, value: bytes('3') })).status).toBe('ok');
    expect((await mc.replace({ key: key('c'), extras: noExtras, value: bytes('x') })).status).toBe('keyNotFound');
    expect((await mc.delete({ key: key('b') })).status).toBe('ok');
    expect((await mc.get({ key: key('b') })).status).toBe('keyNotFound');
    expect((await mc.delete({ key: key('b') })).status).toBe('keyNotFound');
  });

  it('CAS: a SET with the current CAS wins, with a stale one gets keyExists', async () => {
    const first = await mc.set({ key: key('cas'), extras: noExtras, value: bytes('v1') });
    const second = await mc.set({ key: key('cas'), extras: noExtras, value: bytes('v2'), cas: first.cas });
    expect(second.status).toBe('ok');
    const stale = await mc.set({ key: key('cas'), extras: noExtras, value: bytes('v3'), cas: first.cas });
    expect(stale.status).toBe('keyExists');
    expect(Buffer.from(ok(await mc.get({ key: key('cas') })).value).toString()).toBe('v2');
  });

  it('INCREMENT and DECREMENT start at initial, then count; a non-numeric value is nonNumeric', async () => {
    // On success the body is the counter as a u64; otherwise it is the error text.
    const extras = { delta: 5n, initial: 10n, expiration: 0 };
    expect(ok(await mc.increment({ key: key('n'), extras })).value).toBe(10n);
    expect(ok(await mc.increment({ key: key('n'), extras })).value).toBe(15n);
    expect(ok(await mc.decrement({ key: key('n'), extras: { ...extras, delta: 20n } })).value).toBe(0n);
    await mc.set({ key: key('word'), extras: noExtras, value: bytes('abc') });
    const word = await mc.increment({ key: key('word'), extras });
    expect(word).toMatchObject({ status: 'nonNumeric', error: 'Non-numeric server-side value for incr or decr' });
  });

  it('pairs 200 pipelined requests with their replies by opaque', async () => {
    const keys = Array.from({ length: 200 }, (_, index) => key(`p${index}`));
    await Promise.all(keys.map((name, index) => mc.set({ key: name, extras: noExtras, value: bytes(String(index)) })));
    const values = await Promise.all(keys.map((name) => mc.get({ key: name })));
    expect(values.map((value) => Buffer.from(ok(value).value).toString())).toEqual(
      keys.map((_, index) => String(index)),
    );
  });

  it('STAT answers with many replies, iterated as they come or collected', async () => {
    const stats = new Map<string, string>();
    for await (const stat of mc.stat({ group: '' })) stats.set(stat.key, stat.value);
    expect(stats.get('pid')).toMatch(/^\d+$/);
    expect(stats.get('version')).toMatch(/^1\.6\./);
    expect(stats.size).toBeGreaterThan(40);
    const settings = await mc.stat({ group: 'settings' }).all();
    expect(settings.find((stat) => stat.key === 'binding_protocol')?.value).toBe('binary');
    // The same connection goes on answering in order after a many-reply request.
    expect((await mc.noop()).status).toBe('ok');
  });

  it('GETQ and GETKQ: hits resolve with their reply, misses with undefined once the NOOP the client sends returns', async () => {
    await mc.set({ key: key('q1'), extras: noExtras, value: bytes('one') });
    await mc.set({ key: key('q3'), extras: noExtras, value: bytes('three') });
    const names = ['q1', 'q2', 'q3', 'q4'].map(key);
    const values = await Promise.all(names.map((name) => mc.getQ({ key: name })));
    expect(values.map((value) => (value === undefined ? undefined : Buffer.from(ok(value).value).toString()))).toEqual([
      'one',
      undefined,
      'three',
      undefined,
    ]);
    const withKeys = await Promise.all(names.map((name) => mc.getKQ({ key: name })));
    expect(withKeys.map((value) => value?.key)).toEqual([names[0], undefined, names[2], undefined]);
    const getK = await mc.getK({ key: names[0]! });
    expect(getK).toMatchObject({ status: 'ok', key: names[0] });
  });

  it('stores and reads back a 1 MB value; a key with a space is refused before anything is sent', async () => {
    const big = new Uint8Array(1_000_000).map((_, index) => index % 251);
    expect((await mc.set({ key: key('big'), extras: noExtras, value: big })).status).toBe('ok');
    expect(Buffer.from(ok(await mc.get({ key: key('big') })).value).equals(Buffer.from(big))).toBe(true);
    await expect(mc.get({ key: 'has space' })).rejects.toMatchObject({ code: 'SOCKSPEC_INVALID_FIELD' });
  });
});
