/**
 * The string limits of specs/chat.protocol.yaml (types Nick, Room, Text).
 * The client checks what a person typed against them before sending, so a
 * typo gets a local explanation instead of a server's badRequest; a test
 * compares them with the compiled spec so they cannot drift.
 */
export interface StringLimit {
  /** The spec's type name, used in messages. */
  readonly name: 'nick' | 'room' | 'text';
  readonly maxBytes: number;
  readonly pattern?: RegExp;
  /** The pattern as the spec writes it, for messages. */
  readonly patternSource?: string;
}

export const NICK: StringLimit = {
  name: 'nick',
  maxBytes: 32,
  pattern: /^[A-Za-z0-9_-]+$/u,
  patternSource: '^[A-Za-z0-9_-]+$',
};
export const ROOM: StringLimit = {
  name: 'room',
  maxBytes: 64,
  pattern: /^[A-Za-z0-9_-]+$/u,
  patternSource: '^[A-Za-z0-9_-]+$',
};
export const TEXT: StringLimit = { name: 'text', maxBytes: 4000 };

/**
 * Why `value` does not fit `limit`, or undefined when it does. The byte
 * length is counted without encoding, so an oversized paste costs nothing.
 */
export function checkString(value: string, limit: StringLimit): string | undefined {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > limit.maxBytes) {
    return `${limit.name} is ${bytes} bytes of UTF-8; the chat protocol allows at most ${limit.maxBytes}`;
  }
  if (limit.pattern !== undefined && value === '') return `${limit.name} must not be empty`;
  if (limit.pattern !== undefined && !limit.pattern.test(value)) {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `${limit.name} '${shown}' must be letters, digits, '_' or '-' (pattern ${limit.patternSource})`;
  }
  return undefined;
}
