import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SockspecErrorCode } from '@sockspec/errors';
import { Admission, InlineRunner } from './admission.js';
import { checkLimits, RemoteInputError, WorkerFailedError } from './errors.js';
import type { FromWorker, ThreadWorkerData, ToWorker, WorkerError } from './thread-messages.js';
import type {
  ConcurrencyModel,
  ConnectionLimits,
  RemoteDispatcher,
  RemotePeer,
  RemoteSession,
  RemoteSink,
} from './types.js';

/** More threads than this is a typo, not a machine. */
const MAX_THREADS = 1024;

export interface ThreadsOptions extends ConnectionLimits {
  /** Worker threads in the pool. Default: one per CPU. */
  readonly size?: number;
  /**
   * The module each worker imports: a URL or an absolute path. It exports
   * the server protocol as `default` or `protocol`, usually
   * `createServerProtocol(handlers)` from a generated package.
   */
  readonly module: string | URL;
  /** Node options for the workers. Default: the process's own, plus a TypeScript loader when running from source. */
  readonly execArgv?: readonly string[];
}

/** Run from source (tests, tsx) the worker entry is TypeScript, so it needs the same loader. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_ENTRY = new URL(FROM_SOURCE ? './thread-worker.ts' : './thread-worker.js', import.meta.url);

/**
 * From source, a worker registers tsx itself before importing the entry:
 * Node 20 does not run `--import` preloads in worker threads, so inherited
 * loader flags are not enough.
 */
const SOURCE_BOOTSTRAP = `const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((api) => { api.register(); return import(workerData.entry); });`;

function tsxApiUrl(): string {
  try {
    // The ESM build: tsx's CommonJS register() cannot find its own ESM half (tsx 4.23).
    const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
    return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  } catch (cause) {
    throw new WorkerFailedError(
      'threads: running @sockspec/concurrency from TypeScript source needs tsx to load its worker entry; install tsx or run the built dist/',
      { cause },
    );
  }
}

/**
 * The `threads` model: each connection is pinned to one worker thread of a
 * pool, where its frames are decoded and its handlers run, so a CPU-heavy
 * handler stalls only the connections pinned to that worker.
 *
 * A small pool of our own rather than piscina: piscina hands each task to
 * whichever worker is idle, but per-connection handler state needs every
 * call of a connection to reach the same worker, and a call needs to talk
 * to the main thread while it runs (writes, backpressure), which a
 * request/response task pool does not offer.
 */
export function threads(options: ThreadsOptions): ConcurrencyModel {
  const limits = checkLimits('threads', options);
  const size = options.size ?? Math.min(availableParallelism(), MAX_THREADS);
  if (!(Number.isInteger(size) && size >= 1 && size <= MAX_THREADS)) {
    throw new RangeError(`threads: size must be a whole number from 1 to ${MAX_THREADS}, got ${String(size)}`);
  }
  const moduleUrl = toModuleUrl(options.module);
  const execArgv = options.execArgv ?? (FROM_SOURCE ? withDevelopmentCondition(process.execArgv) : process.execArgv);
  const pool = new ThreadPool(size, moduleUrl, [...execArgv]);
  const admission = new Admission('threads', limits);
  const runner = new InlineRunner();
  return {
    name: 'threads',
    admit: (signal) => admission.admit(signal),
    run: (task) => runner.run(task),
    remote: pool,
    async close() {
      await runner.settle();
      await pool.close();
    },
  };
}

function toModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) return module;
  if (!module.startsWith('/')) {
    throw new TypeError(`threads: module must be a URL or an absolute path, got '${module}'`);
  }
  return pathToFileURL(module).href;
}

/** Workspace packages resolve to their TypeScript sources only under the `development` condition. */
function withDevelopmentCondition(execArgv: readonly string[]): string[] {
  return execArgv.includes('--conditions=development') ? [...execArgv] : [...execArgv, '--conditions=development'];
}

interface PendingCall {
  resolve(): void;
  reject(error: unknown): void;
}

/** One connection pinned to one worker. */
class ThreadSession implements RemoteSession {
  readonly id: number;
  readonly sink: RemoteSink;
  readonly slot: ThreadSlot;
  readonly calls = new Map<number, PendingCall>();
  #nextCall = 1;
  ended = false;
  /** Set when the worker died: every later call fails with it. */
  failure: Error | undefined;

  constructor(id: number, slot: ThreadSlot, sink: RemoteSink) {
    this.id = id;
    this.slot = slot;
    this.sink = sink;
  }

  connect(): Promise<void> {
    return this.#call((c) => this.slot.post({ t: 'connect', s: this.id, c }));
  }

  dispatch(frame: Uint8Array): Promise<void> {
    // The frame is usually a view into a larger read chunk; copying just its
    // bytes lets the copy be transferred rather than cloned with the chunk.
    // Not frame.slice(): on a Buffer that is a view, and transferring it
    // would detach the chunk (or Node's shared pool) under everyone else.
    const copy = new Uint8Array(frame);
    return this.#call((c) =>
      this.slot.post({ t: 'frame', s: this.id, c, frame: copy, pending: this.sink.pendingWriteBytes }, [
        copy.buffer as ArrayBuffer,
      ]),
    );
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.slot.endSession(this);
  }

  #call(send: (c: number) => void): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const c = this.#nextCall++;
    return new Promise<void>((resolve, reject) => {
      this.calls.set(c, { resolve, reject });
      send(c);
    });
  }

  settle(c: number, error?: unknown): void {
    const pending = this.calls.get(c);
    if (pending === undefined) return;
    this.calls.delete(c);
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }

  fail(error: Error): void {
    this.failure = error;
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.reject(error);
  }
}

