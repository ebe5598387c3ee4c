import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, buildPackage, run, scratchWorkspace, sockspec } from './scratch-workspace.js';

/**
 * Every spec that `sockspec check` accepts must generate a package that
 * type-checks. Each fixture here is one that once passed check and then
 * failed in generate or tsc; all of them generate into one scratch project
 * and compile in one tsc run (a run per package costs seconds each).
 */
const FIXTURES = fileURLToPath(new URL('./fixtures/accepted/', import.meta.url));
const specs = Object.fromEntries(
  readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.protocol.yaml'))
    .sort()
    .map((name) => [name, readFileSync(join(FIXTURES, name), 'utf8')]),
);
const names = Object.keys(specs).map((file) => file.replace('.protocol.yaml', ''));

let scratch: ReturnType<typeof scratchWorkspace>;
beforeAll(() => {
  scratch = scratchWorkspace(specs);
});
afterAll(() => scratch?.remove());

describe('specs check accepts', () => {
  it('pass check, generate, and compile with tsc, together', () => {
    expect(sockspec(['check'], scratch.dir)).toBe(`checked ${names.length} specs: 0 errors, 0 warnings\n`);
    const written = sockspec(['generate'], scratch.dir);
    for (const name of names) expect(written).toContain(`wrote packages/protocols/${name} `);
    writeFileSync(
      join(scratch.dir, 'tsconfig.json'),
      JSON.stringify({
        extends: './tsconfig.base.json',
        compilerOptions: { noEmit: true, customConditions: ['development'], preserveSymlinks: true },
        include: names.map((name) => `packages/protocols/${name}/src/**/*.ts`),
      }),
    );
    run(join(BIN, 'tsc'), ['-p', 'tsconfig.json'], scratch.dir);
  }, 120_000);

  it('round-trips a string ended by 0xFF, which UTF-8 never uses', async () => {
    const pkg = join(scratch.dir, 'packages', 'protocols', 'high-terminator');
    buildPackage(pkg);
    const codec = (await import(pathToFileURL(join(pkg, 'dist', 'codec.js')).href)) as {
      encodeName(message: { name: string; tail: number }): Uint8Array;
      decodeClientMessage(frame: Uint8Array): unknown;
    };
    const frame = codec.encodeName({ name: 'Grüße ✓', tail: 7 });
    const body = Buffer.from(frame.subarray(3));
    expect(body.equals(Buffer.concat([Buffer.from('Grüße ✓'), Buffer.from([0xff, 7])]))).toBe(true);
    expect(codec.decodeClientMessage(frame)).toEqual({ type: 'Name', name: 'Grüße ✓', tail: 7 });
  }, 120_000);
});

interface ExtraHeaderPackage {
  createServer(
    handlers: { onPing(message: { version: number }): unknown },
    options: { log: (line: string) => void },
  ): {
    listen(): Promise<{ port: number }>;
    shutdown(options: { drainMs: number }): Promise<void>;
  };
  refuse(reason: string, text: string): unknown;
  createClient(options: { port: number }): Promise<{
    ping(message: { version: number; flags: { urgent: boolean; retry: boolean } }): Promise<unknown>;
    close(): Promise<void>;
  }>;
}

