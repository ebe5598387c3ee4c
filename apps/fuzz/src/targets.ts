import { fileURLToPath } from 'node:url';
import * as chat from '@sockspec/protocol-chat';
import * as echo from '@sockspec/protocol-echo';
import * as fileTransfer from '@sockspec/protocol-file-transfer';
import * as http from '@sockspec/protocol-http';
import * as timestamp from '@sockspec/protocol-timestamp';

/** A shipped server under fuzz: how to start it, valid frames to mutate, and a well-behaved request to probe it with. */
export interface FuzzTarget {
  readonly name: string;
  /** The server program, run from source in a child process. */
  readonly script: string;
  /** Arguments beyond `--port 0`; `dir` is a fresh temp directory the run removes. */
  args(dir: string): string[];
  /** Valid client frames, as the generated codec encodes them. */
  seeds(): Uint8Array[];
  /** One request through the generated client; rejects if the server does not answer it correctly. */
  probe(host: string, port: number, timeoutMs: number): Promise<void>;
}

const app = (name: string, script = 'server'): string =>
  fileURLToPath(new URL(`../../${name}/src/${script}.ts`, import.meta.url));
const SHA = new Uint8Array(32).fill(0xab);

const echoTarget: FuzzTarget = {
  name: 'echo',
  script: app('echo', 'line-server'),
  args: () => [],
  seeds: () =>
    ['hello', '', 'a line with spaces', 'ünïcödé ✓', 'x'.repeat(300)].map((text) =>
      echo.encodeClientMessage({ type: 'Line', text }),
    ),
  async probe(host, port, timeoutMs) {
    const client = await echo.createClient({ host, port, connectTimeoutMs: timeoutMs });
    try {
      const reply = await client.line({ text: 'probe' }, { timeoutMs });
      if (reply.text !== 'probe') throw new Error(`echo probe: got ${JSON.stringify(reply.text)}`);
    } finally {
      await client.close();
    }
  },
};

const timestampTarget: FuzzTarget = {
  name: 'timestamp',
  script: app('timestamp'),
  args: () => [],
  seeds: () =>
    ['hello', '', 'what time is it', 'ünïcödé', 'y'.repeat(200)].map((text) =>
      timestamp.encodeClientMessage({ type: 'Stamp', text }),
    ),
  async probe(host, port, timeoutMs) {
    const client = await timestamp.createClient({ host, port, connectTimeoutMs: timeoutMs });
    try {
      const reply = await client.stamp({ text: 'probe' }, { timeoutMs });
      if (reply.text !== 'probe') throw new Error(`timestamp probe: got ${JSON.stringify(reply.text)}`);
    } finally {
      await client.close();
    }
  },
};

const chatTarget: FuzzTarget = {
  name: 'chat',
  script: app('chat'),
  args: () => [],
  seeds: () =>
    (
      [
        { type: 'Join', id: 1, nick: 'fuzz', room: 'general' },
        { type: 'Say', id: 2, room: 'general', text: 'hello room' },
        { type: 'Whisper', id: 3, to: 'fuzz', text: 'psst' },
        { type: 'Leave', id: 4, room: 'general' },
        { type: 'ListRooms', id: 5 },
        { type: 'ListMembers', id: 6, room: 'general' },
      ] as const
    ).map((message) => chat.encodeClientMessage(message)),
  async probe(host, port, timeoutMs) {
    const client = await chat.createClient({ host, port, connectTimeoutMs: timeoutMs });
    try {
      const rooms = await client.listRooms({}, { timeoutMs });
      if (rooms.type !== 'Rooms') throw new Error(`chat probe: got ${rooms.type}`);
    } finally {
      await client.close();
    }
  },
};

const fileTransferTarget: FuzzTarget = {
  name: 'file-transfer',
  script: app('file-transfer'),
  args: (dir) => ['--root', dir, '--max-file-bytes', '65536'],
  seeds: () =>
    (
      [
        { type: 'List', id: 1, path: '' },
        { type: 'Offer', id: 2, path: 'a/b.txt', size: 10n, sha256: SHA },
        { type: 'Upload', id: 3, path: 'a/b.txt', size: 10n, sha256: SHA, offset: 0n, held: SHA },
        { type: 'Data', id: 3, bytes: new TextEncoder().encode('0123456789') },
        { type: 'End', id: 3 },
        { type: 'Get', id: 4, path: 'a/b.txt', offset: 0n },
      ] as const
    ).map((message) => fileTransfer.encodeClientMessage(message)),
  async probe(host, port, timeoutMs) {
    const client = await fileTransfer.createClient({ host, port, connectTimeoutMs: timeoutMs });
    try {
      const listing = await client.list({ path: '' }, { timeoutMs });
      if (listing.type !== 'Listing') throw new Error(`file-transfer probe: got ${listing.type}`);
    } finally {
      await client.close();
    }
  },
};

const host = { name: 'Host', value: 'fuzz' };
const webTarget: FuzzTarget = {
  name: 'web',
  script: app('web'),
  args: () => ['--root', fileURLToPath(new URL('../../web/site', import.meta.url))],
  seeds: () =>
    (
      [
        { method: 'GET', target: '/', headers: [host, { name: 'Accept', value: '*/*' }], body: '' },
        { method: 'HEAD', target: '/logo.svg', headers: [host], body: '' },
        {
          method: 'GET',
          target: '/style.css?v=1',
          headers: [host, { name: 'Connection', value: 'keep-alive' }],
          body: '',
        },
        { method: 'POST', target: '/form', headers: [host, { name: 'Content-Length', value: '9' }], body: 'a=1&b=two' },
        {
          method: 'GET',
          target: 'http://fuzz/index.html',
          headers: [host, { name: 'If-None-Match', value: '"x"' }],
          body: '',
        },
      ] as const
    ).map(({ body, ...request }) =>
      http.encodeClientMessage({ type: 'Request', version: '1.1', ...request, body: new TextEncoder().encode(body) }),
    ),
  async probe(host, port, timeoutMs) {
    const client = await http.createClient({ host, port, connectTimeoutMs: timeoutMs });
    try {
      const request = { method: 'GET', target: '/', version: '1.1', headers: [{ name: 'Host', value: 'probe' }] };
      const response = await client.request({ ...request, body: new Uint8Array(0) }, { timeoutMs });
      if (response.status !== 200) throw new Error(`web probe: got ${response.status} ${response.reason}`);
    } finally {
      await client.close();
    }
  },
};

/** Every shipped server, by protocol name. */
export const FUZZ_TARGETS: ReadonlyMap<string, FuzzTarget> = new Map(
  [echoTarget, timestampTarget, chatTarget, fileTransferTarget, webTarget].map((target) => [target.name, target]),
);
