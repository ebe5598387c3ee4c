/**
 * Framing configuration understood by the frame decoders. Structurally the
 * same as the spec IR's FramingIR, declared here so the runtime does not
 * depend on the spec compiler.
 */
export type Endian = 'big' | 'little';

export type FramingConfig =
  | { readonly kind: 'raw'; readonly maxFrameBytes: number }
  | {
      readonly kind: 'delimited';
      readonly delimiter: readonly number[];
      readonly keepDelimiter: boolean;
      readonly stripCarriageReturn: boolean;
      readonly maxFrameBytes: number;
      /**
       * Set by text protocols whose frames are more than one line (RESP,
       * `PUB subject 5\r\nhello\r\n`): says what follows each line, so the
       * decoder finds where a frame ends. Frames then keep every delimiter.
       */
      readonly following?: FollowingSteps;
    }
  | {
      readonly kind: 'length-prefixed';
      readonly lengthOffset: number;
      /** The length field's width; with `lengthVarint`, the most bytes the varint may take. */
      readonly lengthBytes: 1 | 2 | 4 | 8;
      readonly lengthEndian: Endian;
      /** The length field is an unsigned LEB128 varint of 1 to lengthBytes bytes (MQTT's remaining length). */
      readonly lengthVarint?: boolean;
      readonly lengthAdjustment: number;
      readonly maxFrameBytes: number;
    }
  | { readonly kind: 'fixed'; readonly frameBytes: number; readonly maxFrameBytes: number }
  | {
      readonly kind: 'datagram';
      readonly maxFrameBytes: number;
      /**
       * A line or delimited protocol over a datagram transport: one frame per
       * datagram, and this delimiter, when it ends a received datagram, is
       * removed from the frame (and appended by encodeFrame). At least 1 byte.
       */
      readonly trailingDelimiter?: readonly number[];
      /** With trailingDelimiter `\n`: a `\r` right before that removed `\n` is removed too. Default false. */
      readonly stripCarriageReturn?: boolean;
    };

/**
 * Cuts a byte stream into frames. Feed it chunks as they arrive, in order;
 * it calls `onFrame` once per complete frame. A frame that lies inside one
 * chunk is a view of that chunk (no copy); a frame spanning chunks is copied
 * once into a buffer of exactly its size, allocated only after its size is
 * known and checked against the maximum.
 *
 * After push() throws, the decoder is poisoned: the stream position is
 * unknown, so every later push() throws the same error.
 */
export interface FrameDecoder {
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void;
  /** Bytes held for an incomplete frame. */
  readonly bufferedBytes: number;
  /** Call when the stream ends; throws SOCKSPEC_TRUNCATED_FRAME if a partial frame is held. */
  end(): void;
}

/**
 * What follows a line: `bytes` raw bytes and then the delimiter; `count`
 * elements of kind `element`, each starting with a line of its own; lines of
 * kind `element` until one equal to `until` (HTTP's headers and the empty
 * line), at most `maxCount` of them (`at` names the list in errors); or,
 * from a line of such a list, `afterList` raw bytes with no delimiter that
 * follow the list's end line (HTTP's body, sized by Content-Length).
 */
export type FollowingStep =
  | { readonly bytes: number }
  | { readonly count: number; readonly element: number }
  | { readonly until: string; readonly element: number; readonly maxCount: number; readonly at: FollowingListContext }
  | { readonly afterList: number };

/** Names an `until` list in the error for one line too many. */
export interface FollowingListContext {
  readonly protocol: string;
  readonly message?: string;
  readonly field: string;
}

/**
 * Given a line (without its delimiter) that starts an element of kind
 * `element`, the steps that complete the element, in order: [] when the line
 * is all of it, null when the line matches no template (it is then a frame of
 * its own, for the codec to reject). Element kinds 0 and 1 are whole frames
 * sent by the client and by the server; generated codecs number the rest.
 * Throws a SockspecError for a count or length it cannot accept.
 */
export type FollowingSteps = (line: string, element: number) => readonly FollowingStep[] | null;

/** Who sent the frames a decoder reads; picks the first element kind for following lines. */
export type FrameSender = 'client' | 'server';
