import { type RealServer, startRealServer } from '@sockspec/app-kit/testing';

/**
 * `memcached -B binary` on a free loopback port: no UDP (-U 0), one worker
 * thread (-t 1), `memoryMb` of item memory (-m). The gallery's tests and
 * `pnpm bench pipeline` both talk to it.
 */
export function startMemcached(memoryMb = 16): Promise<RealServer> {
  return startRealServer({
    command: 'memcached',
    args: [
      ...['-B', 'binary', '-l', '127.0.0.1', '-p', '{port}', '-U', '0', '-t', '1', '-m', String(memoryMb)],
      // memcached refuses to run as root unless told which user to be (CI runs as root).
      ...(process.getuid?.() === 0 ? ['-u', 'root'] : []),
    ],
    debianPackage: 'memcached',
  });
}
