import { ConnectionClosedError, systemErrorCode } from './errors.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export function connectError(url: string, err: Error): ConnectionClosedError {
  const code = systemErrorCode(err);
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused (ECONNREFUSED): nothing is listening there'
      : code === 'ENOENT'
        ? 'no socket file at that path (ENOENT)'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? `host name did not resolve (${code})`
          : `${err.message}`;
  return new ConnectionClosedError(
    url,
    `could not connect to ${url}: ${reason}`,
    code === undefined ? { cause: err } : { cause: err, syscallCode: code },
  );
}
