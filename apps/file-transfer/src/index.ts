export { BatchedFileWriter, WRITE_BATCH_BYTES } from './batched-writes.js';
export { CLIENT_NAME, runFileTransferClient } from './client-program.js';
export { FILE_REASONS, type FileReason, FileRefusedError, isFileRefusedError } from './errors.js';
export { type FileService, fileTransferHandlers } from './handlers.js';
export { FILE_TRANSFER_DEFAULT_PORT } from './port.js';
export {
  createProgress,
  formatBytes,
  formatRate,
  formatSummary,
  type ProgressOptions,
  type ProgressStream,
  progressEnabled,
  type TransferProgress,
  type TransferSummary,
} from './progress.js';
export {
  createFileTransferServer,
  type FileTransferServerOptions,
  fileTransferServerProgram,
} from './server-program.js';
export {
  CHUNK_BYTES,
  DEFAULT_MAX_FILE_BYTES,
  type DirectoryListing,
  type EntryKind,
  type FileDownload,
  type FileEntry,
  FileStore,
  type FileStoreOptions,
  isPartialName,
  MAX_LISTING_ENTRIES,
  MAX_PATH_BYTES,
  partialName,
  SHA256_BYTES,
  type UploadWriter,
} from './store.js';
