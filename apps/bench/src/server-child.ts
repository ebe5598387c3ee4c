/**
 * Entry point of a benchmark server process: `server-child.ts <generated|raw>
 * [server options]`. Each server runs in its own process so the load
 * generator never shares its event loop.
 */
import type { ServerProgram } from '@sockspec/app-kit';
import { serveChildProgram } from './child-server.js';

/** Loaded on demand, so each server process loads only its own code. */
const BENCH_SERVERS: Readonly<Record<string, () => Promise<ServerProgram>>> = {
  // The line echo: it exercises the generated codec (a frame decoder and an encoder), which raw echo skips.
  generated: async () => (await import('@sockspec/app-echo')).lineEchoServerProgram,
  raw: async () => (await import('./raw-echo-server.js')).rawEchoServerProgram,
};

// `pnpm bench memory` starts the server with --expose-gc and asks for a full collection before it reads the
// resident set, so garbage not yet collected is not counted as memory the server holds.
const collect = (globalThis as { gc?: () => void }).gc;
if (collect !== undefined) {
  process.on('SIGUSR2', () => {
    collect();
    const { rss, heapUsed, arrayBuffers, external } = process.memoryUsage();
    // One line the bench reads: live JavaScript and buffer bytes, which the resident set overstates after garbage.
    process.stderr.write(`memory rss=${rss} heapUsed=${heapUsed} arrayBuffers=${arrayBuffers} external=${external}\n`);
  });
}

const [kind = '', ...args] = process.argv.slice(2);
process.exitCode = await serveChildProgram('server-child', BENCH_SERVERS, kind, args);
