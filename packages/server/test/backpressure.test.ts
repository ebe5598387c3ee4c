import { describe, expect, it } from 'vitest';
import type { Connection } from '../src/index.js';
import { settled, startServer } from './helpers/harness.js';
import { lineProtocol } from './helpers/line-protocol.js';

describe('backpressure', () => {
  it('stops reading from a peer that does not read its replies, and resumes when it does', async () => {
    const protocol = lineProtocol();
    let connection: Connection | null = null;
    let maxPending = 0;
    const dispatch = protocol.dispatch.bind(protocol);
    protocol.dispatch = (message, conn) => {
      connection = conn;
      const result = dispatch(message, conn);
      maxPending = Math.max(maxPending, conn.pendingWriteBytes);
      return result;
    };
    const { connect } = await startServer(protocol);
    const peer = await connect();
    peer.socket.pause();

    // 1000 requests for 64 KiB each: 64 MiB of replies if the server buffered them all.
    const requests = 1000;
    const replyBytes = 64 * 1024;
    peer.sendRaw(`big ${replyBytes}\n`.repeat(requests));

    const stalledAt = await settled(() => protocol.dispatched);
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(requests);
    // What the server holds in user space stays near one reply past the high-water mark.
    expect(maxPending).toBeLessThan(4 * replyBytes);
    expect(connection!.pendingWriteBytes).toBeLessThan(4 * replyBytes);

    peer.socket.resume();
    for (let i = 0; i < requests; i++) {
      const line = await peer.nextLine();
      expect(line?.length).toBe(replyBytes);
    }
    expect(protocol.dispatched).toBe(requests);
  });

  it('stops reading from a peer while one of its handlers is pending, and resumes after', async () => {
    const protocol = lineProtocol();
    const { connect } = await startServer(protocol);
    const peer = await connect();
    peer.send('hold released');
    await protocol.gate.reached;

    // 24 MiB of requests queued behind the pending handler: more than the
    // kernel buffers between the two sockets can hold, so unless the server
    // keeps reading them into memory, part of it stays unsent.
    const text = 'y'.repeat(1000);
    const requests = 24 * 1024;
    const request = `echo ${text}\n`;
    peer.sendRaw(request.repeat(requests));
    const total = request.length * requests;
    const accepted = await settled(() => peer.socket.bytesWritten - peer.socket.writableLength);
    expect(accepted).toBeLessThan(total);
    expect(protocol.dispatched).toBe(1);

    protocol.gate.open();
    expect(await peer.nextLine()).toBe('released');
    for (let i = 0; i < requests; i++) expect(await peer.nextLine()).toBe(text);
  });
});
