import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  connectTo,
  describeLineProgram,
  exchange,
  runPythonClient,
  startServer,
  stopAllPrograms,
} from '@sockspec/app-kit/testing';
import { framing } from '@sockspec/protocol-timestamp';
import { afterEach, describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));
/** Server and Python client agree on the zone, so the server's ctime can be compared with Python's. */
const UTC = { TZ: 'UTC' };
const CTIME =
  '(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describeLineProgram({
  protocol: 'timestamp',
  cwd,
  maxFrameBytes: framing.maxFrameBytes,
  env: UTC,
  expectReply(line, reply, ctimes) {
    expect(reply).toMatch(new RegExp(`^\\[${CTIME}\\] ${escapeRegExp(line)}$`));
    if (ctimes !== undefined) expect(ctimes.map((ctime) => `[${ctime}] ${line}`)).toContain(reply);
  },
});

describe('sockspec-timestamp-server, bytes on the wire', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await stopAllPrograms();
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it.each(['tcp', 'unix'] as const)(
    "answers b'hi\\n' over %s with exactly what Python prints for '[%%s] %%s' %% (ctime(), data)",
    async (transport) => {
      const dir = await mkdtemp(join(tmpdir(), 'sockspec-timestamp-'));
      dirs.push(dir);
      const args = transport === 'unix' ? ['--unix', join(dir, 'ts.sock')] : ['--port', '0'];
      const { address } = await startServer({ cwd, script: 'src/server.ts', args, env: UTC });
      const peer = 'path' in address ? { unix: address.path } : { host: address.host, port: address.port };
      const result = await runPythonClient({ ...peer, sends: ['hi\n'], lines: 1 }, UTC);
      expect(result.received).toMatch(new RegExp(`^b'\\[${CTIME}\\] hi\\\\n'$`));
      expect(result.ctimes.map((ctime) => `b'[${ctime}] hi\\n'`)).toContain(result.received);
    },
  );

  it('answers the longest Stamp it accepts (4068 bytes) in one full frame, and refuses one byte more with a log line', async () => {
    const { program, address } = await startServer({ cwd, script: 'src/server.ts', args: ['--port', '0'], env: UTC });
    const longest = 'x'.repeat(4068);
    const reply = await exchange(connectTo(address), `${longest}\n`, 1);
    // "[" + 24-character ctime + "] " + text + "\n" = exactly maxFrameBytes.
    expect(Buffer.byteLength(reply)).toBe(framing.maxFrameBytes);
    expect(reply).toMatch(new RegExp(`^\\[${CTIME}\\] x{4068}\\n$`));
    const tooLong = connectTo(address);
    await once(tooLong, 'connect');
    const closed = once(tooLong, 'close');
    tooLong.write(`${longest}y\n`);
    await closed;
    expect(await program.stderrLine(0)).toMatch(/SOCKSPEC_FIELD_TOO_LARGE.*4068/);
  });

  it.each(['udp', 'unix-dgram'] as const)(
    "answers a Python SOCK_DGRAM sendto(b'hi') over %s with exactly b'[<ctime>] hi\\n', as the tutorials' UDP server does",
    async (transport) => {
      const dir = await mkdtemp(join(tmpdir(), 'sockspec-timestamp-'));
      dirs.push(dir);
      const where = transport === 'unix-dgram' ? ['--unix', join(dir, 'ts.sock')] : ['--port', '0'];
      const args = ['--transport', transport, ...where];
      const { address } = await startServer({ cwd, script: 'src/server.ts', args, env: UTC });
      const peer = 'path' in address ? { unix: address.path } : { host: address.host, port: address.port };
      // `datagram` is a field interop_client.py reads; built apart so it passes as a PythonClientRequest.
      const request = { ...peer, sends: ['hi'], lines: 1, datagram: true };
      const result = await runPythonClient(request, UTC);
      expect(result.received).toMatch(new RegExp(`^b'\\[${CTIME}\\] hi\\\\n'$`));
      expect(result.ctimes.map((ctime) => `b'[${ctime}] hi\\n'`)).toContain(result.received);
    },
  );
});
