import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectTo, type ListeningAddress, runProgram, startServer, stopAllPrograms } from '@sockspec/app-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const dirs: string[] = [];

afterEach(async () => {
  await stopAllPrograms();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Everything a plain socket receives until the server closes, and whether it closed. */
async function readToEnd(address: ListeningAddress): Promise<string> {
  const socket = connectTo(address);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('utf8');
}

const clientArgs = (address: ListeningAddress): string[] =>
  'path' in address
    ? ['--transport', 'unix', '--unix', address.path]
    : ['--host', address.host, '--port', String(address.port)];

describe('sockspec-greeting-server', () => {
  it.each([['serial'], ['async'], ['threads'], ['processes']])(
    "says exactly 'Thank you for connecting' and closes, under --concurrency %s",
    async (model) => {
      const args = ['--port', '0', '--concurrency', model, ...(model === 'processes' ? ['--workers', '2'] : [])];
      const { address } = await startServer({ cwd, script: 'src/server.ts', args });
      expect(await readToEnd(address)).toBe('Thank you for connecting');
      expect(await readToEnd(address)).toBe('Thank you for connecting');
    },
  );

  it('--once serves one connection and exits 0, as handle_request() does', async () => {
    const { program, address } = await startServer({ cwd, script: 'src/server.ts', args: ['--port', '0', '--once'] });
    expect(await readToEnd(address)).toBe('Thank you for connecting');
    expect(await program.exited).toEqual({ code: 0, signal: null });
    expect(program.stderr.join('\n')).toMatch(/served one connection, shutting down/);
  });

  it('--once with --concurrency processes is a usage error with a reason', async () => {
    const result = await runProgram({
      cwd,
      script: 'src/server.ts',
      args: ['--port', '0', '--once', '--concurrency', 'processes'],
    });
    expect(result.code).toBe(2);
    expect(result.stderr.join('\n')).toMatch(/--once does not apply to --concurrency processes/);
  });

  it("answers Python's socket.recv(1024) with the greeting, then b'' (the server closed)", async () => {
    const { address } = await startServer({ cwd, script: 'src/server.ts', args: ['--port', '0'] });
    if ('path' in address) throw new Error('expected a tcp address');
    const python = spawn('python3', [
      '-c',
      [
        'import socket, sys',
        `s = socket.create_connection(("${address.host}", ${address.port}), timeout=5)`,
        'first = s.recv(1024)',
        'rest = b""',
        'while True:',
        '    data = s.recv(1024)',
        '    if not data: break',
        '    rest += data',
        'print(repr(first + rest))',
      ].join('\n'),
    ]);
    let stdout = '';
    python.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const [code] = (await once(python, 'close')) as [number];
    expect(code).toBe(0);
    expect(stdout.trim()).toBe("b'Thank you for connecting'");
  });
});

describe('sockspec-greeting-client', () => {
  it('prints the greeting and exits 0 when the server closes, over tcp and a unix socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sockspec-greeting-'));
    dirs.push(dir);
    for (const args of [
      ['--port', '0'],
      ['--transport', 'unix', '--unix', join(dir, 'greeting.sock')],
    ]) {
      const { address } = await startServer({ cwd, script: 'src/server.ts', args });
      const result = await runProgram({ cwd, script: 'src/client.ts', args: clientArgs(address) });
      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
        code: 0,
        stdout: ['Thank you for connecting'],
        stderr: [],
      });
    }
  });

  it('says where it could not connect, exit 1', async () => {
    const result = await runProgram({ cwd, script: 'src/client.ts', args: ['--port', '1'] });
    expect(result.code).toBe(1);
    expect(result.stderr[0]).toMatch(/^sockspec-greeting-client: .*127\.0\.0\.1:1/);
  });
});
