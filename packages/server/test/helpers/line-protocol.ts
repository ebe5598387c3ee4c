import { setTimeout as delay } from 'node:timers/promises';
import { encodeFrame, type FramingConfig } from '@sockspec/codec';
import { SockspecError } from '@sockspec/errors';
import type { Connection, ServerProtocol } from '../../src/index.js';

/**
 * A tiny text protocol for the engine tests: one request per line,
 * `verb arg...`, one reply line per request unless the verb says otherwise.
 */
export const lineFraming: FramingConfig = {
  kind: 'delimited',
  delimiter: [0x0a],
  keepDelimiter: false,
  stripCarriageReturn: true,
  maxFrameBytes: 1024,
};

/** Replies may be large (`big N`); requests are held to 1 KiB. */
const replyFraming: FramingConfig = { ...lineFraming, maxFrameBytes: 1 << 20 };

export interface LineRequest {
  readonly verb: string;
  readonly args: readonly string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const VERBS = new Set(['echo', 'slow', 'big', 'throw', 'reject', 'hold', 'close']);

export function decodeLineRequest(frame: Uint8Array): LineRequest {
  let text: string;
  try {
    text = utf8.decode(frame);
  } catch (cause) {
    throw new SockspecError('SOCKSPEC_INVALID_UTF8', `line: request of ${frame.length} bytes is not valid UTF-8`, {
      cause,
    });
  }
  const [verb = '', ...args] = text.split(' ');
  if (!VERBS.has(verb)) {
    throw new SockspecError('SOCKSPEC_UNKNOWN_MESSAGE', `line: unknown request '${verb.slice(0, 32)}'`);
  }
  return { verb, args };
}

export function encodeLine(text: string): Uint8Array {
  return encodeFrame(replyFraming, encoder.encode(text));
}

/** Lets a test hold a handler open and decide when it returns. */
export class Gate {
  #open!: () => void;
  readonly opened: Promise<void> = new Promise((resolve) => {
    this.#open = resolve;
  });
  /** Resolves when a handler reached the gate. */
  readonly reached: Promise<void>;
  #reach!: () => void;

  constructor() {
    this.reached = new Promise((resolve) => {
      this.#reach = resolve;
    });
  }

  async pass(): Promise<void> {
    this.#reach();
    await this.opened;
  }

  open(): void {
    this.#open();
  }
}

export interface LineProtocol extends ServerProtocol<LineRequest> {
  /** Messages dispatched so far, over all connections. */
  dispatched: number;
  gate: Gate;
}

/**
 * echo TEXT       → TEXT
 * slow MS TEXT    → TEXT after MS milliseconds
 * big N           → N bytes of 'x'
 * throw / reject  → the handler throws / rejects
 * hold TEXT       → TEXT once the test opens `gate`
 * close           → the server closes the connection
 */
export function lineProtocol(options: { idleTimeoutMs?: number | null; withErrorFrame?: boolean } = {}): LineProtocol {
  const protocol: LineProtocol = {
    name: 'line',
    framing: lineFraming,
    idleTimeoutMs: options.idleTimeoutMs ?? null,
    dispatched: 0,
    gate: new Gate(),
    decode: decodeLineRequest,
    dispatch(message: LineRequest, connection: Connection): void | Promise<void> {
      protocol.dispatched += 1;
      const { verb, args } = message;
      switch (verb) {
        case 'echo':
          connection.send(encodeLine(args.join(' ')));
          return;
        case 'slow':
          return delay(Number(args[0])).then(() => connection.send(encodeLine(args.slice(1).join(' '))));
        case 'big':
          connection.send(encodeLine('x'.repeat(Number(args[0]))));
          return;
        case 'throw':
          throw new Error('handler exploded');
        case 'reject':
          return Promise.reject(new Error('handler rejected'));
        case 'hold':
          return protocol.gate.pass().then(() => connection.send(encodeLine(args.join(' '))));
        case 'close':
          connection.close();
          return;
      }
    },
  };
  if (options.withErrorFrame === true) {
    protocol.errorFrame = (error) => encodeLine(`ERR ${error.code}`);
  }
  return protocol;
}

/** Requests framed by a 2-byte big-endian length that counts itself; replies are still lines. */
export const lengthFraming: FramingConfig = {
  kind: 'length-prefixed',
  lengthOffset: 0,
  lengthBytes: 2,
  lengthEndian: 'big',
  lengthAdjustment: -2,
  maxFrameBytes: 1024,
};

export function lengthPrefixedProtocol(): LineProtocol {
  const protocol = lineProtocol();
  return Object.assign(protocol, {
    framing: lengthFraming,
    decode: (frame: Uint8Array) => decodeLineRequest(frame.subarray(2)),
  });
}

export function encodeLengthPrefixed(text: string): Uint8Array {
  // With lengthOffset 0 the codec puts the length field in front of the body.
  return encodeFrame(lengthFraming, encoder.encode(text));
}
