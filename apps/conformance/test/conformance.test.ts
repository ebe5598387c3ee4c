import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONCURRENCY_MODELS } from '@sockspec/app-kit';
import { type RealServer, startRealServer, stopAllPrograms } from '@sockspec/app-kit/testing';
import { loadSpecFile, type ProtocolIR } from '@sockspec/spec';
import { isDatagramTransport, TRANSPORT_KINDS } from '@sockspec/transport';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CellResult, formatMatrix, notApplicableReason, PROTOCOLS, serverModelReason } from '../src/index.js';
import { type CellContext, runCell } from './cells.js';
import { makeTlsFiles, type TlsFiles } from './tls-files.js';

const specsDir = fileURLToPath(new URL('../../../specs/', import.meta.url));

async function loadIR(name: string): Promise<ProtocolIR> {
  const { ir, diagnostics } = await loadSpecFile(join(specsDir, `${name}.protocol.yaml`));
  if (ir === null) throw new Error(`specs/${name}.protocol.yaml does not compile: ${JSON.stringify(diagnostics)}`);
  return ir;
}

const specs = await Promise.all(PROTOCOLS.map(async (protocol) => ({ protocol, ir: await loadIR(protocol.name) })));
/** Every cell in matrix order; a runnable cell starts as FAILED "did not run" and its test overwrites it. */
const results = new Map<string, CellResult>();

let tlsDir: string;
let tls: TlsFiles;
let context: CellContext;
/** The Redis that chat's `processes` cells share their groups on. */
let redis: RealServer | undefined;
beforeAll(async () => {
  tlsDir = await mkdtemp(join(tmpdir(), 'sockspec-conformance-tls-'));
  tls = await makeTlsFiles(tlsDir);
  if (PROTOCOLS.some((protocol) => protocol.sharedGroups !== undefined)) {
    redis = await startRealServer({
      command: 'redis-server',
      args: ['--port', '{port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      debianPackage: 'redis-server',
    });
  }
});
beforeEach(async () => {
  context = {
    dir: await mkdtemp(join(tmpdir(), 'sockspec-conformance-')),
    tls,
    ...(redis === undefined ? {} : { groupsUrl: `redis://${redis.host}:${redis.port}` }),
  };
});
afterEach(async () => {
  await stopAllPrograms();
  await rm(context.dir, { recursive: true, force: true });
});
afterAll(async () => {
  await rm(tlsDir, { recursive: true, force: true });
  await redis?.stop();
  // The matrix is the suite's report, so it goes to stdout, never into the tree.
  console.log(`\nconformance matrix\n\n${formatMatrix([...results.values()], CONCURRENCY_MODELS)}\n`);
});

for (const { protocol, ir } of specs) {
  describe(protocol.name, () => {
    for (const transport of TRANSPORT_KINDS) {
      for (const model of CONCURRENCY_MODELS) {
        const reason = notApplicableReason(
          ir,
          transport,
          isDatagramTransport,
          model,
          serverModelReason(protocol, model),
        );
        const cell = { protocol: protocol.name, transport, model };
        const key = `${protocol.name}/${transport}/${model}`;
        if (reason !== undefined) {
          results.set(key, { ...cell, outcome: 'n/a', detail: reason });
          continue;
        }
        results.set(key, { ...cell, outcome: 'FAILED', detail: 'did not run' });
        it(`${transport} × ${model}: real server, generated client, exact replies`, async () => {
          try {
            const checked = await runCell(protocol, transport, model, context);
            expect(checked).toBe(2 * protocol.checksPerExchange);
            results.set(key, { ...cell, outcome: 'passed' });
          } catch (error) {
            results.set(key, {
              ...cell,
              outcome: 'FAILED',
              detail: error instanceof Error ? error.message : String(error),
            });
            throw error;
          }
        });
      }
    }
  });
}
