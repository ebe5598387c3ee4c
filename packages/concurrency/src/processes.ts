import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { Admission, InlineRunner } from './admission.js';
import { checkLimits, WorkerFailedError } from './errors.js';
import type { ClusterPrimary, ClusterWorker, ConcurrencyModel, ConnectionLimits, SharedAddress } from './types.js';

const MAX_WORKERS = 1024;
/** A worker that ignores shutdown this long past drainMs is killed. */
const STOP_GRACE_MS = 2_000;
const MAX_RESTART_DELAY_MS = 10_000;
const PORT_ENV = 'SOCKSPEC_CLUSTER_PORT';
const EXIT_AFTER_DRAIN_MS = 500;

export interface ProcessesOptions extends ConnectionLimits {
  /** Worker processes. Default: one per CPU. `maxConnections` applies to each. */
  readonly workers?: number;
  /** The program each worker runs. Default: this one (`process.argv[1]`), which makes the same server as a worker. */
  readonly exec?: string;
  /** Its arguments. Default: this program's. */
  readonly args?: readonly string[];
  /** Node options for the workers. Default: this process's. */
  readonly execArgv?: readonly string[];
  /** Delay before the first restart of a crashed worker; doubles with each crash in a row, up to 10 s. Default 100 ms. */
  readonly restartDelayMs?: number;
  /** Crashes of one worker within `restartWindowMs` after which it is not restarted (a crash loop). Default 5. */
  readonly maxRestarts?: number;
  /** Default 60 000 ms. */
  readonly restartWindowMs?: number;
  /** Where the primary reports crashes and restarts. Default: standard error. */
  readonly log?: (line: string) => void;
}

/**
 * The `processes` model (ForkingMixIn's role): N node:cluster workers run
 * the same program and share one listener. In the primary, the server's
 * listen() forks the workers and resolves with their shared address, and
 * shutdown() drains them all; in a worker the server serves like `async`,
 * with `maxConnections` per worker.
 */
export function processes(options: ProcessesOptions = {}): ConcurrencyModel {
  const limits = checkLimits('processes', options);
  const workers = options.workers ?? Math.min(availableParallelism(), MAX_WORKERS);
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= MAX_WORKERS)) {
    throw new RangeError(`processes: workers must be a whole number from 1 to ${MAX_WORKERS}, got ${String(workers)}`);
  }
  const admission = new Admission('processes', limits);
  const runner = new InlineRunner();
  return {
    name: 'processes',
    admit: (signal) => admission.admit(signal),
    run: (task) => runner.run(task),
    close: () => runner.settle(),
    cluster: cluster.isPrimary ? new Supervisor(workers, options) : workerRole(),
  };
}

function workerRole(): ClusterWorker {
  const raw = process.env[PORT_ENV];
  const port = raw === undefined || !/^\d{1,5}$/.test(raw) ? undefined : Number(raw);
  let registered = false;
  return {
    role: 'worker',
    port,
    ready(address, shutdown) {
      process.send?.({ sockspec: 'listening', address });
      if (registered) return;
      registered = true;
      process.on('message', (message: { sockspec?: unknown; drainMs?: unknown } | null) => {
        if (message?.sockspec !== 'shutdown') return;
        const drainMs = typeof message.drainMs === 'number' ? message.drainMs : 5_000;
        void shutdown(drainMs).finally(() => {
          // The documented graceful exit: closes what is left and the IPC channel.
          cluster.worker?.disconnect();
          // A handler cut off by drainMs may still hold a timer that would keep
          // this process alive; its connections are gone, so nothing is lost.
          setTimeout(() => process.exit(0), EXIT_AFTER_DRAIN_MS).unref();
        });
      });
    },
  };
}

interface Slot {
  readonly index: number;
  worker: Worker | null;
  crashes: number[];
  inARow: number;
  restartTimer: NodeJS.Timeout | null;
}

