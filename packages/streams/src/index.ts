export { StreamAbandonedError, StreamProtocolError } from './errors.js';
export { type ChunkSource, endOf, mapChunks, type OutgoingStream, type PumpTarget, pumpChunks } from './pump.js';
export { type ReceivedStream, StreamReceiver, type StreamReceiverOptions } from './receiver.js';
