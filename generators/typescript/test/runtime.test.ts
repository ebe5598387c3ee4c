import { createFrameDecoder } from '@sockspec/codec';
import { isSockspecError } from '@sockspec/errors';
import type { ProtocolServer } from '@sockspec/server';
import { afterEach, describe, expect, it } from 'vitest';
import * as echo from '../../../packages/protocols/echo/src/index.js';
import * as timestamp from '../../../packages/protocols/timestamp/src/index.js';
import * as beacon from './golden/beacon/src/index.js';
import * as gallery from './golden/gallery/src/index.js';
import * as greeter from './golden/greeter/src/index.js';
import * as kv from './golden/kv/src/index.js';
import * as sensor from './golden/sensor/src/index.js';

/** Cuts encoded bytes into frames the way a peer's frame decoder would. */
function frames(framing: Parameters<typeof createFrameDecoder>[0], ...chunks: Uint8Array[]): Uint8Array[] {
  const decoder = createFrameDecoder(framing);
  const out: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (frame) => out.push(frame.slice()));
  decoder.end();
  return out;
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (isSockspecError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a SockspecError, nothing was thrown');
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('generated text codecs', () => {
  it('round-trips a timestamp line through the frame decoder, ctime included', () => {
    const time = new Date(2026, 10, 3, 9, 5, 3);
    const frame = timestamp.encodeStamped({ time, text: 'hello [world]' });
    expect(new TextDecoder().decode(frame)).toBe('[Tue Nov  3 09:05:03 2026] hello [world]\n');
    const [cut] = frames(timestamp.framing, frame);
    expect(timestamp.decodeServerMessage(cut!)).toEqual({ type: 'Stamped', time, text: 'hello [world]' });
    expect(timestamp.decodeClientMessage(bytes('anything at all'))).toEqual({ type: 'Stamp', text: 'anything at all' });
  });

  it('rejects lines that match no template, bad ctimes, and invalid UTF-8', () => {
    expect(codeOf(() => timestamp.decodeStamped(bytes('no brackets')))).toBe('SOCKSPEC_UNKNOWN_MESSAGE');
    expect(codeOf(() => timestamp.decodeStamped(bytes('[Mon Nov  3 09:05:03 2026] x')))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => timestamp.decodeStamp(new Uint8Array([0x68, 0xff])))).toBe('SOCKSPEC_INVALID_UTF8');
  });

  it('refuses to encode what would not decode to the same message', () => {
    expect(codeOf(() => echo.encodeLine({ text: 'two\nlines' }))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => greeter.encodeWelcome({ server: 'a: b', motd: 'x' }))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => echo.encodeLine({ text: 'x'.repeat(70_000) }))).toBe('SOCKSPEC_FRAME_TOO_LARGE');
    // Stamp's text is limited to 4068 bytes, so that its Stamped ("[ctime] " is 27 more) fits a frame.
    expect(codeOf(() => timestamp.encodeStamp({ text: 'x'.repeat(4069) }))).toBe('SOCKSPEC_FIELD_TOO_LARGE');
    // 1357 three-byte characters: short enough in UTF-16 units, too long once encoded.
    expect(codeOf(() => timestamp.encodeStamp({ text: '€'.repeat(1357) }))).toBe('SOCKSPEC_FIELD_TOO_LARGE');
    expect(timestamp.encodeStamp({ text: '€'.repeat(1356) }).length).toBe(4069);
    expect(timestamp.encodeStamp({ text: 'x'.repeat(4068) }).length).toBe(4069);
    expect(codeOf(() => timestamp.decodeStamp(bytes('x'.repeat(4069))))).toBe('SOCKSPEC_FIELD_TOO_LARGE');
  });

  it('sends back a line that ends in CR (a peer sent `text\\r\\r\\n`): a second CR, which the peer’s decoder drops', () => {
    expect(Buffer.from(echo.encodeLine({ text: 'ends with CR\r' })).toString()).toBe('ends with CR\r\r\n');
    expect(Buffer.from(echo.encodeLine({ text: 'plain' })).toString()).toBe('plain\n');
  });

  it('matches named parts lazily and the last one greedily, with a multi-byte delimiter', () => {
    const frame = greeter.encodeWelcome({ server: 'srv', motd: 'a: b: c' });
    expect(new TextDecoder().decode(frame)).toBe('HELLO srv: a: b: c\r\n');
    const [cut] = frames(greeter.framing, frame);
    expect(greeter.decodeServerMessage(cut!)).toEqual({ type: 'Welcome', server: 'srv', motd: 'a: b: c' });
    expect(greeter.decodeServerMessage(bytes('SAY hi'))).toEqual({ type: 'Say', text: 'hi' });
    expect(codeOf(() => greeter.decodeClientMessage(bytes('HELLO x: y')))).toBe('SOCKSPEC_UNKNOWN_MESSAGE');
  });
});

