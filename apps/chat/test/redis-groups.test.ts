/**
 * Two sockspec-chat-server processes on one real redis-server (Debian's
 * Redis 7, started here on a free loopback port) carry one conversation:
 * joins, says, whispers, listings and nicks span both, a server killed
 * without a word has its members swept and their rooms told, a Redis
 * restart loses nobody, and an unreachable Redis is one clear line at start.
 */

import { fileURLToPath } from 'node:url';
import { type RealServer, runProgram, startRealServer, startServer, stopAllPrograms } from '@sockspec/app-kit/testing';
import type { Joined, Left, Said, ServerMessage, Whispered } from '@sockspec/protocol-chat';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { asStarted, closeAll, Peer } from './helpers.js';

const cwd = fileURLToPath(new URL('..', import.meta.url));
let redis: RealServer;
const redisArgs = ['--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

beforeAll(async () => {
  redis = await startRealServer({ command: 'redis-server', args: redisArgs, debianPackage: 'redis-server' });
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async () => {
  await closeAll();
  await stopAllPrograms();
});

/** A fresh key prefix per test is not needed: every server of a test shares one, and tests leave no members. */
function groupsUrl(): string {
  return `redis://${redis.host}:${redis.port}`;
}

async function chatServer(extra: string[] = []) {
  return startServer({ cwd, script: 'src/server.ts', args: ['--port', '0', '--groups', groupsUrl(), ...extra] });
}

const isSaid =
  (text: string) =>
  (message: ServerMessage): message is Said =>
    message.type === 'Said' && message.text === text;
const isJoined =
  (nick: string) =>
  (message: ServerMessage): message is Joined =>
    message.type === 'Joined' && message.nick === nick;
const isLeft =
  (nick: string) =>
  (message: ServerMessage): message is Left =>
    message.type === 'Left' && message.nick === nick;

describe('chat servers sharing groups on redis-server', () => {
  it('carry one conversation across two server processes', { timeout: 30_000 }, async () => {
    const a = await chatServer();
    const b = await chatServer();
    const alice = await Peer.join(asStarted(a.address), 'alice', 'lobby');
    const bob = await Peer.join(asStarted(b.address), 'bob', 'lobby');
    await alice.waitFor('bob joined, seen on server A', isJoined('bob'));

    // Nicks are unique across servers.
    const impostor = await Peer.connect(asStarted(b.address));
    await expect(impostor.client.join({ nick: 'alice', room: 'lobby' })).rejects.toMatchObject({
      reply: { reason: 'nickTaken' },
    });

    // One sender's messages arrive in order on the other server.
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    await Promise.all(lines.map((text) => alice.client.say({ room: 'lobby', text })));
    await bob.waitFor('the last line on server B', isSaid('line 49'));
    const heard = bob.pushes.filter((message): message is Said => message.type === 'Said');
    expect(heard.map((message) => message.text)).toEqual(lines);
    expect(heard.every((message) => message.nick === 'alice')).toBe(true);

    await bob.client.say({ room: 'lobby', text: 'hi from B' });
    await alice.waitFor('B said, on A', isSaid('hi from B'));

    // Whisper to someone on the other server.
    await bob.client.whisper({ to: 'alice', text: 'psst' });
    const whisper = await alice.waitFor('whisper', (m): m is Whispered => m.type === 'Whispered');
    expect(whisper).toMatchObject({ from: 'bob', text: 'psst' });

    // Listings count both servers.
    expect((await alice.client.listMembers({ room: 'lobby' })).nicks).toEqual(['alice', 'bob']);
    expect((await bob.client.listRooms()).rooms).toEqual([{ name: 'lobby', members: 2 }]);

    // Leaving on B is heard on A; closing on B too.
    await bob.client.leave({ room: 'lobby' });
    await alice.waitFor('bob left', isLeft('bob'));
    expect((await alice.client.listMembers({ room: 'lobby' })).nicks).toEqual(['alice']);
    await alice.client.leave({ room: 'lobby' });
  });

  it('runs under --concurrency processes: workers share rooms through Redis', { timeout: 30_000 }, async () => {
    const server = await chatServer(['--concurrency', 'processes', '--workers', '2']);
    // The primary hands connections to its workers in turn, so these land on both.
    const peers = await Promise.all(
      ['p1', 'p2', 'p3', 'p4'].map((nick) => Peer.join(asStarted(server.address), nick, 'forked')),
    );
    await peers[0]!.client.say({ room: 'forked', text: 'to every worker' });
    for (const peer of peers) await peer.waitFor('the say, on every worker', isSaid('to every worker'));
    expect((await peers[3]!.client.listMembers({ room: 'forked' })).nicks).toEqual(['p1', 'p2', 'p3', 'p4']);
    await peers[3]!.client.whisper({ to: 'p1', text: 'across workers' });
    await peers[0]!.waitFor('whisper', (m): m is Whispered => m.type === 'Whispered' && m.text === 'across workers');
    for (const peer of peers) await peer.client.leave({ room: 'forked' });
  });

  it('tells a room when a server dies with members in it, and frees their nicks', { timeout: 30_000 }, async () => {
    // A 1 s lease: heartbeats every 333 ms, swept within about 1.3 s of the kill.
    const a = await chatServer(['--groups-lease-ms', '1000']);
    const b = await chatServer(['--groups-lease-ms', '1000']);
    const alice = await Peer.join(asStarted(a.address), 'alice2', 'doomed');
    await Peer.join(asStarted(b.address), 'carol', 'doomed');
    await alice.waitFor('carol joined', isJoined('carol'));
    await b.program.signal('SIGKILL');
    await alice.waitFor('carol swept', isLeft('carol'), 10_000);
    expect((await alice.client.listMembers({ room: 'doomed' })).nicks).toEqual(['alice2']);
    const again = await Peer.join(asStarted(a.address), 'carol', 'doomed');
    expect(again).toBeDefined();
  });

  it('keeps every member through a Redis restart and delivers across servers after it', {
    timeout: 40_000,
  }, async () => {
    const a = await chatServer();
    const b = await chatServer();
    const alice = await Peer.join(asStarted(a.address), 'alice3', 'sturdy');
    const bob = await Peer.join(asStarted(b.address), 'bob3', 'sturdy');
    await alice.waitFor('bob joined', isJoined('bob3'));
    const port = redis.port;
    await redis.stop();
    // While Redis is down each server still serves its own members.
    await alice.client.say({ room: 'sturdy', text: 'while down' });
    await alice.waitFor('own echo while down', isSaid('while down'));
    redis = await startRealServer({
      command: 'redis-server',
      args: redisArgs,
      debianPackage: 'redis-server',
      port,
    });
    // Broadcasts queued while it was down arrive once it is back.
    await bob.waitFor('queued say, after the restart', isSaid('while down'), 15_000);
    await a.program.waitFor('reconnect logged', () => a.program.stderr.find((line) => line.includes('is back after')));
    // Redis came back empty; the servers wrote their members again.
    await expect
      .poll(async () => (await alice.client.listMembers({ room: 'sturdy' })).nicks, { timeout: 10_000 })
      .toEqual(['alice3', 'bob3']);
    await bob.client.say({ room: 'sturdy', text: 'after restart' });
    await alice.waitFor('after restart', isSaid('after restart'));
  });

  it('exits with one clear line when Redis cannot be reached at start', { timeout: 20_000 }, async () => {
    const result = await runProgram({
      cwd,
      script: 'src/server.ts',
      args: ['--port', '0', '--groups', 'redis://127.0.0.1:1'],
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toContain('cannot reach Redis at redis://127.0.0.1:1');
  });

  it('refuses a --groups that is not a Redis URL', async () => {
    const result = await runProgram({ cwd, script: 'src/server.ts', args: ['--groups', 'http://x'] });
    expect(result.code).toBe(2);
    expect(result.stderr.join('\n')).toContain('--groups takes redis://host:port');
  });
});
