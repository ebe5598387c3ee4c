export { type RealServer, startRealServer } from './real-server.js';
