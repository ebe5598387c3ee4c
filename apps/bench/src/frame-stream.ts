/**
 * Frame decoding, part of `pnpm bench codec`: a 1 MiB stream of frames cut
 * into pieces of 1, 7, 64 and 65,536 bytes (how a peer or the network may
 * deliver it) and pushed through the generated protocol's frame decoder,
 * against the splitter people write by hand: join what is held with the new
 * chunk (Buffer.concat), cut every whole frame, keep the rest. Two framings:
 * chat's u32 length prefix (Said frames) and echo's lines.
 */
import { createFrameDecoder, type FramingConfig } from '@sockspec/codec';
import { framing as chatFraming, encodeSaid } from '@sockspec/protocol-chat';
import { framing as echoFraming } from '@sockspec/protocol-echo';

const STREAM_BYTES = 1024 * 1024;
export const CUTS = [1, 7, 64, 65_536] as const;

export interface FrameStreamResult {
  readonly framing: string;
  readonly cut: number;
  readonly decoder: 'sockspec' | 'hand-written Buffer.concat';
  /** Megabytes (10^6 bytes) of stream decoded per second. */
  readonly megabytesPerSecond: number;
  readonly frames: number;
}

interface Stream {
  readonly name: string;
  readonly framing: FramingConfig;
  readonly bytes: Buffer;
  readonly frames: number;
  readonly split: (held: Buffer, onFrame: (frame: Buffer) => void) => Buffer;
}

/** Whole frames of `one` repeated until the stream is at least 1 MiB. */
function repeated(one: Uint8Array): { bytes: Buffer; frames: number } {
  const frames = Math.ceil(STREAM_BYTES / one.length);
  return { bytes: Buffer.concat(Array.from({ length: frames }, () => one)), frames };
}

function streams(): Stream[] {
  const said = repeated(
    encodeSaid({
      id: 0,
      room: 'lobby',
      nick: 'alice',
      text: 'hello, everyone in the room',
      at: new Date(1_790_000_000_000),
    }),
  );
  const line = repeated(Buffer.from(`${'x'.repeat(63)}\n`));
  return [
    {
      name: 'length-prefixed (chat Said)',
      framing: chatFraming,
      ...said,
      split: (held, onFrame) => {
        let at = 0;
        while (held.length - at >= 4) {
          const size = 4 + held.readUInt32BE(at);
          if (size > 4 + 16_384) throw new RangeError('frame too large');
          if (held.length - at < size) break;
          onFrame(held.subarray(at, at + size));
          at += size;
        }
        return held.subarray(at);
      },
    },
    {
      name: 'lines (64-byte echo lines)',
      framing: echoFraming,
      ...line,
      split: (held, onFrame) => {
        let at = 0;
        for (let end = held.indexOf(10, at); end !== -1; end = held.indexOf(10, at)) {
          onFrame(held.subarray(at, end));
          at = end + 1;
        }
        if (held.length - at > 65_536) throw new RangeError('line too long');
        return held.subarray(at);
      },
    },
  ];
}

function cutInto(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return pieces;
}

/** Runs `pass` (one whole stream) for at least `ms` after a warm-up pass; stream bytes per second in MB. */
function megabytesPerSecond(pass: () => number, streamBytes: number, frames: number, ms: number): number {
  if (pass() !== frames) throw new Error('bench codec: a decoder lost frames');
  let passes = 0;
  const started = performance.now();
  let now = started;
  while (now - started < ms || passes === 0) {
    pass();
    passes += 1;
    now = performance.now();
  }
  return (passes * streamBytes) / 1e6 / ((now - started) / 1000);
}

export function measureFrameStreams(msPerCase: number): FrameStreamResult[] {
  const results: FrameStreamResult[] = [];
  for (const stream of streams()) {
    for (const cut of CUTS) {
      const pieces = cutInto(stream.bytes, cut);
      const ours = (): number => {
        const decoder = createFrameDecoder(stream.framing, { sender: 'client' });
        let frames = 0;
        const onFrame = (): void => {
          frames += 1;
        };
        for (const piece of pieces) decoder.push(piece, onFrame);
        decoder.end();
        return frames;
      };
      const byHand = (): number => {
        let held: Buffer = Buffer.alloc(0);
        let frames = 0;
        const onFrame = (): void => {
          frames += 1;
        };
        for (const piece of pieces)
          held = stream.split(held.length === 0 ? piece : Buffer.concat([held, piece]), onFrame);
        return frames;
      };
      for (const [decoder, pass] of [
        ['sockspec', ours],
        ['hand-written Buffer.concat', byHand],
      ] as const) {
        results.push({
          framing: stream.name,
          cut,
          decoder,
          megabytesPerSecond: megabytesPerSecond(pass, stream.bytes.length, stream.frames, msPerCase),
          frames: stream.frames,
        });
      }
    }
  }
  return results;
}

export function formatFrameStreamResults(results: readonly FrameStreamResult[]): string {
  const lines = ['frame decoding of a 1 MiB stream | cut into | decoder | MB/s'];
  for (const result of results) {
    lines.push(`${result.framing} | ${result.cut} B | ${result.decoder} | ${result.megabytesPerSecond.toFixed(1)}`);
  }
  for (const framing of new Set(results.map((result) => result.framing))) {
    const ratios = CUTS.map((cut) => {
      const rate = (decoder: FrameStreamResult['decoder']): number =>
        results.find((result) => result.framing === framing && result.cut === cut && result.decoder === decoder)!
          .megabytesPerSecond;
      return `${cut} B ${(rate('sockspec') / rate('hand-written Buffer.concat')).toFixed(2)}`;
    });
    lines.push(`ratio ${framing}: sockspec / hand-written, by cut: ${ratios.join(', ')}`);
  }
  return lines.join('\n');
}
