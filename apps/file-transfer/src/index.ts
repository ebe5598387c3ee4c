export { FILE_REASONS, type FileReason, FileRefusedError, isFileRefusedError } from './errors.js';
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
