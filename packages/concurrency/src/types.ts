/**
 * A concurrency model decides when an accepted connection may be served and
 * where handler calls run. The server engine asks it, never the reverse.
 * `async` and `serial` run handlers inline on the event loop; `threads`
 * runs them in worker threads (see `remote`); `processes` runs whole
 * servers in cluster workers (see `cluster`).
 */
export type ConcurrencyModelName = 'serial' | 'async' | 'threads' | 'processes';

/** Called once when a connection is finished, to free its slot. */
export type ReleaseConnection = () => void;

/**
 * What happens to a connection accepted while `maxConnections` are served:
 * `queue` keeps it (not read from) until a slot frees, first in first out;
 * `refuse` accepts it and closes it at once, with one log line.
 */
export type OverflowPolicy = 'queue' | 'refuse';

/** Limits every model takes. */
export interface ConnectionLimits {
  /** Connections served at once (per process under `processes`). Default: no limit. */
  readonly maxConnections?: number;
  /** Default `queue`. */
  readonly overflow?: OverflowPolicy;
  /**
   * `queue` only: connections that may wait for a slot at once; one more is
   * refused at once, with one log line. Default 1024 (a queue without a bound
   * held 900 dripping peers open, issue 13).
   */
  readonly maxQueued?: number;
  /** `queue` only: a connection that waited this long for a slot is refused. Default 30,000 ms. */
  readonly queueTimeoutMs?: number;
}

export interface ConcurrencyModel {
  readonly name: ConcurrencyModelName;
  /**
   * Resolves when a newly accepted connection may start being served;
   * rejects with a ConnectionLimitError when the model refuses it, or when
   * `signal` aborts while it waits (its peer left: the place goes to the next).
   */
  admit(signal?: AbortSignal): Promise<ReleaseConnection>;
  /** Runs one handler call under this model and resolves with its result. */
  run<T>(task: () => T | Promise<T>): Promise<T>;
  /**
   * True when run() only calls the task on the caller's event loop
   * (`serial`, `async`): the engine may then call a handler itself and go
   * through run() only for a result that is a promise, which spares a
   * promise and a microtask per message for synchronous handlers.
   */
  readonly inline?: boolean;
  /** Waits for running tasks and frees the model's resources. */
  close(): Promise<void>;
  /**
   * Present when handler calls run elsewhere (`threads`): the engine hands
   * each connection's frames to a session instead of decoding and
   * dispatching them itself.
   */
  readonly remote?: RemoteDispatcher;
  /** Present under `processes`: the server's listening is supervised across processes. */
  readonly cluster?: ClusterPrimary | ClusterWorker;
}

/** The peer of a connection, as plain data that can cross a thread boundary. */
export interface RemotePeer {
  readonly transport: string;
  readonly host: string;
  readonly port: number;
  readonly label: string;
}

/** What a remote session needs from the engine's connection: the main thread owns the socket. */
export interface RemoteSink {
  send(frame: Uint8Array): void;
  close(): void;
  writable(): Promise<void>;
  readonly pendingWriteBytes: number;
  /** The worker behind this connection died: log one line and close. */
  fail(error: Error): void;
}

export interface RemoteDispatcher {
  /** Pins a new connection to one worker, so its per-connection state lives in one place. */
  open(id: number, remote: RemotePeer, sink: RemoteSink): RemoteSession;
}

export interface RemoteSession {
  /** Runs the protocol's on-connect behavior (a greeting) in the worker. */
  connect(): Promise<void>;
  /**
   * Decodes and dispatches one frame in the worker. Rejects with a
   * RemoteInputError (a SockspecError carrying the decoder's code) for bad
   * input, a WorkerFailedError when the worker died, or the handler's error.
   */
  dispatch(frame: Uint8Array): Promise<void>;
  /** The connection closed: the worker drops its state. */
  end(): void;
}

/** The address a cluster worker reports; the engine's BoundAddress, kept opaque here. */
export interface SharedAddress {
  readonly url: string;
  readonly port: number;
}

/** `processes` in the primary: the engine forks workers instead of serving. */
export interface ClusterPrimary {
  readonly role: 'primary';
  /**
   * Forks the workers, each told to listen on `port` (0 only for unix, where
   * the path is the address), and resolves with the address the first one
   * reports once all of them listen.
   */
  start(port: number, log: (line: string) => void): Promise<SharedAddress>;
  /** Tells every worker to drain within drainMs and waits for all to exit (killing stragglers after a grace period). */
  stop(drainMs: number): Promise<void>;
}

/** `processes` in a cluster worker: the engine serves as usual and reports to the primary. */
export interface ClusterWorker {
  readonly role: 'worker';
  /** The port the primary chose for every worker; undefined when the options' own port applies. */
  readonly port: number | undefined;
  /** Tells the primary this worker listens, and registers what to do when it asks for shutdown. */
  ready(address: SharedAddress, shutdown: (drainMs: number) => Promise<void>): void;
}
