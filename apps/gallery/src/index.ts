export { startMemcached } from './memcached.js';
export { type RealServer, startRealServer } from './real-server.js';
