export { type EventLoopOptions, eventLoop, serial } from './event-loop.js';
export { type BuiltinConcurrencyName, resolveConcurrency } from './resolve.js';
export type { ConcurrencyModel, ConcurrencyModelName, ReleaseConnection } from './types.js';
