import { listNames } from './diagnostics.js';
import type { Endian, FieldIR, FramingIR, LengthPrefixedFramingIR, TransportKind, TypeIR } from './ir.js';
import { isRecord } from './records.js';
import type { Reporter } from './report.js';
import { FRAMING_KINDS } from './schema.js';
import type { SpecPath, SpecSource } from './source.js';
import { fixedSize } from './types.js';

const DATAGRAM_TRANSPORTS: readonly TransportKind[] = ['udp', 'udp6', 'unix-dgram'];
const STREAM_TRANSPORTS: readonly TransportKind[] = ['tcp', 'tcp6', 'unix', 'tls', 'websocket'];
/** Largest UDP payload over IPv4 (65535 minus IP and UDP headers). */
const MAX_UDP_PAYLOAD = 65_507;
/**
 * Framing kinds that work on both stream and datagram transports (one frame
 * per datagram there): raw is "each read is a frame", and a datagram is a read.
 */
const DATAGRAM_CAPABLE_FRAMINGS: readonly string[] = ['lines', 'delimited', 'raw'];
const LENGTH_WIDTHS = { u8: 1, u16: 2, u32: 4, u64: 8 } as const;

/** What a pass over the spec needs from the compiler: where to report, the spec, and which paths the shape check broke. */
export interface PassContext {
  readonly report: Reporter;
  /** The parsed spec with its source positions (literal values report against them). */
  readonly source: SpecSource;
  readonly spec: Record<string, unknown>;
  ok(path: SpecPath): boolean;
  /** The spec value at a top-level key, or undefined when it failed the shape check. */
  section(key: string): unknown;
}

/** The header as the framing checks see it. */
export interface FramingHeader {
  readonly fields: readonly FieldIR[] | null;
  readonly discriminator: { readonly name: string; readonly type: TypeIR } | null;
}

/**
 * The framing and transports sections: every size and limit resolved, the
 * length field placed among the header fields, and each transport matched
 * with the framing it can carry.
 */
export class FramingPass {
  readonly #ctx: PassContext;

  constructor(ctx: PassContext) {
    this.#ctx = ctx;
  }

  /** The same context, for the passes that follow. */
  get context(): PassContext {
    return this.#ctx;
  }

  framing(): FramingIR | null {
    const f = this.#ctx.section('framing');
    if (!isRecord(f)) return null;
    const report = this.#ctx.report;
    const maxFrameBytes = typeof f.maxFrameBytes === 'number' ? f.maxFrameBytes : 0;
    switch (f.kind) {
      case 'raw':
        return { kind: 'raw', maxFrameBytes };
      case 'datagram':
        return { kind: 'datagram', maxFrameBytes };
      case 'fixed': {
        const size = f.size as number;
        if (f.maxFrameBytes !== undefined && f.maxFrameBytes !== size) {
          report.error(
            'fixed-size-mismatch',
            ['framing', 'maxFrameBytes'],
            `maxFrameBytes ${maxFrameBytes} of framing differs from its fixed size ${size}`,
            "remove maxFrameBytes: a fixed framing's maximum is its size",
          );
          return null;
        }
        return { kind: 'fixed', frameBytes: size, maxFrameBytes: size };
      }
      case 'lines':
      case 'delimited': {
        const delimiter =
          f.kind === 'lines'
            ? [10]
            : typeof f.delimiter === 'string'
              ? [...new TextEncoder().encode(f.delimiter)]
              : (f.delimiter as number[]);
        if (maxFrameBytes < delimiter.length) {
          report.error(
            'max-frame-too-small',
            ['framing', 'maxFrameBytes'],
            `maxFrameBytes ${maxFrameBytes} of framing is smaller than the ${delimiter.length}-byte delimiter, so no frame fits`,
            `raise maxFrameBytes to at least ${delimiter.length}`,
          );
          return null;
        }
        return {
          kind: 'delimited',
          delimiter,
          keepDelimiter: f.keepDelimiter === true,
          stripCarriageReturn: typeof f.stripCarriageReturn === 'boolean' ? f.stripCarriageReturn : f.kind === 'lines',
          maxFrameBytes,
        };
      }
      case 'length-prefixed':
        return this.#lengthPrefixed(f, maxFrameBytes);
      default:
        return null;
    }
  }

