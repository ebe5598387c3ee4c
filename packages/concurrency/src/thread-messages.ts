import type { RemotePeer } from './types.js';

/** Main thread → worker. `s` is a session (one connection), `c` a call within it. */
export type ToWorker =
  | { readonly t: 'open'; readonly s: number; readonly id: number; readonly remote: RemotePeer }
  | { readonly t: 'connect'; readonly s: number; readonly c: number }
  | {
      readonly t: 'frame';
      readonly s: number;
      readonly c: number;
      readonly frame: Uint8Array;
      readonly pending: number;
    }
  | { readonly t: 'writable'; readonly s: number; readonly w: number; readonly pending: number }
  | { readonly t: 'end'; readonly s: number };

/** Worker → main thread. */
export type FromWorker =
  | { readonly t: 'frames'; readonly s: number; readonly frames: Uint8Array[] }
  | { readonly t: 'close'; readonly s: number }
  | { readonly t: 'writable?'; readonly s: number; readonly w: number }
  | { readonly t: 'done'; readonly s: number; readonly c: number }
  | { readonly t: 'failed'; readonly s: number; readonly c: number; readonly error: WorkerError };

export interface WorkerError {
  /** `input`: the decoder rejected the frame; `handler`: the handler (or on-connect behavior) threw; `load`: the module did not load. */
  readonly kind: 'input' | 'handler' | 'load';
  readonly code: string | undefined;
  readonly name: string;
  readonly message: string;
}

/** What the worker is started with. */
export interface ThreadWorkerData {
  /** URL of the module that exports the protocol (as `default` or `protocol`). */
  readonly module: string;
  readonly index: number;
}
