import { type Entry, type FileTransferHandlers, type Reason, refuse } from '@sockspec/protocol-file-transfer';
import { type FileReason, isFileRefusedError } from './errors.js';
import type { FileStore } from './store.js';

/**
 * The store names reasons as the spec does (kebab-case); the generated
 * package as TypeScript values (camelCase). Typed both ways, so a reason
 * added to the spec and not here fails to compile.
 */
export const WIRE_REASONS = {
  'bad-request': 'badRequest',
  internal: 'internal',
  'not-found': 'notFound',
  'outside-root': 'outsideRoot',
  'not-a-file': 'notAFile',
  'not-a-directory': 'notADirectory',
  'offset-mismatch': 'offsetMismatch',
  'checksum-mismatch': 'checksumMismatch',
  'size-mismatch': 'sizeMismatch',
  busy: 'busy',
  'quota-exceeded': 'quotaExceeded',
} as const satisfies Record<FileReason, Reason>;
const everyReasonMapped: Exclude<Reason, (typeof WIRE_REASONS)[FileReason]> extends never ? true : false = true;
void everyReasonMapped;

/** The store works in numbers; a u64 beyond 2^53 is no file size a disk holds, so it is a bad request. */
function toCount(value: bigint, field: string, path: string): number | ReturnType<typeof refuse> {
  return value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : refuse('badRequest', `${JSON.stringify(path)}: ${field} ${value} is larger than any file this server holds`);
}

/**
 * A store refusal becomes the protocol's Failed reply with the same reason;
 * anything else is rethrown, so the engine answers `internal` and logs it.
 */
function refusal(error: unknown): ReturnType<typeof refuse> {
  if (isFileRefusedError(error)) return refuse(WIRE_REASONS[error.reason], error.message);
  throw error;
}

/** What the handlers need of a store; tests wrap a FileStore in one to watch or slow it. */
export type FileService = Pick<FileStore, 'list' | 'offer' | 'openUpload' | 'openDownload'>;

/** The handlers the file-transfer spec leaves to code, over one FileStore. */
export function fileTransferHandlers(store: FileService): FileTransferHandlers {
  return {
    async onList(message) {
      try {
        const listing = await store.list(message.path);
        const entries: Entry[] = listing.entries.map((entry) => ({
          name: entry.name,
          kind: entry.kind,
          size: BigInt(entry.size),
          modified: entry.modified,
        }));
        return { type: 'Listing', path: message.path, entries };
      } catch (error) {
        return refusal(error);
      }
    },

    async onOffer(message) {
      const size = toCount(message.size, 'size', message.path);
      if (typeof size !== 'number') return size;
      try {
        const held = await store.offer(message.path, size, message.sha256);
        return { type: 'Ready', offset: BigInt(held.offset), held: held.sha256 };
      } catch (error) {
        return refusal(error);
      }
    },

    async onUpload(message, stream) {
      const size = toCount(message.size, 'size', message.path);
      if (typeof size !== 'number') return size;
      const offset = toCount(message.offset, 'offset', message.path);
      if (typeof offset !== 'number') return offset;
      let upload: Awaited<ReturnType<FileStore['openUpload']>>;
      try {
        upload = await store.openUpload(message.path, size, message.sha256, { offset, sha256: message.held });
      } catch (error) {
        return refusal(error);
      }
      try {
        for await (const chunk of stream) await upload.write(chunk.bytes);
        await stream.end;
        const stored = await upload.finish();
        return { type: 'Stored', path: message.path, size: BigInt(stored.size) };
      } catch (error) {
        // The bytes written so far stay in the partial file for a resume (a broken connection lands here too).
        await upload.abort();
        return refusal(error);
      }
    },

    async onGet(message) {
      const offset = toCount(message.offset, 'offset', message.path);
      if (typeof offset !== 'number') return offset;
      try {
        const download = await store.openDownload(message.path, offset);
        return {
          type: 'Sending',
          size: BigInt(download.size),
          sha256: download.sha256,
          offset: BigInt(download.offset),
          stream: { chunks: asData(download.chunks), end: {} },
        };
      } catch (error) {
        return refusal(error);
      }
    },
  };
}

async function* asData(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<{ bytes: Uint8Array }> {
  for await (const bytes of chunks) yield { bytes };
}
