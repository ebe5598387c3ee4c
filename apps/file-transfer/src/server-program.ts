import type { ServerProgram } from '@sockspec/app-kit';
import { createServer } from '@sockspec/protocol-file-transfer';
import type { ProtocolServer, ServerOptions } from '@sockspec/server';
import { InvalidArgumentError, Option } from 'commander';
import { type FileService, fileTransferHandlers } from './handlers.js';
import { FILE_TRANSFER_DEFAULT_PORT } from './port.js';
import { DEFAULT_MAX_FILE_BYTES, FileStore, type FileStoreOptions } from './store.js';

export interface FileTransferServerOptions extends ServerOptions, FileStoreOptions {
  /** The directory served; nothing outside it is read or written. */
  readonly root: string;
  /** A store to serve instead of opening `root` (tests wrap one to watch or slow it). */
  readonly store?: FileService;
}

/**
 * A file-transfer server over one root directory: the generated server
 * with the handlers of handlers.ts. The root is opened (and resolved) when
 * listen() is called, so a missing root fails there, as a bad address does.
 */
export function createFileTransferServer(
  options: FileTransferServerOptions,
): Pick<ProtocolServer, 'listen' | 'shutdown'> {
  const { root, store, maxFileBytes, maxListingEntries, ...serverOptions } = options;
  let server: Pick<ProtocolServer, 'listen' | 'shutdown'> | undefined;
  return {
    async listen() {
      const model = serverOptions.concurrency?.name ?? 'async';
      if (model !== 'async' && model !== 'serial') {
        // Two uploads of one path are told apart in this process's memory ('busy'); workers would each keep their own.
        throw new Error(
          `the file-transfer server runs under --concurrency async or serial, not ${model}: uploads of one path are serialised in one process`,
        );
      }
      const opened =
        store ??
        (await FileStore.open(root, {
          ...(maxFileBytes === undefined ? {} : { maxFileBytes }),
          ...(maxListingEntries === undefined ? {} : { maxListingEntries }),
        }));
      server = createServer(fileTransferHandlers(opened), serverOptions);
      return server.listen();
    },
    async shutdown(shutdownOptions) {
      await server?.shutdown(shutdownOptions);
    },
  };
}

function parseByteCount(value: string): number {
  const bytes = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!(Number.isSafeInteger(bytes) && bytes >= 0)) {
    throw new InvalidArgumentError(
      `expected a whole number of bytes up to ${Number.MAX_SAFE_INTEGER}, got '${value}'.`,
    );
  }
  return bytes;
}

export const fileTransferServerProgram: ServerProgram = {
  name: 'sockspec-file-transfer-server',
  description: `File-transfer server: put, get and list files under --root, in resumable, SHA-256-checked transfers. Listens on 127.0.0.1:${FILE_TRANSFER_DEFAULT_PORT} unless told otherwise.`,
  defaultPort: FILE_TRANSFER_DEFAULT_PORT,
  addOptions: (command) =>
    command
      .requiredOption('--root <dir>', 'directory to serve; paths that lead outside it are refused')
      .addOption(
        new Option('--max-file-bytes <n>', 'largest file an upload may offer')
          .argParser(parseByteCount)
          .default(DEFAULT_MAX_FILE_BYTES),
      ),
  createServer(options, programOptions) {
    const root = programOptions?.root;
    const maxFileBytes = programOptions?.maxFileBytes;
    if (typeof root !== 'string') throw new Error('the file-transfer server needs a root directory (--root)');
    return createFileTransferServer({
      ...options,
      root,
      ...(typeof maxFileBytes === 'number' ? { maxFileBytes } : {}),
    });
  },
};
