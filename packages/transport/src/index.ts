export { DEFAULT_MAX_WRITE_QUEUE_BYTES, DEFAULT_WRITE_HIGH_WATER_MARK } from './channel.js';
export { connect, DEFAULT_CONNECT_TIMEOUT_MS } from './connect.js';
export {
  AddressInUseError,
  ConnectionClosedError,
  ConnectTimeoutError,
  InvalidAddressError,
  UnsupportedTransportError,
  WriteQueueFullError,
} from './errors.js';
export { DEFAULT_BACKLOG, listen, SocketListener } from './listen.js';
export type {
  BoundAddress,
  ByteChannel,
  ConnectOptions,
  Listener,
  ListenOptions,
  PeerAddress,
  SocketOptions,
  StreamTransportKind,
} from './types.js';
export { type Endpoint, formatUrl, MAX_URL_LENGTH, parseUrl } from './url.js';
