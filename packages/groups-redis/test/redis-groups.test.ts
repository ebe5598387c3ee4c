/** The adapter against the real redis-server: two adapters are two servers. */
import { type RealServer, startRealServer } from '@sockspec/app-kit/testing';
import type { GroupAdapter, GroupContext, LocalMember } from '@sockspec/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisGroups } from '../src/index.js';

let redis: RealServer;
const adapters: GroupAdapter[] = [];

beforeAll(async () => {
  redis = await startRealServer({
    command: 'redis-server',
    args: ['--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    debianPackage: 'redis-server',
  });
});

afterAll(async () => {
  await Promise.all(adapters.map((adapter) => adapter.close()));
  await redis?.stop();
});

interface Server {
  readonly adapter: GroupAdapter;
  readonly delivered: Array<{ group: string | null; text: string }>;
}

async function server(prefix: string): Promise<Server> {
  const adapter = redisGroups({ url: `redis://${redis.host}:${redis.port}`, keyPrefix: prefix });
  adapters.push(adapter);
  const delivered: Server['delivered'] = [];
  const context: GroupContext = {
    protocol: 'test',
    log: () => undefined,
    deliver: (group, frame) => delivered.push({ group, text: Buffer.from(frame).toString() }),
    deliverTo: () => true,
    snapshot: () => [],
    localGroups: () => new Map(),
    localName: () => undefined,
    groupsOf: () => [],
  };
  await adapter.start(context);
  return { adapter, delivered };
}

const member = (id: number, name?: string): LocalMember => ({ id, name });

describe('redisGroups', () => {
  it('gives a name to one server only, and frees it when its holder is gone', async () => {
    const a = await server('t1:');
    const b = await server('t1:');
    expect(await a.adapter.claimName(member(1), 'ann')).toBe(true);
    expect(await a.adapter.claimName(member(1), 'ann')).toBe(true);
    expect(await b.adapter.claimName(member(1), 'ann')).toBe(false);
    a.adapter.gone(member(1, 'ann'));
    await expect.poll(() => b.adapter.claimName(member(1), 'ann')).toBe(true);
  });

  it('counts and lists members of both servers, and forgets empty groups', async () => {
    const a = await server('t2:');
    const b = await server('t2:');
    a.adapter.joined('x', member(1, 'ann'));
    b.adapter.joined('x', member(1, 'bob'));
    b.adapter.joined('y', member(2));
    await expect.poll(() => a.adapter.groupSize('x')).toBe(2);
    expect(await a.adapter.memberNames('x')).toEqual(['ann', 'bob']);
    expect(await b.adapter.groupList()).toEqual([
      { name: 'x', members: 2 },
      { name: 'y', members: 1 },
    ]);
    b.adapter.left('y', member(2));
    await expect.poll(() => a.adapter.groupList()).toEqual([{ name: 'x', members: 2 }]);
  });

  it('carries broadcasts to the other server, not back to the sender', async () => {
    const a = await server('t3:');
    const b = await server('t3:');
    a.adapter.publish('room', Buffer.from('one'));
    a.adapter.publish(null, Buffer.from('two'));
    await expect
      .poll(() => b.delivered)
      .toEqual([
        { group: 'room', text: 'one' },
        { group: null, text: 'two' },
      ]);
    expect(a.delivered).toEqual([]);
  });
});
