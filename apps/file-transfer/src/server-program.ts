import type { ServerProgram } from '@sockspec/app-kit';
import { createServer } from '@sockspec/protocol-file-transfer';
import type { ProtocolServer, ServerOptions } from '@sockspec/server';
import { InvalidArgumentError, Option } from 'commander';
import { type FileService, fileTransferHandlers } from './handlers.js';
import { FILE_TRANSFER_DEFAULT_PORT } from './port.js';
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_PARTIAL_TTL_MS, FileStore, type FileStoreOptions } from './store.js';

/** How often expired partial uploads are looked for: a tenth of their TTL, at least every 10 minutes. */
const MAX_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

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
  const { root, store, maxFileBytes, maxListingEntries, maxPartialBytes, partialTtlMs, ...serverOptions } = options;
  let server: Pick<ProtocolServer, 'listen' | 'shutdown'> | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  return {
    async listen() {
      const model = serverOptions.concurrency?.name ?? 'async';
      if (model !== 'async' && model !== 'serial') {
        // Two uploads of one path are told apart in this process's memory ('busy'); workers would each keep their own.
        throw new Error(
          `the file-transfer server runs under --concurrency async or serial, not ${model}: uploads of one path are serialised in one process`,
        );
      }
      let opened = store;
      if (opened === undefined) {
        const fileStore = await FileStore.open(root, {
          ...(maxFileBytes === undefined ? {} : { maxFileBytes }),
          ...(maxListingEntries === undefined ? {} : { maxListingEntries }),
          ...(maxPartialBytes === undefined ? {} : { maxPartialBytes }),
          ...(partialTtlMs === undefined ? {} : { partialTtlMs }),
        });
        const log = serverOptions.log ?? ((line: string) => process.stderr.write(`${line}\n`));
        sweeper = setInterval(
          () => {
            fileStore.sweep().then(
              (deleted) => {
                if (deleted > 0)
                  log(`file-transfer: deleted ${deleted} partial uploads untouched for ${fileStore.partialTtlMs} ms`);
              },
              (error: unknown) => log(`file-transfer: sweeping partial uploads failed: ${String(error)}`),
            );
          },
          Math.min(MAX_SWEEP_INTERVAL_MS, Math.ceil(fileStore.partialTtlMs / 10)),
        );
        sweeper.unref();
        opened = fileStore;
      }
      server = createServer(fileTransferHandlers(opened), serverOptions);
      return server.listen();
    },
    async shutdown(shutdownOptions) {
      clearInterval(sweeper);
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

function parseMilliseconds(value: string): number {
  const ms = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!(Number.isSafeInteger(ms) && ms >= 1)) {
    throw new InvalidArgumentError(`expected a whole number of milliseconds, at least 1, got '${value}'.`);
  }
  return ms;
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
      )
      .addOption(
        new Option(
          '--max-partial-bytes <n>',
          'most bytes unfinished uploads may hold together (an open one counts its offered size); default 16 × --max-file-bytes, at most 64 GiB',
        ).argParser(parseByteCount),
      )
      .addOption(
        new Option('--partial-ttl-ms <ms>', 'an unfinished upload no one wrote to for this long is deleted')
          .argParser(parseMilliseconds)
          .default(DEFAULT_PARTIAL_TTL_MS),
      ),
  createServer(options, programOptions) {
    const root = programOptions?.root;
    const maxFileBytes = programOptions?.maxFileBytes;
    const maxPartialBytes = programOptions?.maxPartialBytes;
    const partialTtlMs = programOptions?.partialTtlMs;
    if (typeof root !== 'string') throw new Error('the file-transfer server needs a root directory (--root)');
    return createFileTransferServer({
      ...options,
      root,
      ...(typeof maxFileBytes === 'number' ? { maxFileBytes } : {}),
      ...(typeof maxPartialBytes === 'number' ? { maxPartialBytes } : {}),
      ...(typeof partialTtlMs === 'number' ? { partialTtlMs } : {}),
    });
  },
};
