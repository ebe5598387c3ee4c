export { NonLoopbackHostError, WrongReplyError } from './errors.js';
export { assertLoopbackHost, isLoopbackHost } from './loopback.js';
export { formatLoadReport, LOAD_LIMITS, runLoadProgram } from './program.js';
export { LOAD_PROTOCOLS, type LoadProtocol, type LoadSession } from './protocols.js';
export { type LoadOptions, type LoadResult, runLoad } from './run-load.js';
