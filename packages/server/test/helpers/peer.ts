import net from 'node:net';
import { createFrameDecoder, type FramingConfig } from '@sockspec/codec';
import type { BoundAddress } from '@sockspec/transport';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Big enough for the replies the tests ask for (`big N`). */
const replyFraming: FramingConfig = {
  kind: 'delimited',
  delimiter: [0x0a],
  keepDelimiter: false,
  stripCarriageReturn: true,
  maxFrameBytes: 1 << 20,
};

/**
 * A raw socket client, independent of the client engine, so server tests can
 * also misbehave on purpose (send garbage, stop reading, vanish mid-frame).
 */
export class TestPeer {
  readonly socket: net.Socket;
  /** Resolves when the socket fully closed. */
  readonly closed: Promise<void>;
  /** True once the server ended its side. */
  serverEnded = false;
  readonly #lines: string[] = [];
  #waiters: Array<(line: string | null) => void> = [];
  readonly #frames = createFrameDecoder(replyFraming);

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Uint8Array) => {
      this.#frames.push(chunk, (frame) => this.#deliver(decoder.decode(frame)));
    });
    socket.on('end', () => {
      this.serverEnded = true;
    });
    // A reset from a server that closed on bad input is expected here.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        for (const waiter of this.#waiters.splice(0)) waiter(null);
        resolve();
      });
    });
  }

  /** `localAddress` picks the client's own IP, e.g. 127.0.0.2 to be a second peer address on loopback. */
  static connect(address: BoundAddress, localAddress?: string): Promise<TestPeer> {
    return new Promise((resolve, reject) => {
      const socket =
        address.transport === 'unix'
          ? net.connect({ path: address.host })
          : net.connect({
              host: address.host,
              port: address.port,
              ...(localAddress === undefined ? {} : { localAddress }),
            });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TestPeer(socket));
      });
    });
  }

  #deliver(line: string): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(line);
    else this.#lines.push(line);
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.socket.write(typeof bytes === 'string' ? encoder.encode(bytes) : bytes);
  }

  /** The next reply line, or null when the connection closed first. */
  nextLine(): Promise<string | null> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.socket.destroyed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async request(line: string): Promise<string | null> {
    this.send(line);
    return this.nextLine();
  }

  get bufferedLines(): number {
    return this.#lines.length;
  }

  close(): void {
    this.socket.destroy();
  }
}