class Supervisor implements ClusterPrimary {
  readonly role = 'primary' as const;
  readonly #count: number;
  readonly #options: ProcessesOptions;
  readonly #slots: Slot[] = [];
  #port = 0;
  #stopping = false;
  #log: (line: string) => void = (line) => void process.stderr.write(`${line}\n`);

  constructor(count: number, options: ProcessesOptions) {
    this.#count = count;
    this.#options = options;
    if (options.log !== undefined) this.#log = options.log;
  }

  async start(port: number, log: (line: string) => void): Promise<SharedAddress> {
    if (this.#options.log === undefined) this.#log = log;
    this.#port = port;
    const { exec, args, execArgv } = this.#options;
    cluster.setupPrimary({
      // Workers print nothing on stdout: the program's stdout belongs to the
      // primary (its one `listening <url>` line), not N+1 copies of it.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      ...(exec === undefined ? {} : { exec }),
      ...(args === undefined ? {} : { args: [...args] }),
      ...(execArgv === undefined ? {} : { execArgv: [...execArgv] }),
    });
    for (let index = 0; index < this.#count; index++) {
      this.#slots.push({ index, worker: null, crashes: [], inARow: 0, restartTimer: null });
    }
    try {
      const addresses = await Promise.all(this.#slots.map((slot) => this.#fork(slot, true)));
      return addresses[0]!;
    } catch (error) {
      await this.stop(0);
      throw error;
    }
  }

  /**
   * Resolves when the worker listens. A first worker that exits before it
   * listens rejects (a broken program or address fails listen()); a
   * replacement that does so counts as one more crash of its slot.
   */
  #fork(slot: Slot, initial: boolean): Promise<SharedAddress> {
    const worker = cluster.fork({ [PORT_ENV]: String(this.#port) });
    slot.worker = worker;
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: { sockspec?: unknown; address?: SharedAddress } | null) => {
        if (message?.sockspec !== 'listening' || message.address === undefined || listening) return;
        listening = true;
        // Listening again: the next crash starts the backoff over.
        slot.inARow = 0;
        resolve(message.address);
      });
      worker.once('exit', (code, signal) => {
        if (slot.worker === worker) slot.worker = null;
        const how = signal === null ? `code ${code}` : `signal ${signal}`;
        if (!listening && initial) {
          reject(
            new WorkerFailedError(
              `processes: worker ${slot.index} (pid ${worker.process.pid}) exited with ${how} before it listened`,
            ),
          );
          return;
        }
        if (!this.#stopping) this.#onCrash(slot, worker, how);
      });
    });
  }

  #onCrash(slot: Slot, worker: Worker, how: string): void {
    const now = Date.now();
    const window = this.#options.restartWindowMs ?? 60_000;
    slot.crashes = slot.crashes.filter((at) => now - at < window);
    slot.crashes.push(now);
    const maxRestarts = this.#options.maxRestarts ?? 5;
    if (slot.crashes.length > maxRestarts) {
      this.#log(
        `processes: worker ${slot.index} (pid ${worker.process.pid}) exited with ${how}; it crashed ${slot.crashes.length} times within ${window} ms, not restarting it`,
      );
      return;
    }
    slot.inARow += 1;
    const delay = Math.min((this.#options.restartDelayMs ?? 100) * 2 ** (slot.inARow - 1), MAX_RESTART_DELAY_MS);
    this.#log(
      `processes: worker ${slot.index} (pid ${worker.process.pid}) exited with ${how}; restarting in ${delay} ms`,
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.#stopping) return;
      void this.#fork(slot, false);
    }, delay);
  }

  async stop(drainMs: number): Promise<void> {
    this.#stopping = true;
    const exits: Promise<void>[] = [];
    for (const slot of this.#slots) {
      if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
      slot.restartTimer = null;
      const worker = slot.worker;
      if (worker === null || worker.isDead()) continue;
      exits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), drainMs + STOP_GRACE_MS);
          worker.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          if (worker.isConnected()) worker.send({ sockspec: 'shutdown', drainMs });
          else worker.process.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(exits);
  }
}