describe('generated binary codecs', () => {
  const put = {
    id: 7,
    key: 'user_1',
    ttl: -1,
    weight: 0.25,
    pinned: true,
    version: 2n ** 63n + 5n,
    value: new Uint8Array([0, 1, 255]),
  };

  it('lays out a Put exactly as the README table says', () => {
    const frame = kv.encodePut(put);
    expect(frame.length).toBe(2 + 1 + 4 + 1 + 6 + 4 + 8 + 1 + 8 + 3);
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    expect(view.getUint16(0)).toBe(frame.length - 2);
    expect(frame[2]).toBe(1);
    expect(view.getUint32(3)).toBe(7);
    expect(frame[7]).toBe(6);
    expect(new TextDecoder().decode(frame.subarray(8, 14))).toBe('user_1');
    expect(view.getInt32(14, true)).toBe(-1);
    expect(view.getFloat64(18)).toBe(0.25);
    expect(frame[26]).toBe(1);
    expect(view.getBigUint64(27)).toBe(put.version);
    expect([...frame.subarray(35)]).toEqual([0, 1, 255]);
  });

  it('round-trips every message through the frame decoder, split at every byte', () => {
    const encoded = [kv.encodePut(put), kv.encodeStored({ id: 1, key: 'k' }), kv.encodePing({ id: 2, nonce: 0xbeef })];
    const stream = new Uint8Array(encoded.reduce((sum, frame) => sum + frame.length, 0));
    let at = 0;
    for (const frame of encoded) {
      stream.set(frame, at);
      at += frame.length;
    }
    for (let split = 0; split <= stream.length; split += 1) {
      const [a, b, c] = frames(kv.framing, stream.subarray(0, split), stream.subarray(split));
      expect(kv.decodeClientMessage(a!)).toEqual({ type: 'Put', ...put });
      expect(kv.decodeServerMessage(b!)).toEqual({ type: 'Stored', id: 1, key: 'k' });
      expect(kv.decodeServerMessage(c!)).toEqual({ type: 'Ping', id: 2, nonce: 0xbeef });
    }
  });

  it('rejects hostile frames with the codec error classes', () => {
    const good = kv.encodePut(put);
    const patched = (at: number, value: number): Uint8Array => {
      const copy = good.slice();
      copy[at] = value;
      return copy;
    };
    expect(codeOf(() => kv.decodePut(good.subarray(0, 12)))).toBe('SOCKSPEC_TRUNCATED_MESSAGE');
    expect(codeOf(() => kv.decodePut(good.subarray(0, 20)))).toBe('SOCKSPEC_TRUNCATED_MESSAGE');
    expect(codeOf(() => kv.decodeClientMessage(patched(2, 9)))).toBe('SOCKSPEC_UNKNOWN_MESSAGE');
    expect(codeOf(() => kv.decodeClientMessage(patched(7, 65)))).toBe('SOCKSPEC_FIELD_TOO_LARGE');
    expect(codeOf(() => kv.decodeClientMessage(patched(8, 0xc0)))).toBe('SOCKSPEC_INVALID_UTF8');
    expect(codeOf(() => kv.decodeClientMessage(patched(8, 0x41)))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => kv.decodeClientMessage(patched(26, 2)))).toBe('SOCKSPEC_INVALID_FIELD');
    const ping = kv.encodePing({ id: 1, nonce: 1 });
    const long = new Uint8Array(ping.length + 1);
    long.set(ping);
    expect(codeOf(() => kv.decodePing(long))).toBe('SOCKSPEC_TRAILING_BYTES');
    expect(codeOf(() => kv.decodeServerMessage(new Uint8Array([0, 0])))).toBe('SOCKSPEC_TRUNCATED_MESSAGE');
  });

  it('checks values before encoding them', () => {
    expect(codeOf(() => kv.encodePut({ ...put, id: -1 }))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => kv.encodePut({ ...put, ttl: 1.5 }))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => kv.encodePut({ ...put, version: 2n ** 64n }))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => kv.encodePut({ ...put, key: 'Not Valid' }))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => kv.encodePut({ ...put, key: 'k'.repeat(65) }))).toBe('SOCKSPEC_FIELD_TOO_LARGE');
    expect(codeOf(() => kv.encodePut({ ...put, value: new Uint8Array(451) }))).toBe('SOCKSPEC_FIELD_TOO_LARGE');
    // Each field within its maximum, the frame over maxFrameBytes (480).
    expect(codeOf(() => kv.encodePut({ ...put, key: 'k'.repeat(64), value: new Uint8Array(400) }))).toBe(
      'SOCKSPEC_FRAME_TOO_LARGE',
    );
  });
});

