import { setTimeout as delay } from 'node:timers/promises';
import { isSockspecError } from '@sockspec/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { connectProtocolClient, type ProtocolClient, RequestTimeoutError } from '../src/index.js';
import {
  echoServer,
  fakeServer,
  isReply,
  line,
  lineClientProtocol,
  onLines,
  type ServerLine,
  type Where,
} from './helpers/fake-server.js';

const clients: ProtocolClient<ServerLine>[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

async function connect(options: Parameters<typeof connectProtocolClient>[1]): Promise<ProtocolClient<ServerLine>> {
  const client = await connectProtocolClient(lineClientProtocol, options);
  clients.push(client);
  return client;
}

describe('request/reply', () => {
  it.each<Where>(['tcp', 'tcp6', 'unix'])('works over %s', async (where) => {
    const client = await connect(await echoServer(where));
    expect(client.remote.transport).toBe(where);
    expect(await client.request(line('hello'), isReply)).toEqual({ type: 'reply', text: 'hello' });
    const replies = await Promise.all([1, 2, 3].map((n) => client.request(line(`n${n}`), isReply)));
    expect(replies.map((reply) => reply.text)).toEqual(['n1', 'n2', 'n3']);
  });

  it('gives a reply to the oldest pending request that accepts it; other messages are pushes', async () => {
    const options = await fakeServer((socket) =>
      onLines(socket, (text) => {
        if (text === 'both') socket.write('PUSH between\nb-reply\na-reply\n');
      }),
    );
    const client = await connect(options);
    const pushes: string[] = [];
    client.onMessage((message) => pushes.push(message.text));
    const isA = (m: ServerLine): m is ServerLine => m.type === 'reply' && m.text.startsWith('a-');
    const isB = (m: ServerLine): m is ServerLine => m.type === 'reply' && m.text.startsWith('b-');
    const a = client.request(line('both'), isA);
    const b = client.request(line('nothing'), isB);
    expect((await a).text).toBe('a-reply');
    expect((await b).text).toBe('b-reply');
    expect(pushes).toEqual(['between']);
  });

  it('rejects with SOCKSPEC_REQUEST_TIMEOUT, and a late reply does not answer the next request', async () => {
    // Replies strictly in order, each after the delay its request names.
    const options = await fakeServer((socket) => {
      let queue = Promise.resolve();
      onLines(socket, (text) => {
        const [ms = '0', word = ''] = text.split(' ');
        queue = queue.then(async () => {
          await delay(Number(ms));
          socket.write(`${word}\n`);
        });
      });
    });
    const client = await connect(options);
    const started = Date.now();
    const late = await client.request(line('150 first'), isReply, { timeoutMs: 30 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(late).toBeInstanceOf(RequestTimeoutError);
    expect(isSockspecError(late, 'SOCKSPEC_REQUEST_TIMEOUT')).toBe(true);
    const timeout = late as RequestTimeoutError;
    expect(timeout.elapsedMs).toBeGreaterThanOrEqual(29);
    expect(timeout.elapsedMs).toBeLessThanOrEqual(Date.now() - started);
    expect(timeout.message).toMatch(/^line: request to 127\.0\.0\.1:\d+ got no reply after \d+ ms \(timeout 30 ms\)$/);

    expect((await client.request(line('0 second'), isReply)).text).toBe('second');
  });

  it('uses requestTimeoutMs from the options as the default', async () => {
    // The server reads but never answers.
    const client = await connect({ ...(await fakeServer((socket) => socket.resume())), requestTimeoutMs: 20 });
    await expect(client.request(line('ignored'), isReply)).rejects.toMatchObject({
      code: 'SOCKSPEC_REQUEST_TIMEOUT',
      timeoutMs: 20,
    });
  });
});

describe('closing', () => {
  it('rejects pending requests with SOCKSPEC_CONNECTION_CLOSED when the server closes', async () => {
    const client = await connect(await fakeServer((socket) => onLines(socket, () => socket.end())));
    const pending = client.request(line('bye'), isReply);
    await expect(pending).rejects.toMatchObject({ code: 'SOCKSPEC_CONNECTION_CLOSED' });
    await expect(pending).rejects.toThrow(/^line: connection to 127\.0\.0\.1:\d+ closed before the reply/);
    expect(await client.closed).toBeUndefined();
    await expect(client.request(line('more'), isReply)).rejects.toMatchObject({ code: 'SOCKSPEC_CONNECTION_CLOSED' });
    expect(() => client.send(line('more'))).toThrow(/cannot send .* it is closed/);
  });

  it('close() half-closes, still takes replies already on their way, waits for the server, rejects the rest', async () => {
    const options = await fakeServer(
      (socket) => {
        onLines(socket, (text) => {
          if (text === 'answer') socket.write('answered\n');
        });
        socket.on('end', () => socket.end());
      },
      'tcp',
      { allowHalfOpen: true },
    );
    const client = await connect(options);
    const answered = client.request(line('answer'), isReply);
    const unanswered = client.request(line('ignore'), isReply);
    await client.close();
    expect((await answered).text).toBe('answered');
    await expect(unanswered).rejects.toMatchObject({ code: 'SOCKSPEC_CONNECTION_CLOSED' });
    expect(await client.closed).toBeUndefined();
    expect(() => client.send(line('late'))).toThrow(/cannot send/);
  });

  it('close() destroys the socket after closeTimeoutMs when the server never closes its side', async () => {
    const options = await fakeServer(() => {}, 'tcp', { allowHalfOpen: true });
    const client = await connect({ ...options, closeTimeoutMs: 50 });
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('closes with the decode error when the server sends a message that does not decode', async () => {
    const options = await fakeServer((socket) => onLines(socket, () => socket.write('BAD\n')));
    const client = await connect(options);
    const pending = client.request(line('please'), isReply);
    await expect(pending).rejects.toMatchObject({ code: 'SOCKSPEC_UNKNOWN_MESSAGE' });
    const error = await client.closed;
    expect(isSockspecError(error, 'SOCKSPEC_UNKNOWN_MESSAGE')).toBe(true);
  });

  it('closes with SOCKSPEC_TRUNCATED_FRAME when the server stops mid-frame', async () => {
    const client = await connect(await fakeServer((socket) => socket.end('PUSH never fin')));
    const error = await client.closed;
    expect(isSockspecError(error, 'SOCKSPEC_TRUNCATED_FRAME')).toBe(true);
  });
});

describe('pushes', () => {
  it('delivers pushes to onMessage listeners until they unsubscribe', async () => {
    const options = await fakeServer((socket) =>
      onLines(socket, (text) => socket.write(`PUSH ${text}\nPUSH ${text}!\ndone\n`)),
    );
    const client = await connect(options);
    const first: string[] = [];
    const second: string[] = [];
    const stopFirst = client.onMessage((message) => first.push(message.text));
    client.onMessage((message) => second.push(message.text));
    await client.request(line('a'), isReply);
    stopFirst();
    await client.request(line('b'), isReply);
    expect(first).toEqual(['a', 'a!']);
    expect(second).toEqual(['a', 'a!', 'b', 'b!']);
  });

  it('closes the client with the error when an onMessage listener throws', async () => {
    const options = await fakeServer((socket) => onLines(socket, () => socket.write('PUSH boom\nlater\n')));
    const client = await connect(options);
    client.onMessage(() => {
      throw new Error('listener bug');
    });
    const pending = client.request(line('go'), isReply);
    await expect(pending).rejects.toThrow('listener bug');
    expect((await client.closed)?.message).toBe('listener bug');
  });

  it('yields pushes through async iteration and ends when the connection closes', async () => {
    const options = await fakeServer((socket) => onLines(socket, () => socket.end('PUSH 1\nPUSH 2\nPUSH 3\n')));
    const client = await connect(options);
    const seen: string[] = [];
    const iterating = (async () => {
      for await (const message of client) seen.push(message.text);
    })();
    client.send(line('go'));
    await iterating;
    expect(seen).toEqual(['1', '2', '3']);
  });

  it('stops reading from the server while an iterator consumer falls behind, then catches up', async () => {
    const total = 400_000;
    const padding = 'p'.repeat(48);
    let written = 0;
    const options = await fakeServer((socket) => {
      const pump = () => {
        while (written < total) {
          written += 1;
          if (!socket.write(`PUSH ${written} ${padding}\n`)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
    const client = await connect(options);
    const iterator = client[Symbol.asyncIterator]();

    const stalledAt = await settled(() => written);
    // ~26 MB would be sent if the client kept reading; kernel buffers hold only part of it.
    expect(stalledAt).toBeLessThan(total);

    let count = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      count += 1;
      if (count === 1 || count === total) expect(next.value.text.split(' ')[0]).toBe(String(count));
    }
    expect(count).toBe(total);
  });
});

async function settled(read: () => number, quietMs = 200, maxMs = 10_000): Promise<number> {
  // Asserting that something stopped happening has no event to wait on.
  const started = Date.now();
  let last = read();
  let lastChange = Date.now();
  while (Date.now() - lastChange < quietMs) {
    if (Date.now() - started > maxMs) throw new Error(`test: value kept changing for ${maxMs} ms`);
    await delay(20);
    const now = read();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
  }
  return last;
}