  #lengthPrefixed(f: Record<string, unknown>, maxFrameBytes: number): FramingIR | null {
    const report = this.#ctx.report;
    const length = f.length as Record<string, unknown>;
    const varint = length.type === 'varint';
    const typeName = (varint ? 'varint' : length.type) as string;
    // A varint length takes 1 to maxBytes bytes (MQTT: 4); the frame decoder refuses a longer one.
    const varintBytes = typeof length.maxBytes === 'number' ? length.maxBytes : 4;
    if (varint && varintBytes !== 1 && varintBytes !== 2 && varintBytes !== 4) {
      report.error(
        'varint-length-max-bytes',
        ['framing', 'length', 'maxBytes'],
        `maxBytes ${varintBytes} of a varint length field must be 1, 2 or 4`,
        "use 4 (MQTT's remaining length), 2 or 1",
      );
      return null;
    }
    if (!varint && length.maxBytes !== undefined) {
      report.error(
        'type-key-not-applicable',
        ['framing', 'length', 'maxBytes'],
        `'maxBytes' of the framing length applies to a varint length, but this one is ${typeName}`,
        "remove 'maxBytes' (a fixed-width length field takes its width), or make it type: varint",
        'key',
      );
      return null;
    }
    const width: 1 | 2 | 4 | 8 = varint
      ? (varintBytes as 1 | 2 | 4)
      : LENGTH_WIDTHS[typeName as keyof typeof LENGTH_WIDTHS];
    const offset = typeof length.offset === 'number' ? length.offset : 0;
    const adjustment = typeof length.adjustment === 'number' ? length.adjustment : 0;
    const counts = length.counts === 'frame' ? 'frame' : 'after-length';
    if (varint && counts === 'frame') {
      report.error(
        'varint-length-counts-frame',
        ['framing', 'length', 'counts'],
        'a varint length counts the bytes after it: its own size depends on its value, so it cannot count the whole frame',
        'remove counts: frame (and use adjustment for bytes it leaves out)',
      );
      return null;
    }
    const lengthAdjustment = adjustment + (counts === 'frame' ? -(offset + width) : 0);
    // u64 lengths are read as JavaScript numbers, so their useful range ends at 2^53.
    const maxValue = varint ? 2 ** (7 * width) - 1 : width === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * width) - 1;
    // A frame is offset + width + value + lengthAdjustment bytes, and what follows the length cannot be negative.
    const minValue = Math.max(0, -lengthAdjustment);
    if (minValue > maxValue) {
      report.error(
        'length-field-unusable',
        ['framing', 'length', 'adjustment'],
        `with adjustment ${adjustment}, every valid frame needs a length of at least ${minValue}, but the ${typeName} length field holds at most ${maxValue}`,
        'use a wider length field or a smaller negative adjustment',
      );
      return null;
    }
    const smallestFrame = offset + width + minValue + lengthAdjustment;
    if (smallestFrame > maxFrameBytes) {
      report.error(
        'length-field-unusable',
        ['framing', 'length'],
        `every frame is at least ${smallestFrame} bytes (offset ${offset} + ${width}-byte length field${lengthAdjustment > 0 ? ` + adjustment ${lengthAdjustment}` : ''}), more than maxFrameBytes ${maxFrameBytes}`,
        `raise maxFrameBytes to at least ${smallestFrame} or reduce the offset or adjustment`,
      );
      return null;
    }
    const largestFrame = offset + width + maxValue + lengthAdjustment;
    if (largestFrame < maxFrameBytes && varint) {
      report.error(
        'max-frame-exceeds-length-field',
        ['framing', 'maxFrameBytes'],
        `maxFrameBytes ${maxFrameBytes} of framing cannot be carried by a varint length of at most ${width} bytes: the largest frame it can describe is ${largestFrame} bytes`,
        `lower maxFrameBytes to ${largestFrame}${width < 4 ? ', or allow more bytes (maxBytes: 4)' : ''}`,
      );
      return null;
    }
    if (largestFrame < maxFrameBytes) {
      const wider = (['u16', 'u32', 'u64'] as const).find(
        (t) =>
          LENGTH_WIDTHS[t] > width &&
          offset + LENGTH_WIDTHS[t] + 2 ** (8 * LENGTH_WIDTHS[t]) - 1 + lengthAdjustment >= maxFrameBytes,
      );
      report.error(
        'max-frame-exceeds-length-field',
        ['framing', 'maxFrameBytes'],
        `maxFrameBytes ${maxFrameBytes} of framing cannot be carried by the ${typeName} length field: the largest frame it can describe is ${largestFrame} bytes`,
        `widen the length field to '${wider ?? 'u64'}' or lower maxFrameBytes to ${largestFrame}`,
      );
      return null;
    }
    return {
      kind: 'length-prefixed',
      lengthOffset: offset,
      lengthBytes: width,
      lengthEndian: length.endian === 'little' || length.endian === 'big' ? length.endian : this.#byteOrder(),
      lengthAdjustment,
      lengthCounts: counts,
      ...(varint ? { lengthVarint: true as const } : {}),
      maxFrameBytes,
    };
  }

  /**
   * The length field sits between header fields: its offset must be where
   * one fixed-size header field ends and the next begins (0 is before the first).
   */
  checkLengthPlacement(framing: LengthPrefixedFramingIR, fields: readonly FieldIR[]): void {
    const boundaries = [0];
    for (const field of fields) {
      const size = fixedSize(field.type);
      if (size === null) break;
      boundaries.push(boundaries.at(-1)! + size);
    }
    const offset = framing.lengthOffset;
    if (boundaries.includes(offset)) {
      this.#checkLengthLookalike(framing, fields, boundaries);
      return;
    }
    const before = boundaries.filter((boundary) => boundary < offset).at(-1) ?? 0;
    const end = boundaries.at(-1)!;
    this.#ctx.report.error(
      'length-offset-not-at-field-boundary',
      ['framing', 'length', 'offset'],
      offset > end
        ? `the length field is at byte ${offset}, past the end of the fixed-size header fields (byte ${end})`
        : `the length field is at byte ${offset}, inside a header field (the fields before it end at byte ${before})`,
      `set offset to one of ${boundaries.join(', ')}, or declare header fields that fill bytes ${before} to ${offset}`,
    );
  }

  /**
   * The framing's length is not a header field: it is written at its offset
   * and the header fields continue after it. A header field declared there
   * with the length's width and a length-like name is most likely the same
   * length written twice (issue 8: memcached's totalBodyLength gave a
   * 28-byte header instead of 24).
   */
  #checkLengthLookalike(framing: LengthPrefixedFramingIR, fields: readonly FieldIR[], boundaries: number[]): void {
    if (framing.lengthVarint === true) return;
    const index = boundaries.indexOf(framing.lengthOffset);
    const field = fields[index];
    if (field === undefined || field.type.kind !== 'int' || field.type.bits / 8 !== framing.lengthBytes) return;
    if (!/len|size/i.test(field.name)) return;
    const after = framing.lengthOffset + framing.lengthBytes;
    this.#ctx.report.warning(
      'header-field-like-length',
      ['header', field.name],
      `header field '${field.name}' is declared where the framing length is (byte ${framing.lengthOffset}, a u${framing.lengthBytes * 8}), but the framing writes its own length there, so '${field.name}' comes after it, at byte ${after}`,
      `if '${field.name}' is the frame's length, remove it from the header (the framing fills it in); if it is another field, rename it`,
    );
  }

  /** After a varint length nothing has a fixed offset, so the receiver could not find a discriminator there. */
  checkDiscriminatorBeforeVarint(framing: LengthPrefixedFramingIR, header: FramingHeader): void {
    if (framing.lengthVarint !== true || header.discriminator === null || header.fields === null) return;
    let position = 0;
    for (const field of header.fields) {
      if (field.name === header.discriminator.name) break;
      position += fixedSize(field.type) ?? Number.POSITIVE_INFINITY;
    }
    if (position < framing.lengthOffset) return;
    this.#ctx.report.error(
      'discriminator-after-varint-length',
      ['header', header.discriminator.name],
      `the discriminator '${header.discriminator.name}' comes after the varint length at byte ${framing.lengthOffset}, whose size varies, so a receiver could not find it at a fixed place`,
      'declare the discriminator before the length (MQTT: the packet type is in the first byte, the length after it)',
    );
  }

  #byteOrder(): Endian {
    return this.#ctx.spec.byteOrder === 'little' ? 'little' : 'big';
  }

  transports(framing: FramingIR | null): TransportKind[] | null {
    const transports = this.#ctx.section('transports');
    if (!Array.isArray(transports)) return null;
    const list = transports as TransportKind[];
    // The match depends only on the framing kind, so it is checked even when other framing keys are wrong.
    const rawFraming = this.#ctx.spec.framing;
    const framingKind = isRecord(rawFraming) && this.#ctx.ok(['framing', 'kind']) ? rawFraming.kind : undefined;
    if (typeof framingKind !== 'string' || !(FRAMING_KINDS as readonly string[]).includes(framingKind)) return list;
    const datagram = framingKind === 'datagram';
    // Lines, delimited and raw frames also fit datagrams: each datagram then
    // carries exactly one frame, so a delimiter only ends it.
    const eitherKind = DATAGRAM_CAPABLE_FRAMINGS.includes(framingKind);
    let ok = true;
    list.forEach((transport, index) => {
      if (datagram && !DATAGRAM_TRANSPORTS.includes(transport)) {
        ok = false;
        this.#ctx.report.error(
          'transport-framing-mismatch',
          ['transports', index],
          `transport '${transport}' is a byte stream, but framing 'datagram' needs the transport to keep message boundaries`,
          `use ${listNames(DATAGRAM_TRANSPORTS, 'or')}, or a stream framing such as 'length-prefixed'`,
        );
      } else if (!datagram && !eitherKind && !STREAM_TRANSPORTS.includes(transport)) {
        ok = false;
        this.#ctx.report.error(
          'transport-framing-mismatch',
          ['transports', index],
          `transport '${transport}' carries datagrams, but framing '${framingKind}' cuts a byte stream`,
          `use framing kind 'datagram', 'lines', 'delimited' or 'raw' with '${transport}', or a stream transport (${STREAM_TRANSPORTS.join(', ')})`,
        );
      }
    });
    // Only for datagram framing: a lines or delimited maximum also bounds the
    // stream transports the spec lists, where a larger one is meaningful.
    if (
      framing?.kind === 'datagram' &&
      framing.maxFrameBytes > MAX_UDP_PAYLOAD &&
      list.some((t) => t === 'udp' || t === 'udp6')
    ) {
      this.#ctx.report.warning(
        'datagram-too-large',
        ['framing', 'maxFrameBytes'],
        `maxFrameBytes ${framing.maxFrameBytes} of framing is more than a UDP datagram can carry (${MAX_UDP_PAYLOAD} bytes)`,
        `lower maxFrameBytes to ${MAX_UDP_PAYLOAD}`,
      );
    }
    return ok ? list : null;
  }
}
