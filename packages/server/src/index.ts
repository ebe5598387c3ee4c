export {
  type ChunkSource,
  endOf,
  mapChunks,
  type OutgoingStream,
  type ReceivedStream,
  StreamAbandonedError,
  StreamProtocolError,
} from '@sockspec/streams';
export {
  DrainTimeoutError,
  describeError,
  GroupLimitError,
  GroupsUnavailableError,
  ServerStateError,
} from './errors.js';
export {
  type GroupAdapter,
  type GroupContext,
  type GroupSummary,
  inProcessGroups,
  type LocalMember,
  type MembersGoneListener,
} from './group-adapter.js';
export { createProtocolServer } from './server.js';
export {
  feedIncomingStream,
  MAX_INCOMING_STREAMS,
  openIncomingStream,
  sendOutgoingStream,
  settleIncomingStream,
} from './streams.js';
export type { MessageRate } from './token-bucket.js';
export { type TypedConnection, type TypedConnections, typedConnections } from './typed-connection.js';
export type {
  Connection,
  Peers,
  ProtocolServer,
  ServerHooks,
  ServerOptions,
  ServerProtocol,
  ShutdownOptions,
} from './types.js';
