import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/echo-listener.ts', import.meta.url));
/** Low enough that 150 idle peers exhaust it, high enough for node and tsx to start (they use about 30). */
const LIMIT = 100;

const children: ChildProcess[] = [];
const sockets: net.Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function startWithLimit(): Promise<{ port: number; stderr: () => string }> {
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${LIMIT} && exec "$0" "$@"`,
      process.execPath,
      '--conditions=development',
      '--import',
      'tsx',
      FIXTURE,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /port (\d+)/.exec(out);
      if (match !== null) resolve({ port: Number(match[1]), stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited ${code}: ${err}`)));
  });
}

function open(port: number): net.Socket {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  sockets.push(socket);
  return socket;
}

function echo(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = open(port);
    let got = '';
    socket.on('data', (chunk) => {
      got += chunk.toString();
      if (got.length >= text.length) resolve(got);
    });
    socket.on('close', () => resolve(got));
    socket.write(text);
  });
}

describe('running out of file descriptors', () => {
  it('logs that the OS refuses connections (EMFILE) once, and serves again when peers leave', async () => {
    const { port, stderr } = await startWithLimit();
    const idle = Array.from({ length: 150 }, () => open(port));
    await expect
      .poll(stderr, { timeout: 5000, interval: 100 })
      .toMatch(
        /(all|\d+) of 100 file descriptors are open \(ulimit -n\): the operating system refuses new connections \(EMFILE\)/,
      );
    expect(stderr().match(/EMFILE/g)).toHaveLength(1);
    for (const socket of idle) socket.destroy();
    await expect.poll(() => echo(port, 'still here'), { timeout: 5000, interval: 200 }).toBe('still here');
  }, 20_000);
});
