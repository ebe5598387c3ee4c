/**
 * One broadcast between servers, an entry of the Redis bus stream: a JSON
 * header line (JSON, so any group name survives, newlines included) and
 * the encoded frame after it, untouched. Every server reads the one
 * stream, so a sender's messages to a room keep their order everywhere.
 */
export interface BusMessage {
  /** The publishing server, which has delivered to its own members already. */
  readonly origin: string;
  /** `group`: its members; `all`: every connection; `member`: one member key. */
  readonly kind: 'group' | 'all' | 'member';
  readonly target: string;
  /** Connection id on the origin server that is left out (the sender), or -1. */
  readonly except: number;
  readonly frame: Uint8Array;
}

const NEWLINE = 0x0a;

export function encodeBusMessage(message: BusMessage): Buffer {
  const header = Buffer.from(`${JSON.stringify([message.origin, message.kind, message.target, message.except])}\n`);
  return Buffer.concat([header, message.frame]);
}

/** The message, or undefined for bytes that are not one (another program on the channel). */
export function decodeBusMessage(bytes: Buffer): BusMessage | undefined {
  const end = bytes.indexOf(NEWLINE);
  if (end < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(header) || header.length !== 4) return undefined;
  const [origin, kind, target, except] = header as unknown[];
  if (typeof origin !== 'string' || typeof target !== 'string' || typeof except !== 'number') return undefined;
  if (kind !== 'group' && kind !== 'all' && kind !== 'member') return undefined;
  return { origin, kind, target, except, frame: bytes.subarray(end + 1) };
}