/** One worker thread and the sessions pinned to it. */
class ThreadSlot {
  readonly index: number;
  readonly worker: Worker;
  readonly sessions = new Map<number, ThreadSession>();
  readonly exited: Promise<void>;
  alive = true;
  #crash: Error | undefined;

  constructor(index: number, moduleUrl: string, execArgv: string[], onExit: (slot: ThreadSlot) => void) {
    this.index = index;
    const workerData: ThreadWorkerData = { module: moduleUrl, index };
    this.worker = FROM_SOURCE
      ? new Worker(SOURCE_BOOTSTRAP, {
          eval: true,
          workerData: { ...workerData, tsxApi: tsxApiUrl(), entry: WORKER_ENTRY.href },
          execArgv,
        })
      : new Worker(WORKER_ENTRY, { workerData, execArgv });
    // An idle pool must not keep the process alive; a worker with connections does.
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => this.#onMessage(message));
    this.worker.on('error', (error) => {
      this.#crash = error;
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.alive = false;
        const cause = this.#crash;
        const error = new WorkerFailedError(
          `threads: worker thread ${index} exited (code ${code})${cause === undefined ? '' : `: ${cause.name}: ${cause.message}`} while serving this connection`,
          { cause },
        );
        // Its connections are closed, each with one log line: their state
        // died with the worker. A pending call carries the error to the
        // engine; an idle connection is told directly.
        for (const session of this.sessions.values()) {
          if (session.calls.size > 0) session.fail(error);
          else {
            session.failure = error;
            session.sink.fail(error);
          }
        }
        this.sessions.clear();
        onExit(this);
        resolve();
      });
    });
  }

  post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  addSession(session: ThreadSession, id: number, remote: RemotePeer): void {
    if (this.sessions.size === 0) this.worker.ref();
    this.sessions.set(session.id, session);
    this.post({
      t: 'open',
      s: session.id,
      id,
      remote: { transport: remote.transport, host: remote.host, port: remote.port, label: remote.label },
    });
  }

  endSession(session: ThreadSession): void {
    if (!this.sessions.delete(session.id)) return;
    session.fail(new WorkerFailedError(`threads: session ${session.id} already ended`));
    if (this.alive) {
      this.post({ t: 'end', s: session.id });
      if (this.sessions.size === 0) this.worker.unref();
    }
  }

  #onMessage(message: FromWorker): void {
    const session = this.sessions.get(message.s);
    if (session === undefined) return;
    switch (message.t) {
      case 'frames':
        for (const frame of message.frames) session.sink.send(frame);
        return;
      case 'close':
        session.sink.close();
        return;
      case 'writable?':
        void session.sink.writable().then(() => {
          if (this.alive && this.sessions.has(session.id)) {
            this.post({ t: 'writable', s: session.id, w: message.w, pending: session.sink.pendingWriteBytes });
          }
        });
        return;
      case 'done':
        session.settle(message.c);
        return;
      case 'failed':
        session.settle(message.c, fromWorkerError(message.error, this.index));
        return;
    }
  }
}

function fromWorkerError(error: WorkerError, index: number): Error {
  if (error.kind === 'input' && error.code?.startsWith('SOCKSPEC_') === true) {
    return new RemoteInputError(error.code as SockspecErrorCode, error.message);
  }
  if (error.kind === 'load') {
    return new WorkerFailedError(`threads: worker thread ${index} could not load the handler module: ${error.message}`);
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

class ThreadPool implements RemoteDispatcher {
  readonly #slots: Array<ThreadSlot | undefined>;
  readonly #moduleUrl: string;
  readonly #execArgv: string[];
  #nextSession = 1;
  #closed = false;

  constructor(size: number, moduleUrl: string, execArgv: string[]) {
    // Workers start on first use: a server that is never connected to costs no threads.
    this.#slots = new Array<ThreadSlot | undefined>(size).fill(undefined);
    this.#moduleUrl = moduleUrl;
    this.#execArgv = execArgv;
  }

  open(id: number, remote: RemotePeer, sink: RemoteSink): RemoteSession {
    if (this.#closed) throw new WorkerFailedError('threads: the model was closed; no worker can take a connection');
    const slot = this.#leastLoaded();
    const session = new ThreadSession(this.#nextSession++, slot, sink);
    slot.addSession(session, id, remote);
    return session;
  }

  /** Pins to the worker with the fewest connections; a dead or missing one is (re)started here. */
  #leastLoaded(): ThreadSlot {
    let best: ThreadSlot | undefined;
    for (let index = 0; index < this.#slots.length; index++) {
      let slot = this.#slots[index];
      if (slot === undefined || !slot.alive) {
        if (best !== undefined && best.sessions.size === 0) continue;
        slot = new ThreadSlot(index, this.#moduleUrl, this.#execArgv, (dead) => {
          if (this.#slots[dead.index] === dead) this.#slots[dead.index] = undefined;
        });
        this.#slots[index] = slot;
        return slot;
      }
      if (best === undefined || slot.sessions.size < best.sessions.size) best = slot;
    }
    return best!;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.filter((slot): slot is ThreadSlot => slot !== undefined);
    await Promise.all(
      slots.map(async (slot) => {
        await slot.worker.terminate();
        await slot.exited;
      }),
    );
  }
}
