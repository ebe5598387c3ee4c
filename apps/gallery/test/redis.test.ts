/**
 * specs/redis.protocol.yaml against the real redis-server (Debian's Redis 7):
 * every command goes out as a RESP2 array of bulk strings, and every reply
 * type comes back typed: simple, error, integer, bulk, nil, arrays (nested
 * too) and the nil array.
 */
import { createClient, type RedisClient } from '@sockspec/protocol-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealServer, startRealServer } from '../src/index.js';

let server: RealServer;
let redis: RedisClient;
const text = (value: Uint8Array): string => Buffer.from(value).toString();
/** Keys are unique per run, so a test never sees another's data. */
const key = (name: string): string => `sockspec-${process.pid}-${name}`;

beforeAll(async () => {
  server = await startRealServer({
    command: 'redis-server',
    // No config file, no persistence, loopback only: a throwaway server for this file.
    args: ['--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    debianPackage: 'redis-server',
  });
  redis = await createClient({ host: server.host, port: server.port });
});

afterAll(async () => {
  await redis?.close();
  await server?.stop();
});

describe('Redis RESP2, against redis-server', () => {
  it('PING answers a simple string; ECHO a bulk string', async () => {
    expect(await redis.command({ args: ['PING'] })).toEqual({ type: 'SimpleString', text: 'PONG' });
    const echoed = await redis.command({ args: ['ECHO', 'hello\r\nworld'] });
    expect(echoed.type).toBe('BulkString');
    if (echoed.type === 'BulkString') expect(text(echoed.value)).toBe('hello\r\nworld');
  });

  it('SET then GET; a missing key is the nil bulk string', async () => {
    expect(await redis.command({ args: ['SET', key('a'), 'v1'] })).toEqual({ type: 'SimpleString', text: 'OK' });
    const got = await redis.command({ args: ['GET', key('a')] });
    expect(got.type === 'BulkString' && text(got.value)).toBe('v1');
    expect(await redis.command({ args: ['GET', key('missing')] })).toEqual({ type: 'NilBulk' });
  });

  it('a stored value that looks like a reply ("+OK", "$3") comes back as data', async () => {
    await redis.command({ args: ['SET', key('tricky'), '+OK\r\n$3\r\n'] });
    const got = await redis.command({ args: ['GET', key('tricky')] });
    expect(got.type === 'BulkString' && text(got.value)).toBe('+OK\r\n$3\r\n');
    expect(await redis.command({ args: ['PING'] })).toEqual({ type: 'SimpleString', text: 'PONG' });
  });

  it('INCR and DEL answer integers, as bigints', async () => {
    expect(await redis.command({ args: ['INCR', key('n')] })).toEqual({ type: 'Integer', value: 1n });
    expect(await redis.command({ args: ['INCRBY', key('n'), '41'] })).toEqual({ type: 'Integer', value: 42n });
    expect(await redis.command({ args: ['DECRBY', key('n'), '100'] })).toEqual({ type: 'Integer', value: -58n });
    expect(await redis.command({ args: ['DEL', key('n'), key('missing')] })).toEqual({ type: 'Integer', value: 1n });
  });

  it('a wrong command is an error reply, and the connection goes on', async () => {
    const reply = await redis.command({ args: ['NOSUCHCOMMAND', 'x'] });
    expect(reply.type).toBe('ErrorReply');
    if (reply.type === 'ErrorReply') expect(reply.text).toMatch(/^ERR unknown command/);
    await redis.command({ args: ['SET', key('s'), 'string'] });
    const wrongType = await redis.command({ args: ['LPUSH', key('s'), 'x'] });
    expect(wrongType.type === 'ErrorReply' && wrongType.text).toMatch(/^WRONGTYPE/);
    expect(await redis.command({ args: ['PING'] })).toEqual({ type: 'SimpleString', text: 'PONG' });
  });

  it('LRANGE answers an array of bulk strings; an empty list an empty array', async () => {
    await redis.command({ args: ['RPUSH', key('list'), 'a', 'b', 'c'] });
    const range = await redis.command({ args: ['LRANGE', key('list'), '0', '-1'] });
    expect(range.type).toBe('ArrayReply');
    if (range.type !== 'ArrayReply') return;
    expect(range.items.map((item) => (item.type === 'BulkString' ? text(item.value) : item.type))).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(await redis.command({ args: ['LRANGE', key('none'), '0', '-1'] })).toEqual({
      type: 'ArrayReply',
      items: [],
    });
  });

  it('MGET mixes bulk strings and nils in one array', async () => {
    await redis.command({ args: ['SET', key('m1'), 'one'] });
    const reply = await redis.command({ args: ['MGET', key('m1'), key('missing')] });
    expect(reply.type === 'ArrayReply' && reply.items.map((item) => item.type)).toEqual(['BulkString', 'NilBulk']);
  });

  it('EXEC answers an array of the queued commands’ replies; SCAN nests an array in an array', async () => {
    expect(await redis.command({ args: ['MULTI'] })).toEqual({ type: 'SimpleString', text: 'OK' });
    expect(await redis.command({ args: ['SET', key('tx'), '1'] })).toEqual({ type: 'SimpleString', text: 'QUEUED' });
    expect(await redis.command({ args: ['INCR', key('tx')] })).toEqual({ type: 'SimpleString', text: 'QUEUED' });
    const exec = await redis.command({ args: ['EXEC'] });
    expect(exec).toEqual({
      type: 'ArrayReply',
      items: [
        { type: 'SimpleString', text: 'OK' },
        { type: 'Integer', value: 2n },
      ],
    });
    const scan = await redis.command({ args: ['SCAN', '0', 'MATCH', key('tx'), 'COUNT', '1000'] });
    expect(scan.type).toBe('ArrayReply');
    if (scan.type !== 'ArrayReply') return;
    const [cursor, keys] = scan.items;
    expect(cursor?.type).toBe('BulkString');
    expect(keys?.type).toBe('ArrayReply');
  });

  it('BLPOP that times out answers the nil array', async () => {
    expect(await redis.command({ args: ['BLPOP', key('empty'), '0.01'] })).toEqual({ type: 'NilArray' });
  });

  it('a 512 KiB value goes out and comes back whole, however TCP cuts it', async () => {
    const big = 'x'.repeat(512 * 1024 - 7) + 'THE-END';
    await redis.command({ args: ['SET', key('big'), big] });
    const got = await redis.command({ args: ['GET', key('big')] });
    expect(got.type === 'BulkString' && got.value.length).toBe(big.length);
    expect(got.type === 'BulkString' && text(got.value.subarray(-7))).toBe('THE-END');
  });

  it('pipelined commands are answered in order', async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, index) => redis.command({ args: ['ECHO', `n${index}`] })),
    );
    expect(replies.map((reply) => (reply.type === 'BulkString' ? text(reply.value) : reply.type))).toEqual(
      Array.from({ length: 200 }, (_, index) => `n${index}`),
    );
  });
});
