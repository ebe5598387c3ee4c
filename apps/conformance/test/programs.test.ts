import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram, startServer, stopAllPrograms } from '@sockspec/app-kit/testing';
import { isDatagramTransport, parseUrl, TRANSPORT_KINDS } from '@sockspec/transport';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packageDir } from '../src/index.js';
import { makeTlsFiles, type TlsFiles } from './tls-files.js';

/**
 * The programs' transport flags, end to end: the echo server and client
 * programs over every stream transport the transport package offers (the
 * matrix covers what each spec declares; this covers the command lines).
 */
const STREAM_TRANSPORTS = TRANSPORT_KINDS.filter((kind) => !isDatagramTransport(kind));
const cwd = packageDir('@sockspec/app-echo');

let dir: string;
let tls: TlsFiles;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sockspec-programs-'));
  tls = await makeTlsFiles(dir);
});
afterEach(stopAllPrograms);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('echo programs over every stream transport', () => {
  it.each(STREAM_TRANSPORTS)('%s: the server prints its URL, the client gets every line back', async (transport) => {
    const serverArgs = ['--transport', transport];
    if (transport === 'unix') serverArgs.push('--unix', join(dir, 'echo.sock'));
    else serverArgs.push('--port', '0');
    if (transport === 'tls') serverArgs.push('--cert', tls.cert, '--key', tls.key);
    if (transport === 'websocket') serverArgs.push('--ws-path', '/echo');
    const { program, address } = await startServer({ cwd, script: 'src/server.ts', args: serverArgs });
    expect(address.transport).toBe(transport);
    expect(program.stdout).toHaveLength(1);

    const endpoint = parseUrl(address.url);
    const clientArgs = ['--transport', transport];
    if ('path' in endpoint) clientArgs.push('--unix', endpoint.path);
    else clientArgs.push('--host', endpoint.host, '--port', String(endpoint.port));
    if (transport === 'tls') clientArgs.push('--ca', tls.cert);
    if ('websocket' in endpoint) clientArgs.push('--ws-path', endpoint.websocket.path);
    const client = await runProgram({
      cwd,
      script: 'src/client.ts',
      args: clientArgs,
      input: 'one\nünï ✓\n\nlast\n',
    });
    expect({ code: client.code, stdout: client.stdout, stderr: client.stderr }).toEqual({
      code: 0,
      stdout: ['one', 'ünï ✓', '', 'last'],
      stderr: [],
    });
    expect(await program.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('a tls client that does not trust the server certificate fails with one clear line', async () => {
    const { address } = await startServer({
      cwd,
      script: 'src/server.ts',
      args: ['--transport', 'tls', '--port', '0', '--cert', tls.cert, '--key', tls.key],
    });
    const endpoint = parseUrl(address.url);
    const client = await runProgram({
      cwd,
      script: 'src/client.ts',
      args: ['--transport', 'tls', '--port', String('port' in endpoint ? endpoint.port : 0)],
      input: 'one\n',
    });
    expect(client.code).toBe(1);
    expect(client.stderr).toHaveLength(1);
    expect(client.stderr[0]).toMatch(/^sockspec-echo-client: .*(certificate|self-signed|verify)/i);
  });
});
