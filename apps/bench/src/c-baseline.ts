/**
 * The C programs of the echo bench, compiled by the bench with the
 * system's `cc -O2` into a temporary folder that is removed when the
 * process exits: the epoll echo server (apps/bench/c/epoll_echo.c, a
 * baseline) and the epoll load generator (apps/bench/c/epoll_load.c, so the
 * client is never what limits a run). Without a compiler the bench says so
 * and runs without them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type CProgram = 'epoll_echo' | 'epoll_load';

const WHAT: Record<CProgram, string> = { epoll_echo: 'C epoll baseline', epoll_load: 'C load generator' };

let dir: string | undefined;

/** The compiled program's path, or why there is none (one line, for the report). */
export function buildC(program: CProgram): { readonly binary: string } | { readonly skipped: string } {
  if (dir === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'sockspec-bench-c-'));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    dir = made;
  }
  const source = fileURLToPath(new URL(`../c/${program}.c`, import.meta.url));
  const binary = join(dir, program);
  const built = spawnSync('cc', ['-O2', '-o', binary, source], { encoding: 'utf8' });
  if (built.error !== undefined) {
    return { skipped: `${WHAT[program]} skipped: no C compiler (cc) on PATH; Debian: apt-get install gcc` };
  }
  if (built.status !== 0) {
    return { skipped: `${WHAT[program]} skipped: cc failed: ${built.stderr.trim().split('\n')[0]}` };
  }
  return { binary };
}