describe('a protocol whose header has fields besides the discriminator, with an errors message', () => {
  it('refuses and reports handler failures with those fields filled, and keeps serving', async () => {
    const pkg = join(scratch.dir, 'packages', 'protocols', 'extra-header-with-errors');
    buildPackage(pkg);
    const protocol = (await import(pathToFileURL(join(pkg, 'dist', 'index.js')).href)) as ExtraHeaderPackage;
    const logged: string[] = [];
    const server = protocol.createServer(
      {
        onPing(message) {
          if (message.version === 1) return protocol.refuse('badRequest', 'x'.repeat(5000));
          throw new Error('boom');
        },
      },
      { log: (line) => logged.push(line) },
    );
    const { port } = await server.listen();
    const client = await protocol.createClient({ port });
    try {
      const flags = { urgent: true, retry: false };
      const refused = await client.ping({ version: 1, flags }).catch((error: unknown) => error);
      // refuse() cannot know the request: zero values; its 5000-character text is cut to what fits the 1024-byte frame.
      expect(refused).toMatchObject({
        code: 'SOCKSPEC_REMOTE_ERROR',
        reply: { type: 'Failed', version: 0, flags: { urgent: false, retry: false }, reason: 'badRequest' },
      });
      // 1024 less the length prefix, op, version, flags, reason and the text's own u16 prefix: 1016 bytes, '…' included.
      const { text } = (refused as { reply: { text: string } }).reply;
      expect({ bytes: Buffer.byteLength(text), end: text.slice(-2) }).toEqual({ bytes: 1016, end: 'x…' });
      // A handler that throws is answered with the request's own header values, and the connection stays up.
      const failed = await client.ping({ version: 2, flags }).catch((error: unknown) => error);
      expect(failed).toMatchObject({ reply: { type: 'Failed', version: 2, flags, reason: 'internal' } });
      await expect(client.ping({ version: 1, flags })).rejects.toMatchObject({ reply: { reason: 'badRequest' } });
      expect(
        logged.filter((line) => line.includes('handler failed')),
        logged.join('\n'),
      ).toHaveLength(1);
    } finally {
      await client.close();
      await server.shutdown({ drainMs: 0 });
    }
  }, 120_000);
});

type PutFields =
  | { readonly version: 1; readonly count: number }
  | { readonly version: 2; readonly name: string; readonly tags: readonly number[] }
  | { readonly version: number };
type StoredReply =
  | { readonly found: true; readonly spare: number; readonly size: number; readonly note: string }
  | { readonly found: false; readonly spare: number };

interface SwitchedPackage {
  createServer(
    handlers: { onPut(message: PutFields): StoredReply & { readonly type: 'Stored' } },
    options: { log: (line: string) => void },
  ): { listen(): Promise<{ port: number }>; shutdown(options: { drainMs: number }): Promise<void> };
  createClient(options: { port: number }): Promise<{
    put(message: PutFields): Promise<StoredReply & { type: 'Stored' }>;
    close(): Promise<void>;
  }>;
  encodePut(message: PutFields & { readonly id: number; readonly priority?: 'low' | 'normal' | 'high' }): Uint8Array;
}

describe('a protocol with switch: layouts chosen by an earlier field', () => {
  it('sends each case of a request and a reply over loopback, the id omitted from every case', async () => {
    const pkg = join(scratch.dir, 'packages', 'protocols', 'switched');
    buildPackage(pkg);
    const protocol = (await import(pathToFileURL(join(pkg, 'dist', 'index.js')).href)) as SwitchedPackage;
    const server = protocol.createServer(
      {
        onPut(message) {
          // Each request case has its own fields; the reply's flag chooses whether it carries a size and note.
          if (message.version === 1 && 'count' in message)
            return { type: 'Stored', found: true, spare: 0, size: message.count, note: 'one' };
          if (message.version === 2 && 'name' in message)
            return { type: 'Stored', found: true, spare: 5, size: message.tags.length, note: message.name };
          return { type: 'Stored', found: false, spare: 0 };
        },
      },
      { log: (line) => process.stderr.write(`${line}\n`) },
    );
    const { port } = await server.listen();
    const client = await protocol.createClient({ port });
    try {
      expect(await client.put({ version: 1, count: 7 })).toMatchObject({
        type: 'Stored',
        found: true,
        size: 7,
        note: 'one',
      });
      expect(await client.put({ version: 2, name: 'né', tags: [1, 2, 3] })).toMatchObject({
        found: true,
        spare: 5,
        size: 3,
        note: 'né',
      });
      const other = await client.put({ version: 9 });
      expect(other).toMatchObject({ type: 'Stored', found: false, spare: 0 });
      expect('size' in other && other.size !== undefined).toBe(false);
    } finally {
      await client.close();
      await server.shutdown({ drainMs: 0 });
    }
    // The wire, from the byte table: length u16, type, id u32, version, then the case's fields.
    const codec = (await import(pathToFileURL(join(pkg, 'dist', 'codec.js')).href)) as SwitchedPackage;
    // A priority left out is its default, normal (2).
    expect(Buffer.from(codec.encodePut({ id: 1, version: 2, name: 'ab', tags: [0x102] })).toString('hex')).toBe(
      '000c' + '01' + '00000001' + '02' + '02' + '02' + '6162' + '0102',
    );
    expect(Buffer.from(codec.encodePut({ id: 1, priority: 'high', version: 3 })).toString('hex')).toBe(
      '0007' + '01' + '00000001' + '03' + '03',
    );
    // A case's fields given under another case's value are refused before anything is sent.
    expect(() => codec.encodePut({ id: 1, version: 1 } as never)).toThrow(/count.*exactly when version is 1/);
  }, 120_000);
});

