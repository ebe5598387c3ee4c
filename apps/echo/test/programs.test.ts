import { fileURLToPath } from 'node:url';
import { describeLineProgram, runPythonClient, startServer, stopAllPrograms } from '@sockspec/app-kit/testing';
import { framing } from '@sockspec/protocol-echo';
import { afterEach, describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));

describeLineProgram({
  protocol: 'line-echo',
  cwd,
  scripts: { server: 'src/line-server.ts', client: 'src/line-client.ts' },
  maxFrameBytes: framing.maxFrameBytes,
  expectReply: (line, reply) => expect(reply).toBe(line),
});

describe('sockspec-line-echo-server, bytes on the wire', () => {
  afterEach(stopAllPrograms);

  it("sends a Python socket client's b'hello\\n' back as exactly b'hello\\n'", async () => {
    const { address } = await startServer({ cwd, script: 'src/line-server.ts', args: ['--port', '0'] });
    if ('path' in address) throw new Error('expected a tcp address');
    const result = await runPythonClient({ host: address.host, port: address.port, sends: ['hello\n'], lines: 1 });
    expect(result.received).toBe("b'hello\\n'");
  });

  it("answers a line ending in CR (b'x\\r\\r\\n', which the decoder reads as 'x\\r') with the same bytes", async () => {
    const { address } = await startServer({ cwd, script: 'src/line-server.ts', args: ['--port', '0'] });
    if ('path' in address) throw new Error('expected a tcp address');
    const result = await runPythonClient({ host: address.host, port: address.port, sends: ['x\r\r\n'], lines: 1 });
    expect(result.received).toBe("b'x\\r\\r\\n'");
  });

  it('sends UTF-8 back byte for byte', async () => {
    const { address } = await startServer({ cwd, script: 'src/line-server.ts', args: ['--port', '0'] });
    if ('path' in address) throw new Error('expected a tcp address');
    const result = await runPythonClient({
      host: address.host,
      port: address.port,
      sends: ['h\u00e9llo \u2713\n'],
      lines: 1,
    });
    expect(result.received).toBe("b'h\\xc3\\xa9llo \\xe2\\x9c\\x93\\n'");
  });

  it.each([
    ['udp', ['--port', '0']],
    ['udp6', ['--host', '::1', '--port', '0']],
  ] as const)(
    "answers a Python SOCK_DGRAM sendto(b'hi') over %s with b'hi\\n', one datagram each",
    async (transport, where) => {
      const { address } = await startServer({
        cwd,
        script: 'src/line-server.ts',
        args: ['--transport', transport, ...where],
      });
      if ('path' in address) throw new Error(`expected a ${transport} address`);
      const family: 'inet' | 'inet6' = transport === 'udp6' ? 'inet6' : 'inet';
      // `datagram` is a field interop_client.py reads; built apart so it passes as a PythonClientRequest.
      const request = {
        host: address.host,
        port: address.port,
        family,
        sends: ['hi', 'there\n'],
        lines: 2,
        datagram: true,
      };
      const result = await runPythonClient(request);
      expect(result.received).toBe("b'hi\\nthere\\n'");
    },
  );
});
