/**
 * The C epoll echo baseline (apps/bench/c/epoll_echo.c), compiled by the
 * bench with the system's `cc -O2` into a temporary folder that is removed
 * when the process exits. Without a compiler the bench says so and runs
 * without it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../c/epoll_echo.c', import.meta.url));

/** The compiled server's path, or why there is none (one line, for the report). */
export function buildEpollEcho(): { readonly binary: string } | { readonly skipped: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sockspec-bench-c-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const binary = join(dir, 'epoll_echo');
  const built = spawnSync('cc', ['-O2', '-o', binary, SOURCE], { encoding: 'utf8' });
  if (built.error !== undefined) {
    return { skipped: 'C epoll baseline skipped: no C compiler (cc) on PATH; Debian: apt-get install gcc' };
  }
  if (built.status !== 0)
    return { skipped: `C epoll baseline skipped: cc failed: ${built.stderr.trim().split('\n')[0]}` };
  return { binary };
}
