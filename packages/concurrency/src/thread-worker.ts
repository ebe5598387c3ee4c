/**
 * Entry point of a `threads` worker. It imports the handler module, keeps a
 * connection object per session (so per-connection state stays in one
 * worker), decodes frames, runs the protocol's dispatch and posts the
 * encoded reply frames back; the main thread owns the sockets.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ThreadWorkerData, ToWorker, WorkerError } from './thread-messages.js';
import type { RemotePeer } from './types.js';

/** The part of a server protocol a worker runs; the engine's ServerProtocol fits it. */
interface WorkerProtocol {
  decode(frame: Uint8Array): unknown;
  dispatch(message: never, connection: WorkerConnection): void | Promise<void>;
  onConnect?(connection: WorkerConnection): void | Promise<void>;
}

const port = parentPort;
if (port === null) throw new Error('@sockspec/concurrency: thread-worker.js runs only as a worker thread');
const data = workerData as ThreadWorkerData;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

const protocolLoaded: Promise<WorkerProtocol> = import(data.module).then((exports: Record<string, unknown>) => {
  const candidate = (exports.protocol ?? exports.default) as Partial<WorkerProtocol> | undefined;
  if (typeof candidate?.decode !== 'function' || typeof candidate.dispatch !== 'function') {
    throw new TypeError(
      `${data.module} must export a server protocol (decode, dispatch) as 'default' or 'protocol', ` +
        `e.g. createServerProtocol(handlers) from a generated package; got exports [${Object.keys(exports).join(', ')}]`,
    );
  }
  return candidate as WorkerProtocol;
});
// Failures are reported per call; this only keeps the rejection from being "unhandled".
protocolLoaded.catch(() => undefined);

/** The Connection a handler sees inside the worker. */
class WorkerConnection {
  readonly id: number;
  readonly remote: RemotePeer;
  readonly state = new Map<string, unknown>();
  closed = false;
  readonly #session: number;
  #outbox: Uint8Array[] = [];
  #outboxBytes = 0;
  #flushScheduled = false;
  /** The main thread's queued bytes as last reported. */
  mainPending = 0;
  #writableWaiters = new Map<number, () => void>();
  #nextWaiter = 1;
  #closeListeners: Array<() => void> = [];

  constructor(session: number, id: number, remote: RemotePeer) {
    this.#session = session;
    this.id = id;
    this.remote = remote;
  }

  get pendingWriteBytes(): number {
    return this.mainPending + this.#outboxBytes;
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.#outbox.push(frame);
    this.#outboxBytes += frame.byteLength;
    // Frames sent in one turn travel in one message: a postMessage per frame
    // costs more than the copy that batching saves.
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  flush(): void {
    this.#flushScheduled = false;
    if (this.#outbox.length === 0) return;
    const frames = this.#outbox.map(ownBuffer);
    this.#outbox = [];
    this.mainPending += this.#outboxBytes;
    this.#outboxBytes = 0;
    post(
      { t: 'frames', s: this.#session, frames },
      frames.map((frame) => frame.buffer as ArrayBuffer),
    );
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    post({ t: 'close', s: this.#session });
    this.wakeAll();
  }

  /** Asks the main thread, which owns the socket and its write queue. */
  writable(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flush();
    const w = this.#nextWaiter++;
    return new Promise((resolve) => {
      this.#writableWaiters.set(w, resolve);
      post({ t: 'writable?', s: this.#session, w });
    });
  }

  wake(w: number, pending: number): void {
    this.mainPending = pending;
    const resolve = this.#writableWaiters.get(w);
    this.#writableWaiters.delete(w);
    resolve?.();
  }

  /** Runs `listener` once the connection has closed (streams fail their consumers then). */
  onClose(listener: () => void): void {
    if (this.closed) queueMicrotask(listener);
    else this.#closeListeners.push(listener);
  }

  /** Handlers' log lines go to the worker's stderr, which the process shares. */
  log(text: string): void {
    process.stderr.write(`${this.remote.label}: ${text}\n`);
  }

  /** The main thread ended the session. */
  ended(): void {
    this.closed = true;
    this.wakeAll();
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    for (const listener of listeners) listener();
  }

  wakeAll(): void {
    for (const resolve of this.#writableWaiters.values()) resolve();
    this.#writableWaiters.clear();
  }
}

/**
 * Frames are copied before they are transferred: a handler may send the same
 * encoded frame again (a cached reply), and transferring would detach it.
 * The copy also keeps a view into a larger buffer from cloning all of it.
 */
function ownBuffer(frame: Uint8Array): Uint8Array {
  // Not frame.slice(): on a Buffer that returns a view of the same memory.
  return new Uint8Array(frame);
}

const sessions = new Map<number, WorkerConnection>();

function describe(kind: WorkerError['kind'], error: unknown): WorkerError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { kind, code: typeof code === 'string' ? code : undefined, name: error.name, message: error.message };
  }
  return { kind, code: undefined, name: 'Error', message: String(error) };
}

async function call(
  session: number,
  c: number,
  work: (protocol: WorkerProtocol, connection: WorkerConnection) => void | Promise<void>,
): Promise<void> {
  const connection = sessions.get(session);
  let protocol: WorkerProtocol;
  try {
    protocol = await protocolLoaded;
  } catch (error) {
    post({ t: 'failed', s: session, c, error: describe('load', error) });
    return;
  }
  if (connection === undefined) return;
  try {
    await work(protocol, connection);
  } catch (error) {
    connection.flush();
    post({
      t: 'failed',
      s: session,
      c,
      error: describe(
        error instanceof InputError ? 'input' : 'handler',
        error instanceof InputError ? error.cause : error,
      ),
    });
    return;
  }
  // Frames first, then done: the main thread writes them before it dispatches the next frame.
  connection.flush();
  post({ t: 'done', s: session, c });
}

class InputError extends Error {}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'open':
      sessions.set(message.s, new WorkerConnection(message.s, message.id, message.remote));
      return;
    case 'connect':
      void call(message.s, message.c, (protocol, connection) => protocol.onConnect?.(connection));
      return;
    case 'frame':
      void call(message.s, message.c, (protocol, connection) => {
        connection.mainPending = message.pending;
        let decoded: unknown;
        try {
          decoded = protocol.decode(message.frame);
        } catch (error) {
          throw new InputError('decode failed', { cause: error });
        }
        return protocol.dispatch(decoded as never, connection);
      });
      return;
    case 'writable':
      sessions.get(message.s)?.wake(message.w, message.pending);
      return;
    case 'end': {
      const connection = sessions.get(message.s);
      sessions.delete(message.s);
      connection?.ended();
      return;
    }
  }
});
