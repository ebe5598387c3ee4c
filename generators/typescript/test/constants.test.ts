/**
 * `const:` fields (issue 8): the generated `tagged` package writes its magic,
 * version and signatures itself, checks them on decode with a typed error,
 * and talks both ways with a Python peer written from the byte table alone.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { ProtocolServer } from '@sockspec/server';
import { afterEach, describe, expect, it } from 'vitest';
import * as tagged from './golden/tagged/src/index.js';
import { failure } from './wire.js';

const PEER = fileURLToPath(new URL('./python/tagged_peer.py', import.meta.url));

/** magic 0xCAFE, version (3 bits) | urgent (1) | type (4), hops, id, length: `struct.pack('<HBBII', …)` in the Python peer. */
function header(type: number, id: number, bodyBytes: number, magic = 0xcafe, version = 1, urgent = 0): Buffer {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt16LE(magic, 0);
  bytes.writeUInt8((version << 5) | (urgent << 4) | type, 2);
  bytes.writeUInt8(0, 3);
  bytes.writeUInt32LE(id, 4);
  bytes.writeUInt32LE(bodyBytes, 8);
  return bytes;
}

function text(value: string): Buffer {
  const data = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16LE(data.length, 0);
  return Buffer.concat([length, data]);
}

/** A Ping ends in the CRC-32 (zlib's) of every byte before it, header included. */
function ping(id: number, value: string, options: { magic?: number; version?: number; signature?: Buffer } = {}) {
  const body = Buffer.concat([options.signature ?? Buffer.from('SS\x01\x02', 'latin1'), text(value)]);
  const head = header(1, id, body.length + 4, options.magic, options.version);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(zlibCrc32(Buffer.concat([head, body])), 0);
  return new Uint8Array(Buffer.concat([head, body, crc]));
}

const servers: ProtocolServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.shutdown({ drainMs: 100 });
});

describe('constant fields in the generated codec', () => {
  it('writes magic, version and the signature without the caller passing them, byte for byte as the table says', () => {
    expect(Buffer.from(tagged.encodePing({ id: 7, text: 'hi' }))).toEqual(Buffer.from(ping(7, 'hi')));
    const pong = Buffer.from(tagged.encodePong({ id: 9, text: 'ok' }));
    const body = Buffer.concat([Buffer.from([1, 1]), text('ok'), Buffer.from('504b030414000000' + '08', 'hex')]);
    const check = body.reduce((sum, byte) => sum ^ byte, 0);
    expect(pong).toEqual(Buffer.concat([header(2, 9, body.length + 1), body, Buffer.from([check])]));
  });

  it('decodes a frame whose constants match, and leaves them out of the message', () => {
    expect(tagged.decodePing(ping(3, 'héllo'))).toEqual({ type: 'Ping', urgent: false, hops: 0, id: 3, text: 'héllo' });
    const pong = tagged.decodeServerMessage(tagged.encodePong({ id: 4, text: 'x', urgent: true, hops: 2 }));
    expect(pong).toEqual({ type: 'Pong', urgent: true, hops: 2, id: 4, text: 'x' });
    // The urgent bit sits between the version and the type: 001 1 0010.
    expect(tagged.encodePong({ id: 4, text: 'x', urgent: true })[2]).toBe(0b0011_0010);
  });

  it.each([
    ['magic', { magic: 0xbeef }, "field 'magic' at offset 0 must be 0xcafe (51966), got 0xbeef (48879)"],
    ['version', { version: 2 }, "field 'version' at offset 2 must be 1, got 2"],
    [
      'signature',
      { signature: Buffer.from('SS\x01\x03', 'latin1') },
      `field 'signature' at offset 12 must be 53 53 01 02 "SS\\x01\\x02", got 53 53 01 03 "SS\\x01\\x03"`,
    ],
  ])(
    'refuses a wrong %s with SOCKSPEC_CONSTANT_MISMATCH naming the field, the constant and what came',
    (_, options, message) => {
      const error = failure(() => tagged.decodeClientMessage(ping(1, 'x', options)));
      expect(error.code).toBe('SOCKSPEC_CONSTANT_MISMATCH');
      expect(error.message).toBe(`tagged message Ping: ${message}`);
    },
  );

  it('checks a CRC-32 over header and body, and an XOR over part of the body', () => {
    const damaged = Buffer.from(ping(5, 'hello'));
    damaged.writeUInt8(damaged.readUInt8(19) ^ 0x20, 19);
    const crc = failure(() => tagged.decodePing(new Uint8Array(damaged)));
    expect(crc.code).toBe('SOCKSPEC_CHECKSUM_MISMATCH');
    expect(crc.message).toMatch(
      /^tagged message Ping: crc32 field 'crc' is 0x[0-9a-f]+, but the bytes it covers give 0x[0-9a-f]+$/,
    );
    const pong = Buffer.from(tagged.encodePong({ id: 1, text: 'abc' }));
    pong.writeUInt8(pong.readUInt8(pong.length - 1) ^ 1, pong.length - 1);
    expect(failure(() => tagged.decodePong(new Uint8Array(pong))).code).toBe('SOCKSPEC_CHECKSUM_MISMATCH');
  });

  it('checks a 9-byte constant after a variable-size field', () => {
    const good = Buffer.from(tagged.encodePong({ id: 1, text: 'abc' }));
    // Keep the XOR right, so that the constant is what the decoder finds wrong.
    good[good.length - 2] = 0x09;
    good.writeUInt8(good.readUInt8(good.length - 1) ^ 0x08 ^ 0x09, good.length - 1);
    const error = failure(() => tagged.decodePong(new Uint8Array(good)));
    expect(error.code).toBe('SOCKSPEC_CONSTANT_MISMATCH');
    expect(error.message).toContain("field 'trailer' at offset 19");
  });
});

