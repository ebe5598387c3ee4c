export { type RealServer, startRealServer } from '@sockspec/app-kit/testing';
export { startMemcached } from './memcached.js';
