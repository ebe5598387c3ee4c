export { DrainTimeoutError, ServerStateError } from './errors.js';
export { createProtocolServer } from './server.js';
export type {
  Connection,
  ProtocolServer,
  ServerHooks,
  ServerOptions,
  ServerProtocol,
  ShutdownOptions,
} from './types.js';
