import { SockspecError } from '@sockspec/errors';

/**
 * Why the file store refused a request: the `Reason` values of
 * specs/file-transfer.protocol.yaml, so a refusal maps onto a Failed reply
 * without translation (the server checks at compile time that the two agree).
 */
export const FILE_REASONS = [
  'bad-request',
  'internal',
  'not-found',
  'outside-root',
  'not-a-file',
  'not-a-directory',
  'offset-mismatch',
  'checksum-mismatch',
  'size-mismatch',
  'busy',
] as const;

export type FileReason = (typeof FILE_REASONS)[number];

/**
 * A path or transfer the file store will not serve. `reason` is the
 * protocol's reason name, `path` the protocol path as the peer sent it.
 */
export class FileRefusedError extends SockspecError {
  readonly reason: FileReason;
  readonly path: string;

  constructor(reason: FileReason, path: string, detail: string, options: { cause?: unknown } = {}) {
    super('SOCKSPEC_FILE_REFUSED', `${JSON.stringify(path)}: ${reason}: ${detail}`, options);
    this.reason = reason;
    this.path = path;
  }
}

export function isFileRefusedError(error: unknown, reason?: FileReason): error is FileRefusedError {
  return error instanceof FileRefusedError && (reason === undefined || error.reason === reason);
}