interface HeadedPackage {
  createServer(
    handlers: {
      onSend(message: {
        destination: string;
        headers: readonly { key: string; value: string }[];
        body: string;
      }): unknown;
    },
    options: { log: (line: string) => void },
  ): { listen(): Promise<{ port: number }>; shutdown(options: { drainMs: number }): Promise<void> };
  createClient(options: { port: number }): Promise<{
    /** `send` is TypedClient's (send any message): the Send request's method is sendRequest. */
    sendRequest(message: {
      destination: string;
      headers: readonly { key: string; value: string }[];
      body: string;
    }): Promise<{ counters: readonly { name: string; count: number }[] }>;
    close(): Promise<void>;
  }>;
  encodeSend(message: {
    destination: string;
    headers: readonly { key: string; value: string }[];
    body: string;
  }): Uint8Array;
}

describe('a protocol with header lists in their other forms (LF lines, exact names, a string body, a "." end line)', () => {
  it('sends a string body sized by a case-sensitive header and gets a list that ends at "."', async () => {
    const pkg = join(scratch.dir, 'packages', 'protocols', 'headed');
    buildPackage(pkg);
    const protocol = (await import(pathToFileURL(join(pkg, 'dist', 'index.js')).href)) as HeadedPackage;
    const body = 'héllo\n\nworld';
    const headers = [
      { key: 'content-length', value: String(Buffer.byteLength(body)) },
      { key: 'receipt', value: 'a:b' },
    ];
    expect(Buffer.from(protocol.encodeSend({ destination: '/queue/a', headers, body })).toString()).toBe(
      `SEND /queue/a\ncontent-length:13\nreceipt:a:b\n\n${body}`,
    );
    // Names are compared as written here (no ignoreCase): Content-Length is just another header, so the body is empty.
    expect(() =>
      protocol.encodeSend({ destination: '/q', headers: [{ key: 'Content-Length', value: '1' }], body: 'x' }),
    ).toThrow(/a line whose key is content-length, since body is not empty/);
    const server = protocol.createServer(
      {
        onSend: (message) => ({
          type: 'Stats',
          destination: message.destination,
          counters: [
            { name: 'bytes', count: Buffer.byteLength(message.body) },
            { name: 'headers', count: message.headers.length },
          ],
        }),
      },
      { log: () => {} },
    );
    const { port } = await server.listen();
    const client = await protocol.createClient({ port });
    try {
      const stats = await client.sendRequest({ destination: '/queue/a', headers, body });
      expect(stats.counters).toEqual([
        { name: 'bytes', count: 13 },
        { name: 'headers', count: 2 },
      ]);
    } finally {
      await client.close();
      await server.shutdown({ drainMs: 0 });
    }
  }, 120_000);
});
