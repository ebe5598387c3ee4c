import type { FramingConfig } from '@sockspec/codec';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * The text of one encoded frame of a line protocol without its delimiter:
 * what a person sees when the server's reply is printed as it was sent, so a
 * client shows exactly the bytes the tutorial's `print(sock.recv(1024))` would.
 */
export function frameText(frame: Uint8Array, framing: FramingConfig): string {
  if (framing.kind !== 'delimited') {
    throw new TypeError(`frameText needs a delimited (line) framing, got '${framing.kind}'`);
  }
  const delimiter = framing.delimiter;
  const endsWithDelimiter =
    frame.length >= delimiter.length &&
    delimiter.every((byte, index) => frame[frame.length - delimiter.length + index] === byte);
  return utf8.decode(endsWithDelimiter ? frame.subarray(0, frame.length - delimiter.length) : frame);
}