describe('generated datagram codec without a discriminator', () => {
  it('round-trips enums, flags, fixed, terminated and prefixed values in little-endian', () => {
    const reading = {
      unit: 'kelvin',
      status: { low: false, high: true, stale: true },
      sensor: 'ab',
      value: 1.5,
      note: 'né',
      tail: new Uint8Array([9]),
    } as const;
    const frame = sensor.encodeReading(reading);
    expect([...frame]).toEqual([
      2, 0x02, 0x80, 0x61, 0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x3f, 0x6e, 0xc3, 0xa9, 0, 1, 9,
    ]);
    expect(sensor.decodeClientMessage(frame)).toEqual({ type: 'Reading', ...reading });
    expect(sensor.decodeServerMessage(sensor.encodeAck({ ok: true }))).toEqual({ type: 'Ack', ok: true });
  });

  it('rejects unknown enum values, unknown flag bits and a missing terminator', () => {
    const frame = sensor.encodeReading({
      unit: 'celsius',
      status: { low: true, high: false, stale: false },
      sensor: '',
      value: 0,
      note: '',
      tail: new Uint8Array(),
    });
    const patched = (at: number, value: number): Uint8Array => {
      const copy = frame.slice();
      copy[at] = value;
      return copy;
    };
    expect(codeOf(() => sensor.decodeReading(patched(0, 3)))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => sensor.decodeReading(patched(1, 0x04)))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => sensor.decodeReading(patched(15, 0x41)))).toBe('SOCKSPEC_TRUNCATED_MESSAGE');
    expect(
      codeOf(() =>
        sensor.encodeReading({
          unit: 'celsius',
          status: { low: false, high: false, stale: false },
          sensor: 'nine char',
          value: 0,
          note: '',
          tail: new Uint8Array(),
        }),
      ),
    ).toBe('SOCKSPEC_FIELD_TOO_LARGE');
    expect(
      codeOf(() =>
        sensor.encodeReading({
          unit: 'celsius',
          status: { low: false, high: false, stale: false },
          sensor: '',
          value: 0,
          note: 'a\u0000b',
          tail: new Uint8Array(),
        }),
      ),
    ).toBe('SOCKSPEC_INVALID_FIELD');
  });
});

