export { DEFAULT_MAX_WRITE_QUEUE_BYTES, DEFAULT_WRITE_HIGH_WATER_MARK } from './channel.js';
export { connect, DEFAULT_CONNECT_TIMEOUT_MS } from './connect.js';
export {
  DatagramChannel,
  DatagramListener,
  DEFAULT_DATAGRAM_PEER_IDLE_MS,
  DEFAULT_MAX_DATAGRAM_PEERS,
  MAX_HELD_DATAGRAM_BYTES,
  MAX_HELD_DATAGRAMS_PER_PEER,
  MAX_UDP4_DATAGRAM_BYTES,
  MAX_UDP6_DATAGRAM_BYTES,
  MAX_UNIX_DGRAM_BYTES,
} from './datagram.js';
export {
  AddressInUseError,
  ConnectionClosedError,
  ConnectTimeoutError,
  DatagramTooLargeError,
  InvalidAddressError,
  ReadTimeoutError,
  TlsHandshakeError,
  TransportUnavailableError,
  UnsupportedTransportError,
  WebSocketProtocolError,
  WriteQueueFullError,
} from './errors.js';
export { isDatagramTransport, TRANSPORT_KINDS } from './kinds.js';
export { DEFAULT_BACKLOG, listen, SocketListener } from './listen.js';
export { MAX_TLS_FILE_BYTES } from './tls.js';
export type {
  BoundAddress,
  ByteChannel,
  ConnectOptions,
  DatagramTransportKind,
  Listener,
  ListenOptions,
  PeerAddress,
  SocketOptions,
  StreamTransportKind,
  TlsOptions,
  TransportKind,
  WebSocketOptions,
} from './types.js';
export { type Endpoint, formatUrl, MAX_URL_LENGTH, parseUrl, URL_SCHEMES, type UrlParts } from './url.js';
export {
  DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES,
  isOrigin,
  WebSocketChannel,
  WebSocketListener,
} from './websocket.js';
