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
});
