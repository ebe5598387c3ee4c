import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, type FramingConfig } from '@sockspec/codec';
import { SockspecError } from '@sockspec/errors';
import { afterEach } from 'vitest';
import type { ClientOptions, ClientProtocol } from '../../src/index.js';

export const lineFraming: FramingConfig = {
  kind: 'delimited',
  delimiter: [0x0a],
  keepDelimiter: false,
  stripCarriageReturn: true,
  maxFrameBytes: 1024,
};

/** What the fake servers send: `PUSH text` is a push, `BAD` does not decode, anything else is a reply. */
export type ServerLine =
  | { readonly type: 'reply'; readonly text: string }
  | { readonly type: 'push'; readonly text: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

export const lineClientProtocol: ClientProtocol<ServerLine> = {
  name: 'line',
  framing: lineFraming,
  decode(frame) {
    const text = utf8.decode(frame);
    if (text === 'BAD') throw new SockspecError('SOCKSPEC_UNKNOWN_MESSAGE', "line: unknown server message 'BAD'");
    return text.startsWith('PUSH ') ? { type: 'push', text: text.slice(5) } : { type: 'reply', text };
  },
};

export const isReply = (message: ServerLine): message is Extract<ServerLine, { type: 'reply' }> =>
  message.type === 'reply';

export function line(text: string): Uint8Array {
  return encodeFrame(lineFraming, encoder.encode(text));
}

/** Calls `onLine` for each line a client sends; gives the raw socket for the reply. */
export function onLines(socket: net.Socket, onLine: (text: string) => void): void {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
}

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
const tempDirs: string[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export type Where = 'tcp' | 'tcp6' | 'unix';

/** A plain node:net server playing the server side, and client options that reach it. */
export async function fakeServer(
  onSocket: (socket: net.Socket) => void,
  where: Where = 'tcp',
  serverOptions: net.ServerOpts = {},
): Promise<ClientOptions> {
  const server = net.createServer(serverOptions, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  servers.push(server);
  if (where === 'unix') {
    const dir = mkdtempSync(join(tmpdir(), 'sockspec-client-'));
    tempDirs.push(dir);
    const path = join(dir, 'fake.sock');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return { transport: 'unix', path };
  }
  const host = where === 'tcp6' ? '::1' : '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  return { transport: where, host, port };
}

/** A fake server that answers every line with the same line. */
export function echoServer(where: Where = 'tcp'): Promise<ClientOptions> {
  return fakeServer((socket) => onLines(socket, (text) => socket.write(`${text}\n`)), where);
}
