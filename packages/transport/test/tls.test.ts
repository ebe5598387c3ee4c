import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isSockspecError } from '@sockspec/errors';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, InvalidAddressError, listen, parseUrl, TlsHandshakeError } from '../src/index.js';
import {
  closeSilentAndDripping,
  drip,
  nextChannel,
  once,
  openDescriptors,
  Resources,
  rawPeers,
  readBytes,
} from './harness.js';
import { makeTlsFiles, type TlsFiles } from './tls-fixture.js';

const res = new Resources();
afterEach(async () => {
  vi.restoreAllMocks();
  await res.closeAll();
});

let files: TlsFiles;
beforeAll(async () => {
  files = await makeTlsFiles(await fs.mkdtemp(path.join(os.tmpdir(), 'sockspec-tls-')));
});
afterAll(() => fs.rm(files.dir, { recursive: true, force: true }));

function serverTls(extra: object = {}) {
  return { tls: { cert: files.serverCert, key: files.serverKey, ...extra } };
}

describe('tls', () => {
  it.each([
    ['127.0.0.1', /^tls:\/\/127\.0\.0\.1:\d+$/],
    ['::1', /^tls:\/\/\[::1\]:\d+$/],
  ])('round-trips over %s with a CA made at test time, on an ephemeral port', async (host, url) => {
    const listener = res.listener(await listen({ transport: 'tls', host, ...serverTls() }));
    expect(listener.address.port).toBeGreaterThan(0);
    expect(listener.address.url).toMatch(url);
    const accepted = nextChannel(listener);
    const client = res.channel(
      await connect({ ...parseUrl(listener.address.url), tls: { ca: files.caCert }, connectTimeoutMs: 5000 }),
    );
    expect(client.remote.transport).toBe('tls');
    const server = await accepted;
    const got = readBytes(server, 5);
    client.write(new TextEncoder().encode('hello'));
    expect((await got).toString()).toBe('hello');
    const back = readBytes(client, 3);
    server.write(new TextEncoder().encode('bye'));
    expect((await back).toString()).toBe('bye');
  });

  it('takes certificates as bytes as well as paths', async () => {
    const [cert, key, ca] = await Promise.all(
      [files.serverCert, files.serverKey, files.caCert].map((file) => fs.readFile(file)),
    );
    const listener = res.listener(await listen({ transport: 'tls', tls: { cert: cert!, key: key! } }));
    const client = res.channel(await connect({ transport: 'tls', port: listener.address.port, tls: { ca: ca! } }));
    expect(client.closed).toBe(false);
  });

  it('refuses a server whose CA the client does not trust, with a clear error', async () => {
    const listener = res.listener(await listen({ transport: 'tls', ...serverTls() }));
    const attempt = connect({ transport: 'tls', port: listener.address.port, tls: { ca: files.otherCaCert } });
    const error = await attempt.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect(isSockspecError(error, 'SOCKSPEC_TLS_HANDSHAKE_FAILED')).toBe(true);
    expect((error as TlsHandshakeError).tlsCode).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER/);
    expect((error as Error).message).toMatch(
      new RegExp(
        `TLS handshake with tls://127\\.0\\.0\\.1:${listener.address.port} failed: .*not trust.*pass tls\\.ca`,
      ),
    );
  });

  it('refuses a certificate that does not name the host', async () => {
    const listener = res.listener(await listen({ transport: 'tls', ...serverTls() }));
    const error = await connect({
      transport: 'tls',
      port: listener.address.port,
      tls: { ca: files.caCert, servername: 'example.org' },
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect((error as TlsHandshakeError).tlsCode).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('requestCert: a client without a certificate is refused, one signed by the CA gets in', async () => {
    const logs: string[] = [];
    const listener = res.listener(
      await listen({
        transport: 'tls',
        ...serverTls({ ca: files.caCert, requestCert: true }),
        transportLog: (line) => logs.push(line),
      }),
    );
    // TLS 1.3 finishes the client's side of the handshake before the server
    // has checked the client certificate, so the refusal reaches the client
    // as the server hanging up before sending anything.
    const anonymous = res.channel(
      await connect({ transport: 'tls', port: listener.address.port, tls: { ca: files.caCert } }),
    );
    const received: Uint8Array[] = [];
    anonymous.onData((chunk) => received.push(chunk));
    await once((done) => anonymous.onEnd(done));
    expect(received).toEqual([]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^tls:\/\/127\.0\.0\.1:\d+: TLS handshake with 127\.0\.0\.1:\d+ failed: .*did not return a certificate/,
    );

    const accepted = nextChannel(listener);
    const client = res.channel(
      await connect({
        transport: 'tls',
        port: listener.address.port,
        tls: { ca: files.caCert, cert: files.clientCert, key: files.clientKey },
      }),
    );
    const server = await accepted;
    const got = readBytes(server, 2);
    client.write(Uint8Array.of(1, 2));
    expect([...(await got)]).toEqual([1, 2]);
  });

  it('applies noDelay and keepAlive to TLS sockets as to plain TCP', async () => {
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    const keepAlive = vi.spyOn(net.Socket.prototype, 'setKeepAlive');
    const listener = res.listener(await listen({ transport: 'tls', ...serverTls() }));
    const client = res.channel(
      await connect({
        transport: 'tls',
        port: listener.address.port,
        tls: { ca: files.caCert },
        noDelay: false,
        keepAlive: 2500,
      }),
    );
    const onClient = (spy: typeof noDelay | typeof keepAlive) =>
      spy.mock.calls.filter((_, i) => (spy.mock.contexts[i] as net.Socket).localPort === client.local.port);
    expect(onClient(noDelay)).toEqual([[false]]);
    expect(onClient(keepAlive)).toEqual([[true, 2500]]);
  });

  it('frees the descriptor of a peer that closes before its handshake (a scan or a health check), without a log line', async () => {
    const lines: string[] = [];
    const listener = res.listener(
      await listen({ transport: 'tls', ...serverTls(), transportLog: (l) => lines.push(l) }),
    );
    const before = await openDescriptors();
    const closed = await rawPeers(listener.address.port, 100, (socket) => socket.end(), 5000);
    expect(closed.filter((after) => after === null)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Before the fix every one of these kept a server descriptor for good: +100.
    expect(await openDescriptors()).toBeLessThanOrEqual(before + 2);
    expect(lines).toEqual([]);
  });

  it('closes silent and dripping peers that do not finish the handshake within handshakeTimeoutMs', async () => {
    const lines: string[] = [];
    const listener = res.listener(
      await listen({ transport: 'tls', ...serverTls(), handshakeTimeoutMs: 300, transportLog: (l) => lines.push(l) }),
    );
    const before = await openDescriptors();
    // A ClientHello record header, one byte every 50 ms: every byte arrives inside the deadline.
    const hello = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];
    for (const after of await closeSilentAndDripping(listener.address.port, drip(hello))) {
      expect(after).toBeGreaterThanOrEqual(250);
    }
    expect(lines.length).toBe(40);
    expect(lines[0]).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed: TLS handshake timeout/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await openDescriptors()).toBeLessThanOrEqual(before + 2);
    // A real client is still served, and keeps its connection past the deadline.
    const accepted = nextChannel(listener);
    const client = res.channel(
      await connect({ transport: 'tls', port: listener.address.port, tls: { ca: files.caCert } }),
    );
    const server = await accepted;
    await new Promise((resolve) => setTimeout(resolve, 400));
    const got = readBytes(server, 2);
    client.write(Uint8Array.of(1, 2));
    expect([...(await got)]).toEqual([1, 2]);
  });

  it('keeps a connection half-open once the handshake is done: the peer ends its side and still reads the reply', async () => {
    const listener = res.listener(await listen({ transport: 'tls', ...serverTls() }));
    const accepted = nextChannel(listener);
    const client = res.channel(
      await connect({ transport: 'tls', port: listener.address.port, tls: { ca: files.caCert } }),
    );
    const server = await accepted;
    const request = readBytes(server, 3);
    const ended = once((done) => server.onEnd(done));
    client.write(new TextEncoder().encode('ask'));
    client.end();
    expect((await request).toString()).toBe('ask');
    await ended;
    const reply = readBytes(client, 6);
    server.write(new TextEncoder().encode('answer'));
    expect((await reply).toString()).toBe('answer');
  });

  it('checks tls options before binding', async () => {
    await expect(listen({ transport: 'tls' })).rejects.toThrow(
      /needs tls\.cert and tls\.key .* got no cert and no key/,
    );
    await expect(listen({ transport: 'tls', tls: { cert: '/nonexistent.crt', key: files.serverKey } })).rejects.toThrow(
      /cannot read tls\.cert from \/nonexistent\.crt: ENOENT/,
    );
    await expect(listen({ transport: 'tcp', ...serverTls() })).rejects.toThrow(InvalidAddressError);
    await expect(listen({ transport: 'tcp', handshakeTimeoutMs: 1000 })).rejects.toThrow(
      /handshakeTimeoutMs does not apply to transport tcp/,
    );
    await expect(listen({ transport: 'tls', ...serverTls(), handshakeTimeoutMs: 0 })).rejects.toThrow(
      InvalidAddressError,
    );
    await expect(connect({ transport: 'tls', port: 1, tls: { requestCert: true } })).rejects.toThrow(/listener option/);
  });
});
