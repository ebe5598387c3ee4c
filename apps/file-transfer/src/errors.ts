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
  'quota-exceeded',
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

/** Maps what the file system said onto the protocol's reasons; anything unexpected is 'internal'. */
export function refusal(error: unknown, path: string): FileRefusedError {
  if (error instanceof FileRefusedError) return error;
  const code = errnoCode(error);
  const known: Record<string, [FileReason, string]> = {
    ENOENT: ['not-found', 'no such file or directory'],
    ENOTDIR: ['not-a-directory', 'a component is not a directory'],
    EISDIR: ['not-a-file', 'expected a file, got a directory'],
    // O_NOFOLLOW met a symlink that was not there when the path was checked.
    ELOOP: ['outside-root', 'a symlink appeared in the path'],
    ENAMETOOLONG: ['bad-request', 'a name is too long for the file system'],
  };
  const [reason, detail] = (code === undefined ? undefined : known[code]) ?? [
    'internal' as const,
    `file system error ${code ?? ''}: ${error instanceof Error ? error.message : String(error)}`.trim(),
  ];
  return new FileRefusedError(reason, path, detail, { cause: error });
}

/** The errno code of a file-system error (ENOENT, …), or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
