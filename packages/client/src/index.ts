export { connectProtocolClient } from './client.js';
export { ConnectionClosedError, RequestTimeoutError } from './errors.js';
export type { ClientOptions, ClientProtocol, ProtocolClient, RequestOptions } from './types.js';
