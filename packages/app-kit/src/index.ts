export {
  boundedInteger,
  describeEndpoint,
  type EndpointRole,
  errorMessage,
  type ProgramIdentity,
  parseListeningLine,
  parseMilliseconds,
  parsePort,
  parseProgramArgs,
  USAGE_EXIT_CODE,
} from './command.js';
export {
  CONCURRENCY_MODELS,
  type ConcurrencyArgs,
  type ConcurrencyContext,
  createConcurrency,
  MAX_CONNECTIONS_LIMIT,
  MAX_WORKERS,
} from './concurrency.js';
export { frameText } from './frame-text.js';
export { colourEnabled, type ProgramIO, processIO, writeLine } from './io.js';
export { type ClientProgram, type LineSession, runClient, SERVER_CLOSED_MESSAGE } from './run-client.js';
export { runServer, type ServerProgram, threadsModuleOf } from './run-server.js';
export { visible } from './visible.js';
