/**
 * Entry point of a benchmark server process: `server-child.ts <generated|raw>
 * [server options]`. Each server runs in its own process so the load
 * generator never shares its event loop.
 */
import { processIO, runServer, type ServerProgram, USAGE_EXIT_CODE } from '@sockspec/app-kit';

/** Loaded on demand, so each server process loads only its own code. */
const BENCH_SERVERS: Readonly<Record<string, () => Promise<ServerProgram>>> = {
  generated: async () => (await import('@sockspec/app-echo')).echoServerProgram,
  raw: async () => (await import('./raw-echo-server.js')).rawEchoServerProgram,
};

const [kind = '', ...args] = process.argv.slice(2);
const load = BENCH_SERVERS[kind];
if (load === undefined) {
  process.stderr.write(`server-child: expected 'generated' or 'raw', got '${kind}'\n`);
  process.exitCode = USAGE_EXIT_CODE;
} else {
  process.exitCode = await runServer(await load(), { ...processIO(), argv: args });
}
