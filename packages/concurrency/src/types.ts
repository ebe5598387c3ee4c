/**
 * A concurrency model decides when an accepted connection may be served and
 * where handler calls run. The server engine asks it, never the reverse.
 * Issue 2 ships `async` (the event loop); serial, threads and processes
 * implement the same interface.
 */
export type ConcurrencyModelName = 'serial' | 'async' | 'threads' | 'processes';

/** Called once when a connection is finished, to free its slot. */
export type ReleaseConnection = () => void;

export interface ConcurrencyModel {
  readonly name: ConcurrencyModelName;
  /** Resolves when a newly accepted connection may start being served. */
  admit(): Promise<ReleaseConnection>;
  /** Runs one handler call under this model and resolves with its result. */
  run<T>(task: () => T | Promise<T>): Promise<T>;
  /** Waits for running tasks and frees the model's resources. */
  close(): Promise<void>;
}
