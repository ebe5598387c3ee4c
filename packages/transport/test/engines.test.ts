/**
 * The server and client engines over every transport this package added,
 * unchanged: a tiny hand-written protocol (upper-case the request and send
 * it back) as lines on the stream transports and one message per datagram
 * on the datagram ones. The engines are imported by path, not as workspace
 * dependencies, because they depend on this package.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClientProtocol, connectProtocolClient, type ProtocolClient } from '../../client/src/index.js';
import { createProtocolServer, type ProtocolServer, type ServerProtocol } from '../../server/src/index.js';
import { isDatagramTransport, parseUrl, type TransportKind } from '../src/index.js';
import { makeTlsFiles, type TlsFiles } from './tls-fixture.js';

type Framing = ServerProtocol<string>['framing'];

const lineFraming: Framing = {
  kind: 'delimited',
  delimiter: [0x0a],
  keepDelimiter: false,
  stripCarriageReturn: false,
  maxFrameBytes: 1024,
};
const datagramFraming: Framing = { kind: 'datagram', maxFrameBytes: 1024 };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function protocols(kind: TransportKind) {
  const datagram = isDatagramTransport(kind);
  const framing = datagram ? datagramFraming : lineFraming;
  const frame = (text: string) => encoder.encode(datagram ? text : `${text}\n`);
  const server: ServerProtocol<string> = {
    name: 'upper',
    framing,
    decode: (bytes) => utf8.decode(bytes),
    dispatch: (text, connection) => connection.send(frame(`${text.toUpperCase()} #${connection.id}`)),
    idleTimeoutMs: null,
  };
  const client: ClientProtocol<string> = { name: 'upper', framing, decode: (bytes) => utf8.decode(bytes) };
  return { server, client, frame };
}

const servers: ProtocolServer[] = [];
const clients: ProtocolClient<string>[] = [];
let dir: string;
let tls: TlsFiles;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sockspec-engines-'));
  tls = await makeTlsFiles(dir);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.shutdown({ drainMs: 200 })));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const isText = (message: string): message is string => typeof message === 'string';

describe.each<[TransportKind, () => object, () => object]>([
  ['udp', () => ({}), () => ({})],
  ['udp6', () => ({}), () => ({})],
  ['unix-dgram', () => ({ path: path.join(dir, 'server.sock') }), () => ({})],
  ['tls', () => ({ tls: { cert: tls.serverCert, key: tls.serverKey } }), () => ({ tls: { ca: tls.caCert } })],
  ['websocket', () => ({ websocket: { path: '/upper' } }), () => ({})],
])('the engines over %s', (kind, serverOptions, clientOptions) => {
  it('serve requests from two clients, each reply to its sender', async () => {
    const { server: serverProtocol, client: clientProtocol, frame } = protocols(kind);
    const logs: string[] = [];
    const server = createProtocolServer(serverProtocol, {
      transport: kind,
      ...serverOptions(),
      log: (line) => logs.push(line),
    });
    servers.push(server);
    const address = await server.listen();
    expect(address.transport).toBe(kind);
    const endpoint = parseUrl(address.url);
    const connectClient = async () => {
      const client = await connectProtocolClient(clientProtocol, { ...endpoint, ...clientOptions() });
      clients.push(client);
      return client;
    };
    const [a, b] = [await connectClient(), await connectClient()];
    expect(await a.request(frame('hello'), isText)).toBe('HELLO #1');
    expect(await b.request(frame('there'), isText)).toBe('THERE #2');
    const burst = await Promise.all(['x', 'y', 'z'].map((text) => a.request(frame(text), isText)));
    expect(burst).toEqual(['X #1', 'Y #1', 'Z #1']);
    expect(logs).toEqual([]);
  });
});
