import { describe, expect, it } from 'vitest';
import type { ServerProtocol } from '../src/index.js';
import { startServer } from './helpers/harness.js';
import { encodeLengthPrefixed, lengthPrefixedProtocol, lineProtocol } from './helpers/line-protocol.js';
import type { TestPeer } from './helpers/peer.js';

/**
 * The hostile-peer contract: one bad peer costs exactly one log line and its
 * own connection; a peer connected before it and one connected after it are
 * both served normally.
 */
async function expectIsolated<Incoming>(
  protocol: ServerProtocol<Incoming>,
  misbehave: (peer: TestPeer) => void,
  expectedLog: RegExp,
  goodRequest: (peer: TestPeer) => void = (peer) => peer.send('echo still here'),
): Promise<TestPeer> {
  const good = { request: goodRequest, reply: 'still here' };
  const { connect, logs, server } = await startServer(protocol);
  const before = await connect();
  good.request(before);
  expect(await before.nextLine()).toBe(good.reply);

  const bad = await connect();
  misbehave(bad);
  await bad.closed;

  const after = await connect();
  good.request(after);
  expect(await after.nextLine()).toBe(good.reply);
  good.request(before);
  expect(await before.nextLine()).toBe(good.reply);
  expect(logs).toHaveLength(1);
  expect(logs[0]).toMatch(expectedLog);
  expect(logs[0]).toMatch(/; closing connection$/);
  expect(server.connectionCount).toBe(2);
  return bad;
}

describe('bad input from one peer', () => {
  it('an oversize line: SOCKSPEC_FRAME_TOO_LARGE', async () => {
    await expectIsolated(
      lineProtocol(),
      (peer) => peer.sendRaw('echo '.padEnd(5000, 'a')),
      /^line: 127\.0\.0\.1:\d+: SOCKSPEC_FRAME_TOO_LARGE /,
    );
  });

  it('a length field too small to hold its own header: SOCKSPEC_INVALID_LENGTH', async () => {
    await expectIsolated(
      lengthPrefixedProtocol(),
      (peer) => peer.sendRaw(Uint8Array.of(0x00, 0x01, 0x65, 0x63)),
      /^line: 127\.0\.0\.1:\d+: SOCKSPEC_INVALID_LENGTH /,
      (peer) => peer.sendRaw(encodeLengthPrefixed('echo still here')),
    );
  });

  it('a length field larger than maxFrameBytes, rejected from the header alone', async () => {
    await expectIsolated(
      lengthPrefixedProtocol(),
      (peer) => peer.sendRaw(Uint8Array.of(0xff, 0xff)),
      /^line: 127\.0\.0\.1:\d+: SOCKSPEC_FRAME_TOO_LARGE /,
      (peer) => peer.sendRaw(encodeLengthPrefixed('echo still here')),
    );
  });

  it('garbage bytes: the first frame does not decode', async () => {
    // Deterministic noise: every byte value, newlines included.
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 167 + 13) % 256);
    await expectIsolated(
      lineProtocol(),
      (peer) => peer.sendRaw(garbage),
      /^line: 127\.0\.0\.1:\d+: SOCKSPEC_(INVALID_UTF8|UNKNOWN_MESSAGE|FRAME_TOO_LARGE) /,
    );
  });

  it('invalid UTF-8 in a well-framed message: SOCKSPEC_INVALID_UTF8', async () => {
    await expectIsolated(
      lineProtocol(),
      (peer) => peer.sendRaw(Uint8Array.of(0x65, 0x63, 0x68, 0x6f, 0x20, 0xc3, 0x28, 0x0a)),
      /SOCKSPEC_INVALID_UTF8 line: request of 7 bytes is not valid UTF-8; closing connection$/,
    );
  });

  it('an unknown message: SOCKSPEC_UNKNOWN_MESSAGE, with the error frame when the protocol has one', async () => {
    const bad = await expectIsolated(
      lineProtocol({ withErrorFrame: true }),
      (peer) => peer.send('dance now'),
      /SOCKSPEC_UNKNOWN_MESSAGE line: unknown request 'dance'/,
    );
    expect(await bad.nextLine()).toBe('ERR SOCKSPEC_UNKNOWN_MESSAGE');
    expect(await bad.nextLine()).toBeNull();
  });

  it('a peer that disconnects mid-frame: SOCKSPEC_TRUNCATED_FRAME', async () => {
    await expectIsolated(
      lineProtocol(),
      (peer) => {
        peer.sendRaw('echo this line never ends');
        peer.socket.end();
      },
      /^line: 127\.0\.0\.1:\d+: SOCKSPEC_TRUNCATED_FRAME /,
    );
  });

  it('a handler that throws', async () => {
    await expectIsolated(
      lineProtocol(),
      (peer) => peer.send('throw'),
      /^line: 127\.0\.0\.1:\d+: handler failed: Error: handler exploded; closing connection$/,
    );
  });

  it('a handler that rejects', async () => {
    await expectIsolated(
      lineProtocol(),
      (peer) => peer.send('reject'),
      /handler failed: Error: handler rejected; closing connection$/,
    );
  });

  it('answers the good requests that came before the bad one in the same burst', async () => {
    const { connect, logs } = await startServer(lineProtocol());
    const peer = await connect();
    peer.sendRaw(`echo one\necho two\n${'x'.repeat(3000)}`);
    expect(await peer.nextLine()).toBe('one');
    expect(await peer.nextLine()).toBe('two');
    expect(await peer.nextLine()).toBeNull();
    expect(logs).toEqual([expect.stringMatching(/SOCKSPEC_FRAME_TOO_LARGE/)]);
  });
});
