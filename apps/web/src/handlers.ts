import type { FileDownload } from '@sockspec/app-file-transfer';
import { isFileRefusedError } from '@sockspec/app-file-transfer';
import { encodeResponse, type HttpHandlers, type Request, type Response } from '@sockspec/protocol-http';
import type { Connection } from '@sockspec/server';
import { contentTypeOf } from './content-types.js';
import { commonHeaders, headerValues, REASONS, STATUS_OF_REFUSAL, textResponse, wantsClose } from './responses.js';

/** What the web server reads files through: the file-transfer store (one root, every path checked against it). */
export interface WebFiles {
  openDownload(path: string, offset: number): Promise<FileDownload>;
}

/** The file a directory path (`/`, `/docs/`) stands for. */
export const INDEX_FILE = 'index.html';

const EMPTY = new Uint8Array(0);

/**
 * The web server's handlers: GET and HEAD of the files under the store's
 * root. Each response's head is one encoded Response whose Content-Length
 * is the file's size and whose body is empty; a GET then streams the file
 * in the store's chunks, waiting for the connection to drain between them,
 * so a 1 GiB file costs one chunk of memory and a client that stops
 * reading stops the server reading the file. Requests on one connection
 * are answered in order (the engine dispatches them one at a time), so
 * pipelined requests work.
 */
export function webHandlers(files: WebFiles): HttpHandlers {
  return {
    async onRequest(request, typed) {
      await serve(files, request, typed.connection);
    },
  };
}

async function serve(files: WebFiles, request: Request, connection: Connection): Promise<void> {
  const close = wantsClose(request.version, request.headers);
  const answer = (response: Response, closeAfter = close): void => {
    connection.send(encodeResponse(response));
    if (closeAfter) connection.close();
  };
  const refuse = (status: number, text: string, extra: Response['headers'] = []): void =>
    answer(textResponse(status, text, { close, extra }));
  if (request.version === '1.1' && headerValues(request.headers, 'host').length !== 1) {
    refuse(400, 'an HTTP/1.1 request carries exactly one Host header (RFC 9112 §3.2)');
    return;
  }
  if (headerValues(request.headers, 'transfer-encoding').length > 0) {
    // The body's end is unknown, so nothing after it on this connection can be read.
    answer(textResponse(501, 'Transfer-Encoding is not supported; send Content-Length', { close: true }), true);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    refuse(405, `this server serves files: GET and HEAD only, not ${request.method}`, [
      { name: 'Allow', value: 'GET, HEAD' },
    ]);
    return;
  }
  const path = pathOf(request.target);
  if (path === null) {
    refuse(400, 'the target is not a path (/file) or an absolute URL, or its %-escapes are malformed');
    return;
  }
  const wanted = path === '' || path.endsWith('/') ? `${path}${INDEX_FILE}` : path;
  let download: FileDownload;
  try {
    download = await files.openDownload(wanted, 0);
  } catch (error) {
    if (!isFileRefusedError(error)) throw error;
    if (error.reason === 'not-a-file' && !wanted.endsWith('/')) {
      // A directory named without its slash: relative links on its index page need the slash.
      refuse(301, `the directory is /${path}/`, [{ name: 'Location', value: `/${encodeURI(path)}/` }]);
      return;
    }
    refuse(STATUS_OF_REFUSAL[error.reason], error.message);
    return;
  }
  const etag = `"${Buffer.from(download.sha256).toString('hex')}"`;
  const base = [...commonHeaders(), { name: 'ETag', value: etag }];
  const closing = close ? [{ name: 'Connection', value: 'close' }] : [];
  if (headerValues(request.headers, 'if-none-match').some((value) => value === etag || value === '*')) {
    await download.close();
    answer({
      type: 'Response',
      version: '1.1',
      status: 304,
      reason: REASONS[304]!,
      headers: [...base, ...closing],
      body: EMPTY,
    });
    return;
  }
  // The head alone: a Content-Length with an empty body is written as given, and the bytes follow.
  const head: Response = {
    type: 'Response',
    version: '1.1',
    status: 200,
    reason: REASONS[200]!,
    headers: [
      ...base,
      { name: 'Content-Type', value: contentTypeOf(wanted) },
      { name: 'Content-Length', value: String(download.size) },
      ...closing,
    ],
    body: EMPTY,
  };
  connection.send(encodeResponse(head));
  if (request.method === 'HEAD') {
    await download.close();
  } else {
    try {
      for await (const chunk of download.chunks) {
        if (connection.closed) break;
        connection.send(chunk);
        await connection.writable();
      }
    } finally {
      await download.close();
    }
  }
  if (close) connection.close();
}

/**
 * The root-relative path a request target names ('' for the root), with
 * %-escapes decoded; null when it names none. Origin form (`/a/b?q`) and
 * absolute form (`http://host/a/b`, RFC 9112 §3.2.2) are accepted; dot
 * segments are not resolved here, so the store refuses them (`..` that
 * climbs out is 403, any other `..` or `.` 400), as it refuses every path
 * outside its rules.
 */
export function pathOf(target: string): string | null {
  let path: string;
  if (target.startsWith('/')) {
    path = target;
  } else {
    const absolute = /^https?:\/\/[^/?#]*(\/[^?#]*)?/i.exec(target);
    if (absolute === null) return null;
    path = absolute[1] ?? '/';
  }
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  try {
    path = decodeURIComponent(path);
  } catch {
    return null;
  }
  return path.slice(1);
}
