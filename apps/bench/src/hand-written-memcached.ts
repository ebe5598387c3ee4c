/**
 * The memcached client a careful user writes by hand on `node:net`: the
 * pipeline bench's baseline. `get(key)` returns a promise like the
 * generated client's; requests written in one tick leave in one write
 * (Buffer.concat), replies are cut from their 24-byte headers and found by
 * opaque in a Map. What it leaves out, and the generated client keeps:
 * request timeouts, checking the key against the spec's pattern and the
 * reply's every field, and typed errors.
 */
import { connect, type Socket } from 'node:net';

const HEADER_BYTES = 24;
const REQUEST_MAGIC = 0x80;
const GET_OPCODE = 0x00;

export interface HandWrittenGetReply {
  readonly status: number;
  readonly value: Buffer;
}

interface Waiting {
  readonly resolve: (reply: HandWrittenGetReply) => void;
  readonly reject: (error: Error) => void;
}

export class HandWrittenMemcachedClient {
  readonly #socket: Socket;
  readonly #waiting = new Map<number, Waiting>();
  #outgoing: Buffer[] = [];
  #outgoingBytes = 0;
  #lastOpaque = 0;
  #held: Buffer | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('close', () => this.#failAll(new Error('memcached connection closed')));
    socket.on('error', (error) => this.#failAll(error));
  }

  static connect(host: string, port: number): Promise<HandWrittenMemcachedClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      socket.once('connect', () => resolve(new HandWrittenMemcachedClient(socket)));
      socket.once('error', reject);
    });
  }

  get(key: string): Promise<HandWrittenGetReply> {
    const keyBytes = Buffer.byteLength(key);
    this.#lastOpaque = (this.#lastOpaque + 1) >>> 0;
    const opaque = this.#lastOpaque;
    const frame = Buffer.allocUnsafe(HEADER_BYTES + keyBytes);
    frame[0] = REQUEST_MAGIC;
    frame[1] = GET_OPCODE;
    frame.writeUInt16BE(keyBytes, 2);
    frame.writeUInt32BE(0, 4); // extras length, data type, vbucket
    frame.writeUInt32BE(keyBytes, 8);
    frame.writeUInt32BE(opaque, 12);
    frame.fill(0, 16, 24); // cas
    frame.write(key, HEADER_BYTES, 'utf8');
    if (this.#outgoing.length === 0) process.nextTick(() => this.#flush());
    this.#outgoing.push(frame);
    this.#outgoingBytes += frame.length;
    return new Promise((resolve, reject) => this.#waiting.set(opaque, { resolve, reject }));
  }

  close(): void {
    this.#socket.destroy();
  }

  #flush(): void {
    this.#socket.write(Buffer.concat(this.#outgoing, this.#outgoingBytes));
    this.#outgoing = [];
    this.#outgoingBytes = 0;
  }

  #onData(chunk: Buffer): void {
    const bytes = this.#held === null ? chunk : Buffer.concat([this.#held, chunk]);
    let offset = 0;
    while (bytes.length - offset >= HEADER_BYTES) {
      const frameBytes = HEADER_BYTES + bytes.readUInt32BE(offset + 8);
      if (bytes.length - offset < frameBytes) break;
      const extras = bytes[offset + 4]!;
      const keyLength = bytes.readUInt16BE(offset + 2);
      const opaque = bytes.readUInt32BE(offset + 12);
      const waiting = this.#waiting.get(opaque);
      if (waiting !== undefined) {
        this.#waiting.delete(opaque);
        waiting.resolve({
          status: bytes.readUInt16BE(offset + 6),
          // A copy, so that a kept value does not keep the whole read chunk alive.
          value: Buffer.from(bytes.subarray(offset + HEADER_BYTES + extras + keyLength, offset + frameBytes)),
        });
      }
      offset += frameBytes;
    }
    this.#held = offset === bytes.length ? null : bytes.subarray(offset);
  }

  #failAll(error: Error): void {
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
