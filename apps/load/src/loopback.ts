import { isIPv4, isIPv6 } from 'node:net';
import { NonLoopbackHostError } from './errors.js';

/**
 * True for addresses that cannot leave this machine. Names other than
 * `localhost` are refused rather than resolved: a resolver may map any name
 * anywhere, and a load run must never reach another host.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIPv4(bare)) return bare.startsWith('127.');
  if (isIPv6(bare)) {
    const lower = bare.toLowerCase();
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

export function assertLoopbackHost(host: string): void {
  if (!isLoopbackHost(host)) throw new NonLoopbackHostError(host);
}
