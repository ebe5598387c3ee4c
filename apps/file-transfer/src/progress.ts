import cliProgress from 'cli-progress';

/** The part of a stream the progress bar needs; process.stderr is one. */
export interface ProgressStream extends NodeJS.WritableStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** 104857600 → '100.0 MiB'; binary units, since file sizes and throughput are read in them. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Bytes over seconds as '81.3 MiB/s'; a transfer too fast for the clock counts as taking a microsecond. */
export function formatRate(bytes: number, seconds: number): string {
  return `${formatBytes(bytes / Math.max(seconds, 1e-6))}/s`;
}

export interface TransferSummary {
  readonly verb: 'put' | 'get';
  /** The path as the person named it (remote for put, local for get). */
  readonly name: string;
  /** The whole file. */
  readonly size: number;
  /** What crossed the connection this time: size − resumedAt. */
  readonly sent: number;
  readonly seconds: number;
  readonly resumedAt: number;
}

/**
 * The line a transfer ends with, on stdout whether or not a terminal is
 * attached, so scripts (and tests) read the byte counts:
 * `put a.bin: 104857600 bytes (104857600 sent) in 1.23 s (81.3 MiB/s), sha256 ok, resumed at 0`.
 */
export function formatSummary(summary: TransferSummary): string {
  const { verb, name, size, sent, seconds, resumedAt } = summary;
  return `${verb} ${name}: ${size} bytes (${sent} sent) in ${seconds.toFixed(2)} s (${formatRate(sent, seconds)}), sha256 ok, resumed at ${resumedAt}`;
}

export interface TransferProgress {
  /** Bytes of the file done so far, resumed ones included. */
  update(done: number): void;
  /** Removes the bar; idempotent. */
  stop(): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  /** Where the transfer resumed: the bar starts there. */
  readonly start: number;
  readonly stream: ProgressStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Clock in milliseconds, for the rate; injectable for tests. */
  readonly now?: () => number;
}

const SILENT: TransferProgress = { update: () => undefined, stop: () => undefined };

/** A bar belongs on a person's terminal only: a pipe or file gets nothing (the summary line says it all). */
export function progressEnabled(stream: ProgressStream, env: ProgressOptions['env']): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/**
 * A cli-progress bar on `stream` when it is a terminal; otherwise a
 * progress that draws nothing. The rate counts this run's bytes only, so a
 * resumed transfer does not look faster than it is.
 */
export function createProgress(options: ProgressOptions): TransferProgress {
  if (!progressEnabled(options.stream, options.env)) return SILENT;
  const now = options.now ?? Date.now;
  const started = now();
  const bar = new cliProgress.SingleBar(
    {
      format: `${options.label} [{bar}] {percentage}% | {done} of {size} | {rate}`,
      stream: options.stream,
      hideCursor: true,
      clearOnComplete: true,
      // Redraws are cheap but not free: a 64 KiB chunk every few microseconds would otherwise redraw as often.
      fps: 10,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (done: number): Record<string, string> => ({
    done: formatBytes(done),
    size: formatBytes(options.total),
    rate: formatRate(done - options.start, (now() - started) / 1000),
  });
  // A zero-byte file would divide by zero in the percentage.
  bar.start(Math.max(options.total, 1), options.total === 0 ? 1 : options.start, payload(options.start));
  let stopped = false;
  return {
    update: (done) => {
      if (!stopped) bar.update(done, payload(done));
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
