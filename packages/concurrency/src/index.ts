export { ConnectionLimitError, RemoteInputError, WorkerFailedError } from './errors.js';
export { type EventLoopOptions, eventLoop, type SerialOptions, serial } from './event-loop.js';
export { type ProcessesOptions, processes } from './processes.js';
export { type BuiltinConcurrencyName, type ResolveConcurrencyOptions, resolveConcurrency } from './resolve.js';
export { type ThreadsOptions, threads } from './threads.js';
export type {
  ClusterPrimary,
  ClusterWorker,
  ConcurrencyModel,
  ConcurrencyModelName,
  ConnectionLimits,
  OverflowPolicy,
  ReleaseConnection,
  RemoteDispatcher,
  RemotePeer,
  RemoteSession,
  RemoteSink,
  SharedAddress,
} from './types.js';