describe('generated servers and clients over loopback tcp', () => {
  const servers: ProtocolServer[] = [];
  const clients: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((server) => server.shutdown({ drainMs: 100 })));
  });

  it('timestamp: the declared reply stamps the line with the server clock', async () => {
    const server = timestamp.createServer({}, { log: () => {} });
    servers.push(server);
    const address = await server.listen();
    const client = await timestamp.createClient({ host: address.host, port: address.port });
    clients.push(client);
    const before = Math.floor(Date.now() / 1000) * 1000;
    const reply = await client.stamp({ text: 'what time is it?' });
    expect(reply.type).toBe('Stamped');
    expect(reply.text).toBe('what time is it?');
    expect(reply.time.getTime()).toBeGreaterThanOrEqual(before);
    expect(reply.time.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('echo: lines come back in order', async () => {
    const server = echo.createServer(undefined, { log: () => {} });
    servers.push(server);
    const address = await server.listen();
    const client = await echo.createClient({ host: address.host, port: address.port });
    clients.push(client);
    const replies = await Promise.all(['one', 'two', 'three'].map((text) => client.line({ text })));
    expect(replies).toEqual(['one', 'two', 'three'].map((text) => ({ type: 'Line', text })));
  });

  it('greeter: the greeting arrives on connect and echoes carry the prefix', async () => {
    const server = greeter.createServer({}, { log: () => {} });
    servers.push(server);
    const address = await server.listen();
    const client = await greeter.createClient({ host: address.host, port: address.port });
    clients.push(client);
    const welcome = await new Promise((resolve) => {
      const stop = client.on('Welcome', (message) => {
        stop();
        resolve(message);
      });
    });
    expect(welcome).toEqual({ type: 'Welcome', server: 'greeter', motd: 'be nice' });
    expect(await client.say({ text: 'hi' })).toEqual({ type: 'Say', text: 'echo hi' });
  });

  it('kv: handler replies are matched to requests by correlation id; hooks run', async () => {
    const seen: number[] = [];
    const store = new Map<string, Uint8Array>();
    const server = kv.createServer(
      {
        setup(connection) {
          seen.push(connection.id);
        },
        async onPut(message, connection) {
          store.set(message.key, message.value);
          // Answer out of order: the slow put replies after the fast one.
          if (message.key === 'slow') await new Promise((resolve) => setImmediate(resolve));
          expect(connection.id).toBe(seen[0]);
          return { type: 'Stored', id: message.id, key: message.key };
        },
      },
      { log: () => {} },
    );
    servers.push(server);
    const address = await server.listen();
    const client = await kv.createClient({ host: address.host, port: address.port });
    clients.push(client);
    const fields = { ttl: 0, weight: 1, pinned: false, version: 1n, value: new Uint8Array([1]) };
    const [slow, fast] = await Promise.all([
      client.put({ key: 'slow', ...fields }),
      client.put({ key: 'fast', ...fields }),
    ]);
    expect(slow.key).toBe('slow');
    expect(fast.key).toBe('fast');
    expect(slow.id).not.toBe(fast.id);
    expect(await client.ping({ nonce: 42 })).toMatchObject({ type: 'Ping', nonce: 42 });
    expect([...store.keys()].sort()).toEqual(['fast', 'slow']);
    expect(seen).toHaveLength(1);
  });
});

describe('every field type, end to end', () => {
  const servers: ProtocolServer[] = [];
  const clients: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((server) => server.shutdown({ drainMs: 100 })));
  });

  const drawing = {
    title: 'tëst',
    shapes: [
      { label: 'box', color: 'green' as const, points: [{ x: -1, y: 2 }], origin: { x: 5, y: -6 } },
      { label: 'dot', color: 'red' as const, points: [], origin: undefined },
    ],
    scores: [0.5, -2],
    names: ['a', 'b-2'],
    grid: [[1, 2], [], [255]],
    center: { x: 2 ** 31 - 1, y: -(2 ** 31) },
    note: new Uint8Array([0, 255]),
  };

  it('gallery: nested structs, lists and optionals travel through a real server and back', async () => {
    const received: unknown[] = [];
    const server = gallery.createServer(
      {
        onDrawing(message) {
          received.push(message);
          return { type: 'Drawn', id: message.id, shapes: message.shapes.length, when: new Date(0) };
        },
      },
      { log: () => {} },
    );
    servers.push(server);
    const address = await server.listen();
    const client = await gallery.createClient({ host: address.host, port: address.port });
    clients.push(client);
    const reply = await client.drawing(drawing);
    expect(reply).toMatchObject({ type: 'Drawn', shapes: 2, when: new Date(0) });
    expect(received).toEqual([{ type: 'Drawing', id: reply.id, ...drawing }]);
  });

  it('gallery: lists and strings over their limits are refused before encoding', () => {
    const tooMany = { ...drawing, names: Array.from({ length: 11 }, () => 'x') };
    expect(codeOf(() => gallery.encodeDrawing({ id: 1, ...tooMany }))).toBe('SOCKSPEC_FIELD_TOO_LARGE');
    const badLabel = { ...drawing, names: ['Not Lowercase'] };
    expect(codeOf(() => gallery.encodeDrawing({ id: 1, ...badLabel }))).toBe('SOCKSPEC_INVALID_FIELD');
    expect(codeOf(() => gallery.encodeDrawn({ id: 1, shapes: 0, when: new Date(Number.NaN) }))).toBe(
      'SOCKSPEC_INVALID_FIELD',
    );
  });

  it('beacon: a binary frame cut at a delimiter never contains it', () => {
    const seen = new Date('2026-11-03T09:05:03Z');
    const frame = beacon.encodeBeacon({ station: 'ok', strength: 1, seen });
    expect([...frame.subarray(-2)]).toEqual([0xfe, 0xfe]);
    expect(frames(beacon.framing, frame).map(beacon.decodeClientMessage)).toEqual([
      { type: 'Beacon', station: 'ok', strength: 1, seen },
    ]);
    // 0xfefe as a big-endian i16 is -258: the delimiter would appear inside the frame.
    expect(codeOf(() => beacon.encodeBeacon({ station: 'ok', strength: -258, seen }))).toBe('SOCKSPEC_INVALID_FIELD');
  });
});