describe('constant fields against an independent Python struct peer', () => {
  it.skipIf(spawnSync('python3', ['--version']).status !== 0)(
    'the generated server answers its Ping and refuses a wrong magic with badRequest, then closes',
    async () => {
      const server = tagged.createServer({}, { host: '127.0.0.1' });
      servers.push(server);
      const { port } = await server.listen();
      // Asynchronously: the server answers on this process's event loop.
      const result = await promisify(execFile)('python3', [PEER, 'client', String(port)], { timeout: 20_000 });
      expect(result.stderr).toBe('');
      const report = JSON.parse(result.stdout) as Record<string, Record<string, unknown>>;
      expect(report.pong).toEqual({
        magic: 0xcafe,
        version: 1,
        // The declared reply copies the request's header fields: the Ping was urgent.
        urgent: 1,
        hops: 0,
        type: 2,
        id: 7,
        ok: 1,
        kind: 1,
        text: 'hello from struct',
        trailer: '504b030414000000' + '08',
        bodyBytes: 2 + 2 + 17 + 9 + 1,
        checkOk: true,
      });
      expect(report.failed).toMatchObject({ magic: 0xcafe, version: 1, type: 3, reason: 1 });
      expect(String(report.failed?.text)).toContain("field 'magic' at offset 0 must be 0xcafe");
      expect(report.closedAfter).toBe(true);
    },
  );

  it.skipIf(spawnSync('python3', ['--version']).status !== 0)(
    'the generated client talks to a Python server built from the table',
    async () => {
      const peer = spawn('python3', [PEER, 'server'], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const lines: string[] = [];
        let buffered = '';
        peer.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          buffered += chunk;
          const parts = buffered.split('\n');
          buffered = parts.pop() ?? '';
          lines.push(...parts);
        });
        while (lines.length === 0) await once(peer.stdout, 'data');
        const client = await tagged.createClient({ host: '127.0.0.1', port: Number(lines[0]) });
        try {
          const reply = await client.ping({ text: 'hi python' });
          expect(reply).toMatchObject({ type: 'Pong', text: 'python heard: hi python' });
        } finally {
          await client.close();
        }
        while (lines.length < 2) await once(peer.stdout, 'data');
        expect(JSON.parse(lines[1]!)).toMatchObject({
          received: { magic: 0xcafe, version: 1, type: 1 },
          signature: '53530102',
          text: 'hi python',
          crcOk: true,
        });
      } finally {
        if (peer.exitCode === null) peer.kill();
      }
    },
  );
});
