import type { FileReason } from '@sockspec/app-file-transfer';
import { equalsIgnoringAsciiCase, FieldTooLargeError, FrameTooLargeError, utf8Encode } from '@sockspec/codec';
import type { Header, Response } from '@sockspec/protocol-http';

/** The reason phrases of the statuses this server sends (RFC 9110 §15). */
export const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  301: 'Moved Permanently',
  304: 'Not Modified',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

/** A status for what the file store refused (the file-transfer protocol's reasons). */
export const STATUS_OF_REFUSAL: Readonly<Record<FileReason, number>> = {
  'bad-request': 400,
  internal: 500,
  'not-found': 404,
  'outside-root': 403,
  'not-a-file': 404,
  'not-a-directory': 404,
  'offset-mismatch': 400,
  'checksum-mismatch': 500,
  'size-mismatch': 500,
  busy: 503,
  'quota-exceeded': 503,
};

/** Headers every response carries: Date (RFC 9110 §6.6.1 asks an origin server with a clock for it) and Server. */
export function commonHeaders(now: Date = new Date()): Header[] {
  return [
    { name: 'Date', value: now.toUTCString() },
    { name: 'Server', value: 'sockspec-web' },
  ];
}

/**
 * A short plain-text response: an error page, whose body says what was
 * wrong. `close` adds `Connection: close` (the server then closes).
 */
export function textResponse(
  status: number,
  text: string,
  options: { close?: boolean; extra?: readonly Header[] } = {},
): Response {
  const body = utf8Encode(`${status} ${REASONS[status] ?? ''}: ${text}\n`);
  return {
    type: 'Response',
    version: '1.1',
    status,
    reason: REASONS[status] ?? '',
    headers: [
      ...commonHeaders(),
      ...(options.extra ?? []),
      { name: 'Content-Type', value: 'text/plain; charset=utf-8' },
      { name: 'Content-Length', value: String(body.length) },
      ...(options.close === true ? [{ name: 'Connection', value: 'close' }] : []),
    ],
    body,
  };
}

/**
 * The status for a request the decoder refused, before any handler saw it:
 * a body past its limit is 413, a head with too many or too long lines 431,
 * a request line's target past its limit 414, anything else malformed 400.
 */
export function statusOfBadRequest(error: Error): number {
  if (error instanceof FieldTooLargeError) {
    if (error.field === 'body') return 413;
    if (error.field === 'target') return 414;
    return 431;
  }
  // A line with no end in the frame's room, or a head that leaves the body no room: the head is too large.
  if (error instanceof FrameTooLargeError) return 431;
  return 400;
}

/** Whether the client asked to close after this response (RFC 9112 §9.3: HTTP/1.0 closes unless it asked to keep alive). */
export function wantsClose(version: string, headers: readonly Header[]): boolean {
  const tokens = headerValues(headers, 'connection').flatMap((value) =>
    value.split(',').map((token) => token.trim().toLowerCase()),
  );
  if (tokens.includes('close')) return true;
  return version === '1.0' && !tokens.includes('keep-alive');
}

/** Every value of the header `lowerName` (compared ignoring ASCII case, as header names are). */
export function headerValues(headers: readonly Header[], lowerName: string): string[] {
  return headers
    .filter((header) => equalsIgnoringAsciiCase(header.name, lowerName))
    .map((header) => header.value.trim());
}
