import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, buildPackage, run, scratchWorkspace, sockspec } from './scratch-workspace.js';

/** A protocol none of the workspace specs describe: binary, little-endian, nested lists, optionals, enums, flags. */
const TELEMETRY_SPEC = `# Devices report batches of samples; the server says how many it kept.
protocol: telemetry
version: 0.1.0
description: Devices report batches of samples and get a receipt.
transports: [tcp]
byteOrder: little
framing: { kind: length-prefixed, length: { type: u16 }, maxFrameBytes: 4096 }
header:
  op: { type: u8, discriminator: true }
  seq: { type: u16, correlation: true }
types:
  Level: { type: u8, values: { debug: 0, info: 1, warn: 2 } }
  Sample:
    fields:
      at: { type: timestamp, format: unix-millis }
      value: f64
      tags: { items: { type: string, length: u8, maxBytes: 16 }, count: u8, maxCount: 4 }
messages:
  Report:
    code: 1
    from: client
    description: A batch of samples from one device.
    fields:
      device: { type: string, length: u8, maxBytes: 32, pattern: '^[a-z0-9-]+$' }
      level: Level
      samples: { items: Sample, count: u16, maxCount: 64 }
      note: { type: string, length: u16, maxBytes: 200, optional: true }
  Receipt:
    code: 2
    from: server
    description: How much of the batch was kept.
    fields:
      kept: u16
      total: u64
      status: { type: u8, flags: { stored: 0, throttled: 1 } }
behavior:
  Report: { handler: { replies: [Receipt] } }
`;

const temps: { remove(): void }[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const temp of temps.splice(0)) temp.remove();
});

interface TelemetryPackage {
  createServer(
    handlers: {
      onReport(message: Record<string, unknown>): Record<string, unknown>;
    },
    options: { log: () => void },
  ): {
    listen(): Promise<{ host: string; port: number }>;
    shutdown(options: { drainMs: number }): Promise<void>;
  };
  createClient(options: { host: string; port: number }): Promise<{
    report(message: Record<string, unknown>): Promise<Record<string, unknown>>;
    close(): Promise<void>;
  }>;
  encodeReport(message: Record<string, unknown>): Uint8Array;
}

// Two CLI runs and two tsc runs take seconds alone, far longer while the whole workspace tests in parallel.
describe('define your own protocol', () => {
  it('a new spec generates with the CLI, compiles with tsc, and talks over 127.0.0.1', async () => {
    const scratch = scratchWorkspace({ 'telemetry.protocol.yaml': TELEMETRY_SPEC });
    temps.push(scratch);
    const workspace = scratch.dir;
    expect(sockspec(['check'], workspace)).toBe('checked 1 spec: 0 errors, 0 warnings\n');
    expect(sockspec(['generate'], workspace)).toMatch(/^wrote packages\/protocols\/telemetry \(\d+ files/m);
    const pkg = join(workspace, 'packages', 'protocols', 'telemetry');
    const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
    expect(readme).toContain(
      '| 6 + len(device) | 1 | level | Level: enum u8 (debug=0, info=1, warn=2) | 0 = debug, 1 = info, 2 = warn; anything else is an error |',
    );

    // The generated tsconfig resolves the runtime packages to their sources; the build emits JavaScript from it.
    run(join(BIN, 'tsc'), ['-p', 'tsconfig.json'], pkg);
    buildPackage(pkg);

    const telemetry = (await import(pathToFileURL(join(pkg, 'dist', 'index.js')).href)) as TelemetryPackage;
    const reports: Record<string, unknown>[] = [];
    const server = telemetry.createServer(
      {
        onReport(message) {
          reports.push(message);
          const samples = message.samples as unknown[];
          return {
            type: 'Receipt',
            seq: message.seq,
            kept: samples.length,
            total: 2n ** 40n,
            status: { stored: true, throttled: samples.length > 1 },
          };
        },
      },
      { log: () => {} },
    );
    cleanups.push(() => server.shutdown({ drainMs: 100 }));
    const address = await server.listen();
    expect(address.host).toBe('127.0.0.1');
    const client = await telemetry.createClient({ host: address.host, port: address.port });
    cleanups.push(() => client.close());

    const samples = [
      { at: new Date('2026-11-03T09:05:03.250Z'), value: 21.5, tags: ['kitchen', 'wall'] },
      { at: new Date('2026-11-03T09:05:04.000Z'), value: -3, tags: [] },
    ];
    const receipt = await client.report({ device: 'sensor-7', level: 'warn', samples, note: 'héllo' });
    expect(receipt).toMatchObject({
      type: 'Receipt',
      kept: 2,
      total: 2n ** 40n,
      status: { stored: true, throttled: true },
    });
    const quiet = await client.report({ device: 'sensor-8', level: 'debug', samples: [], note: undefined });
    expect(quiet).toMatchObject({ type: 'Receipt', kept: 0, status: { stored: true, throttled: false } });
    expect(reports.map((report) => ({ ...report, seq: undefined }))).toEqual([
      { type: 'Report', seq: undefined, device: 'sensor-7', level: 'warn', samples, note: 'héllo' },
      { type: 'Report', seq: undefined, device: 'sensor-8', level: 'debug', samples: [], note: undefined },
    ]);
    // Little-endian, as the spec says: the u16 length and the u16 sample count start low byte first.
    const frame = telemetry.encodeReport({ seq: 1, device: 'a', level: 'info', samples: [], note: undefined });
    expect([...frame]).toEqual([frame.length - 2, 0, 1, 1, 0, 1, 0x61, 1, 0, 0, 0]);
  }, 120_000);
});
