export { type ChildServer, startChildServer, stopChildServer } from './child-server.js';
export { LatencyHistogram } from './histogram.js';
export { type PingPongOptions, type PingPongResult, pingPong } from './load.js';
export { createRawEchoServer, RAW_MAX_LINE_BYTES, rawEchoServerProgram } from './raw-echo-server.js';
export { formatTable, type ScenarioResult } from './report.js';
