export {
  type ChunkSource,
  endOf,
  mapChunks,
  type OutgoingStream,
  type ReceivedStream,
  StreamAbandonedError,
  StreamProtocolError,
} from '@sockspec/streams';
export { connectProtocolClient } from './client.js';
export { ConnectionClosedError, RemoteError, RequestTimeoutError } from './errors.js';
export { MAX_ABANDONED } from './pending.js';
export { MAX_HELD_REPLIES, type ReplyStream } from './reply-stream.js';
export { type TypedClient, typedClient } from './typed.js';
export type {
  ClientOptions,
  ClientProtocol,
  FrameSource,
  ProtocolClient,
  RequestOptions,
  WithStream,
} from './types.js';
