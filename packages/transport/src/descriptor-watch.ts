import fs from 'node:fs';

/**
 * When the process runs out of file descriptors, libuv accepts each new
 * connection on a spare descriptor and closes it at once (so accept does not
 * spin), and Node reports nothing: 20,100 idle peers against `ulimit -n
 * 20000` were refused without a single log line (issue 13). This watch reads
 * the count of open descriptors once a second while a stream listener is up
 * and, near the soft limit, says so once per LOG_INTERVAL_MS.
 */
const SAMPLE_MS = 1000;
const LOG_INTERVAL_MS = 10_000;
/** Descriptors the process needs besides connections (its listener, log files, a file it serves). */
const HEADROOM = 8;

interface Watcher {
  readonly url: string;
  readonly log: (line: string) => void;
}

const watchers = new Set<Watcher>();
let timer: NodeJS.Timeout | undefined;
let lastLoggedAt = Number.NEGATIVE_INFINITY;
let limit: number | null | undefined;

/** The soft RLIMIT_NOFILE from /proc/self/limits; null where there is no /proc (then nothing is watched). */
export function descriptorLimit(): number | null {
  if (limit !== undefined) return limit;
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'));
    const soft = line === undefined ? Number.NaN : Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]);
    limit = Number.isInteger(soft) && soft > 0 ? soft : null;
  } catch {
    limit = null;
  }
  return limit;
}

export function openDescriptorCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Starts watching for `url`'s listener; returns the function that stops it. */
export function watchDescriptors(url: string, log: (line: string) => void): () => void {
  const max = descriptorLimit();
  if (max === null) return () => {};
  const watcher: Watcher = { url, log };
  watchers.add(watcher);
  if (timer === undefined) {
    timer = setInterval(() => sample(max), SAMPLE_MS);
    // The watch never keeps a process alive on its own.
    timer.unref();
  }
  return () => {
    watchers.delete(watcher);
    if (watchers.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

function sample(max: number): void {
  const now = Date.now();
  if (now - lastLoggedAt < LOG_INTERVAL_MS) return;
  let open: string;
  try {
    const count = openDescriptorCount();
    if (count < max - HEADROOM) return;
    open = String(count);
  } catch (error) {
    // Reading /proc/self/fd takes a descriptor too: EMFILE here is the answer itself.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EMFILE' && code !== 'ENFILE') return;
    open = 'all';
  }
  lastLoggedAt = now;
  const urls = [...watchers].map((watcher) => watcher.url).join(', ');
  const line = `${urls}: ${open} of ${max} file descriptors are open (ulimit -n): the operating system refuses new connections (EMFILE) until some close; raise the limit, or cap connections with maxConnections / --max-connections`;
  // One line per process, through the first listener's log.
  const first = watchers.values().next().value;
  first?.log(line);
}
