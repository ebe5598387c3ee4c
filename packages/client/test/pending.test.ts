import { afterEach, describe, expect, it } from 'vitest';
import { type ClientProtocol, connectProtocolClient, MAX_ABANDONED, type ProtocolClient } from '../src/index.js';
import { fakeServer, isReply, line, lineClientProtocol, lineFraming, onLines } from './helpers/fake-server.js';

/** Lines `<id> <text>`: the id is the correlation id, as a binary protocol's header would carry it. */
interface IdLine {
  readonly id: number;
  readonly text: string;
}

const decoder = new TextDecoder();
const idProtocol: ClientProtocol<IdLine> = {
  name: 'ids',
  framing: lineFraming,
  decode(frame) {
    const text = decoder.decode(frame);
    const space = text.indexOf(' ');
    return { id: Number(text.slice(0, space)), text: text.slice(space + 1) };
  },
  correlationOf: (message) => message.id,
};

const clients: ProtocolClient<unknown>[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

describe('pending requests', () => {
  it('forgets requests with an id when they time out, and drops their late replies instead of taking them for pushes', async () => {
    const held: string[] = [];
    const options = await fakeServer((socket) =>
      onLines(socket, (text) => {
        if (text.endsWith(' hold')) held.push(text.split(' ')[0]!);
        if (text.endsWith(' release')) {
          socket.write(held.map((id) => `${id} late\n`).join(''));
          socket.write(`${text.split(' ')[0]} released\n`);
        }
      }),
    );
    const client = await connectProtocolClient(idProtocol, options);
    clients.push(client as ProtocolClient<unknown>);
    const pushes: IdLine[] = [];
    client.onMessage((message) => pushes.push(message));
    const count = 2000;
    const outcomes = await Promise.allSettled(
      Array.from({ length: count }, (_, index) =>
        client.request(line(`${index + 1} hold`), (m): m is IdLine => m.id === index + 1, { timeoutMs: 50 }, index + 1),
      ),
    );
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    const id = count + 1;
    const released = await client.request(line(`${id} release`), (m): m is IdLine => m.id === id, {}, id);
    expect(released.text).toBe('released');
    expect(held).toHaveLength(count);
    expect(pushes).toEqual([]);
  });

  it('closes a connection whose server stopped answering requests that pair by order, past the abandoned limit', async () => {
    const client = await connectProtocolClient(lineClientProtocol, await fakeServer(() => {}));
    clients.push(client as ProtocolClient<unknown>);
    const requests = Array.from({ length: MAX_ABANDONED + 1 }, () =>
      client.request(line('silence'), isReply, { timeoutMs: 30 }).catch((error: unknown) => error),
    );
    const errors = await Promise.all(requests);
    expect(errors.every((error) => (error as { code?: string }).code === 'SOCKSPEC_REQUEST_TIMEOUT')).toBe(true);
    const closedWith = await client.closed;
    expect(closedWith?.message).toMatch(new RegExp(`${MAX_ABANDONED} requests to .* timed out without a reply`));
    await expect(client.request(line('after'), isReply)).rejects.toMatchObject({ code: 'SOCKSPEC_CONNECTION_CLOSED' });
  });
});
