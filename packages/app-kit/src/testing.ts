/**
 * Test support for the sockspec programs (`@sockspec/app-kit/testing`):
 * run them as processes, talk to them over plain sockets and from Python,
 * and the shared program-level suite. Needs vitest; not for the programs.
 */
export * from './harness.js';
export { describeLineProgram, type LineProgramSuite } from './line-program-suite.js';
export { freePort, type RealServer, type RealServerOptions, startRealServer } from './real-server.js';
