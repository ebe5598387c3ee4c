import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { lstatSync, type Stats, unlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { boundAddress, type ResolvedTarget, resolveUnixPath } from './address.js';
import { type ChannelSettings, resolveChannelSettings } from './channel.js';
import {
  AddressInUseError,
  ConnectionClosedError,
  DatagramTooLargeError,
  InvalidAddressError,
  ReadTimeoutError,
  systemErrorCode,
  WriteQueueFullError,
} from './errors.js';
import { transportLogOf } from './log.js';
import { MAX_TIMER_MS, positiveInteger } from './options.js';
import type {
  BoundAddress,
  ByteChannel,
  ConnectOptions,
  DatagramTransportKind,
  Listener,
  ListenOptions,
  PeerAddress,
  SocketOptions,
} from './types.js';
import { loadUnixDgram, type UnixDgramSocket } from './unix-dgram.js';
import { describeFileType, lstatOrUndefined } from './unix-file.js';
import { formatHostPort } from './url.js';

/** 65 535 minus the IPv4 and UDP headers: the largest payload one UDP/IPv4 datagram carries. */
export const MAX_UDP4_DATAGRAM_BYTES = 65_507;
/** 65 535 minus the UDP header (IPv6's own header is not counted in its payload length). */
export const MAX_UDP6_DATAGRAM_BYTES = 65_527;
/**
 * The unix-dgram addon receives into a 64 KiB buffer and does not report
 * truncation, so a datagram of exactly 65 536 bytes may be the head of a
 * bigger one: the ceiling is one byte less, and anything that fills the
 * buffer is dropped as oversize.
 */
export const MAX_UNIX_DGRAM_BYTES = 65_535;
export const DEFAULT_DATAGRAM_PEER_IDLE_MS = 60_000;
export const DEFAULT_MAX_DATAGRAM_PEERS = 1024;
/**
 * Datagrams kept for a peer channel that is paused or has no data listener
 * yet. Beyond it datagrams are dropped, as a full socket buffer would drop
 * them: UDP never promised delivery, and holding more would let one peer
 * make the listener buffer without bound.
 */
export const MAX_HELD_DATAGRAMS_PER_PEER = 64;
/** The same bound across all peers of a listener, in bytes. */
export const MAX_HELD_DATAGRAM_BYTES = 16 * 1024 * 1024;

interface DatagramSettings {
  readonly channel: ChannelSettings;
  readonly maxDatagramBytes: number;
  readonly peerIdleMs: number;
  readonly maxPeers: number;
  /** Listener side: a channel per datagram rather than per peer (datagramChannels 'datagram'). */
  readonly channelPerDatagram: boolean;
  readonly log: (line: string) => void;
}

function resolveDatagramSettings(kind: DatagramTransportKind, options: SocketOptions): DatagramSettings {
  const ceiling =
    kind === 'udp' ? MAX_UDP4_DATAGRAM_BYTES : kind === 'udp6' ? MAX_UDP6_DATAGRAM_BYTES : MAX_UNIX_DGRAM_BYTES;
  return {
    channel: resolveChannelSettings(options),
    maxDatagramBytes: positiveInteger('maxDatagramBytes', options.maxDatagramBytes ?? ceiling, ceiling),
    peerIdleMs: positiveInteger(
      'datagramPeerIdleMs',
      options.datagramPeerIdleMs ?? DEFAULT_DATAGRAM_PEER_IDLE_MS,
      MAX_TIMER_MS,
    ),
    maxPeers: positiveInteger('maxDatagramPeers', options.maxDatagramPeers ?? DEFAULT_MAX_DATAGRAM_PEERS, 1_000_000),
    channelPerDatagram: options.datagramChannels === 'datagram',
    log: transportLogOf(options),
  };
}

/** Where a datagram came from or goes: an IP and port, or (unix-dgram) the sender's bound path. */
interface DatagramPeer {
  readonly host: string;
  readonly port: number;
}

/** dgram.Socket and the unix-dgram addon behind one shape. */
interface DatagramSocket {
  /** `to` undefined: the connected peer. */
  send(datagram: Uint8Array, to: DatagramPeer | undefined, done: (err?: Error | null) => void): void;
  onMessage(listener: (datagram: Buffer, from: DatagramPeer) => void): void;
  onError(listener: (err: Error) => void): void;
  close(): void;
}

function udpSocket(socket: dgram.Socket): DatagramSocket {
  return {
    send: (datagram, to, done) => {
      if (to === undefined) socket.send(datagram, done);
      else socket.send(datagram, to.port, to.host, done);
    },
    onMessage: (listener) =>
      socket.on('message', (data, rinfo) => listener(data, { host: rinfo.address, port: rinfo.port })),
    onError: (listener) => socket.on('error', listener),
    close: () => socket.close(),
  };
}

/**
 * The addon reports a full socket buffer as "congestion" without sending;
 * such datagrams wait here, in order, until it says the socket is writable.
 * Callers bound what they queue through the channel's maxWriteQueueBytes.
 */
function unixDgramSocket(socket: UnixDgramSocket, connected: boolean): DatagramSocket {
  const waiting: { datagram: Buffer; to: string | undefined; done: (err?: Error | null) => void }[] = [];
  let closed = false;
  const trySend = (datagram: Buffer, to: string | undefined, done: (err?: Error | null) => void): boolean => {
    let congested = false;
    const callback = (err?: Error) => {
      if (err !== undefined && systemErrorCode(err) === undefined && (err as { code?: unknown }).code === 1) {
        congested = true;
        return;
      }
      // The addon's errors carry a negative errno; name it (ECONNREFUSED, …) as Node's would.
      done(err === undefined ? null : errnoError(err));
    };
    if (connected || to === undefined) socket.send(datagram, callback);
    else socket.send(datagram, 0, datagram.byteLength, to, callback);
    return !congested;
  };
  socket.on('writable', () => {
    while (!closed && waiting.length > 0) {
      const next = waiting[0]!;
      if (!trySend(next.datagram, next.to, next.done)) return;
      waiting.shift();
    }
  });
  return {
    send: (datagram, to, done) => {
      const buffer = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
      const target = to?.host;
      if (waiting.length > 0 || !trySend(buffer, target, done)) waiting.push({ datagram: buffer, to: target, done });
    },
    onMessage: (listener) => socket.on('message', (data, rinfo) => listener(data, { host: rinfo.path ?? '', port: 0 })),
    onError: (listener) => socket.on('error', listener),
    close: () => {
      closed = true;
      const dropped = waiting.splice(0);
      socket.close();
      for (const entry of dropped) entry.done(new Error('socket closed before the datagram could be sent'));
    },
  };
}

/**
 * One peer of a datagram socket, as a ByteChannel. Chunks are whole
 * datagrams and every write() is one datagram, sent at once: batching would
 * merge frames the peer reads one datagram at a time. There is no half-close
 * on the wire: end() closes once queued datagrams are sent, and a peer
 * silent for datagramPeerIdleMs (listener side) closes without an error.
 * onEnd fires only on a channel made for one datagram (`single`), once that
 * datagram has been delivered.
 */
export class DatagramChannel implements ByteChannel {
  readonly remote: PeerAddress;
  readonly local: BoundAddress;

  readonly #socket: DatagramSocket;
  /** undefined: the socket is connected to the peer. */
  readonly #to: DatagramPeer | undefined;
  readonly #settings: DatagramSettings;
  readonly #release: () => void;
  readonly #hold: HeldBytes;
  readonly #bufferSizes: () => { send: number; receive: number };
  #inFlightBytes = 0;
  #held: Buffer[] = [];
  #needDrain = false;
  #ended = false;
  #closed = false;
  #closeError: Error | undefined;
  #closeEmitted = false;
  #paused = false;
  #deliverScheduled = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #readTimer: NodeJS.Timeout | undefined;
  /** Made for one datagram: its input ends once that datagram is delivered. */
  readonly #single: boolean;
  #inputComplete = false;
  #endEmitted = false;

  readonly #endListeners: (() => void)[] = [];
  readonly #dataListeners: ((chunk: Uint8Array) => void)[] = [];
  readonly #drainListeners: (() => void)[] = [];
  readonly #closeListeners: ((error?: Error) => void)[] = [];

  constructor(init: {
    socket: DatagramSocket;
    to: DatagramPeer | undefined;
    local: BoundAddress;
    remote: PeerAddress;
    settings: DatagramSettings;
    /** Called once when the channel closes: forget the peer, or close the client's socket. */
    release: () => void;
    hold: HeldBytes;
    /** Listener side: a peer silent both ways this long loses its channel. */
    idleExpiry: boolean;
    /** Listener side with datagramChannels 'datagram': the channel carries one datagram, then its input ends. */
    single?: boolean;
    bufferSizes?: () => { send: number; receive: number };
  }) {
    this.#bufferSizes = init.bufferSizes ?? (() => ({ send: -1, receive: -1 }));
    this.#socket = init.socket;
    this.#to = init.to;
    this.local = init.local;
    this.remote = init.remote;
    this.#settings = init.settings;
    this.#release = init.release;
    this.#hold = init.hold;
    this.#single = init.single === true;
    if (init.idleExpiry) {
      this.#idleTimer = setTimeout(() => this.#close(undefined), init.settings.peerIdleMs);
      this.#idleTimer.unref();
    }
    const readTimeoutMs = init.settings.channel.readTimeoutMs;
    if (readTimeoutMs > 0) {
      this.#readTimer = setTimeout(
        () => this.destroy(new ReadTimeoutError(this.remote.label, this.local.url, readTimeoutMs)),
        readTimeoutMs,
      );
      this.#readTimer.unref();
    }
  }

  get pendingWriteBytes(): number {
    return this.#inFlightBytes;
  }

  /** Client side: SO_SNDBUF / SO_RCVBUF of its own socket as the kernel reports them; -1 where unreadable. */
  bufferSizes(): { send: number; receive: number } {
    return this.#bufferSizes();
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#ended) {
      throw new ConnectionClosedError(
        this.local.url,
        `write() after end() on the channel to ${this.remote.label}: the channel is closed for writing`,
      );
    }
    if (chunk.byteLength > this.#settings.maxDatagramBytes) {
      this.destroy(new DatagramTooLargeError(this.remote.label, this.#settings.maxDatagramBytes, chunk.byteLength));
      return false;
    }
    const pending = this.#inFlightBytes + chunk.byteLength;
    const { maxWriteQueueBytes, writeHighWaterMark } = this.#settings.channel;
    if (pending > maxWriteQueueBytes) {
      this.destroy(new WriteQueueFullError(this.remote.label, maxWriteQueueBytes, pending));
      return false;
    }
    this.#inFlightBytes = pending;
    this.#idleTimer?.refresh();
    const size = chunk.byteLength;
    this.#socket.send(chunk, this.#to, (err) => {
      this.#inFlightBytes -= size;
      if (err) {
        const code = systemErrorCode(err);
        this.destroy(
          new ConnectionClosedError(
            this.local.url,
            `sending a datagram of ${size} bytes to ${this.remote.label} from ${this.local.url} failed: ${code ?? err.message}`,
            code === undefined ? { cause: err } : { cause: err, syscallCode: code },
          ),
        );
        return;
      }
      if (this.#ended && this.#inFlightBytes === 0) this.#close(undefined);
      else this.#maybeEmitDrain();
    });
    if (pending < writeHighWaterMark) return true;
    this.#needDrain = true;
    return false;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#scheduleDelivery();
  }

  end(): void {
    if (this.#closed || this.#ended) return;
    this.#ended = true;
    if (this.#inFlightBytes === 0) this.#close(undefined);
  }

  destroy(error?: Error): void {
    this.#close(error);
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.#dataListeners.push(listener);
    this.#scheduleDelivery();
  }

  onDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
  }

  /** Datagrams carry no end-of-stream: called only on a `single` channel, after its one datagram. */
  onEnd(listener: () => void): void {
    if (!this.#single) return;
    this.#endListeners.push(listener);
    this.#maybeEmitEnd();
  }

  onClose(listener: (error?: Error) => void): void {
    if (!this.#closeEmitted) {
      this.#closeListeners.push(listener);
      return;
    }
    const error = this.#closeError;
    queueMicrotask(() => (error === undefined ? listener() : listener(error)));
  }

  /** A datagram from the peer, already checked against maxDatagramBytes. */
  receive(datagram: Buffer): void {
    if (this.#closed) return;
    this.#idleTimer?.refresh();
    this.#readTimer?.refresh();
    if (this.#single) this.#inputComplete = true;
    if (!this.#paused && this.#dataListeners.length > 0 && this.#held.length === 0) {
      for (const listener of this.#dataListeners) listener(datagram);
      this.#maybeEmitEnd();
      return;
    }
    if (this.#held.length >= MAX_HELD_DATAGRAMS_PER_PEER || !this.#hold.take(datagram.byteLength)) {
      this.#settings.log(
        `${this.local.url}: dropped a datagram of ${datagram.byteLength} bytes from ${this.remote.label}: ` +
          'the channel is not reading and its hold queue is full',
      );
      if (this.#single) this.#close(undefined);
      return;
    }
    this.#held.push(datagram);
  }

  /** A `single` channel whose datagram has been delivered: its input ends (after the current call returns). */
  #maybeEmitEnd(): void {
    if (!this.#inputComplete || this.#endEmitted || this.#held.length > 0 || this.#endListeners.length === 0) return;
    this.#endEmitted = true;
    process.nextTick(() => {
      if (this.#closed) return;
      for (const listener of this.#endListeners) listener();
    });
  }

  #scheduleDelivery(): void {
    if (this.#deliverScheduled || this.#held.length === 0) return;
    this.#deliverScheduled = true;
    // Deferred so onData()/resume() never call back into the caller before it returns.
    process.nextTick(() => {
      this.#deliverScheduled = false;
      while (!this.#closed && !this.#paused && this.#dataListeners.length > 0) {
        const datagram = this.#held.shift();
        if (datagram === undefined) break;
        this.#hold.give(datagram.byteLength);
        for (const listener of this.#dataListeners) listener(datagram);
      }
      this.#maybeEmitEnd();
    });
  }

  #maybeEmitDrain(): void {
    if (!this.#needDrain || this.#closed) return;
    if (this.#inFlightBytes >= this.#settings.channel.writeHighWaterMark) return;
    this.#needDrain = false;
    for (const listener of this.#drainListeners) listener();
  }

  #close(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#readTimer);
    for (const datagram of this.#held) this.#hold.give(datagram.byteLength);
    this.#held = [];
    this.#release();
    // Asynchronous like a socket's 'close', so a listener registered right
    // after destroy() is still told through the normal path.
    process.nextTick(() => {
      this.#closeEmitted = true;
      for (const listener of this.#closeListeners.splice(0)) {
        if (error === undefined) listener();
        else listener(error);
      }
    });
  }
}

/** Bytes held for unread peer channels, shared by all channels of one listener. */
class HeldBytes {
  #bytes = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  take(bytes: number): boolean {
    if (this.#bytes + bytes > this.#limit) return false;
    this.#bytes += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#bytes -= bytes;
  }
}

/**
 * A bound datagram socket presented as a Listener: the first datagram from a
 * new address creates a channel for that peer (at most maxDatagramPeers at
 * once) and replies on it go back to that address. While accepting is paused,
 * or before the first onChannel listener, datagrams from new peers are
 * dropped; known peers are still served. close() releases the address and
 * closes every peer channel, since they all share the one socket. With
 * datagramChannels 'datagram' every datagram gets a channel of its own
 * (counted against maxDatagramPeers while it waits or is served).
 */
export class DatagramListener implements Listener {
  readonly address: BoundAddress;

  readonly #socket: DatagramSocket;
  readonly #settings: DatagramSettings;
  readonly #peers = new Map<string, DatagramChannel>();
  readonly #channelListeners: ((channel: ByteChannel) => void)[] = [];
  readonly #hold = new HeldBytes(MAX_HELD_DATAGRAM_BYTES);
  readonly #bufferSizes: () => { send: number; receive: number };
  readonly #onClosed: () => Promise<void>;
  #accepting = true;
  #closed = false;
  #peerLimitLogged = false;
  #dropped = 0;
  #datagramSerial = 0;

  constructor(init: {
    socket: DatagramSocket;
    address: BoundAddress;
    settings: DatagramSettings;
    bufferSizes: () => { send: number; receive: number };
    onClosed: () => Promise<void>;
  }) {
    this.#socket = init.socket;
    this.address = init.address;
    this.#settings = init.settings;
    this.#bufferSizes = init.bufferSizes;
    this.#onClosed = init.onClosed;
    init.socket.onMessage(this.#onMessage);
    init.socket.onError((err) => {
      // A send error is reported to the channel that sent; anything here is
      // the socket's own (e.g. ICMP errors on Linux) and must not crash.
      init.settings.log(`${this.address.url}: socket error ${systemErrorCode(err) ?? err.message}`);
    });
  }

  /** Peer channels open now. */
  get peerCount(): number {
    return this.#peers.size;
  }

  /** Datagrams dropped so far: oversize, from a peer over maxDatagramPeers, while paused, or unreplyable. */
  get droppedDatagrams(): number {
    return this.#dropped;
  }

  /**
   * SO_SNDBUF / SO_RCVBUF as the kernel reports them (Linux doubles what was
   * asked, to leave room for its bookkeeping). unix-dgram: not readable, -1.
   */
  bufferSizes(): { send: number; receive: number } {
    return this.#bufferSizes();
  }

  onChannel(listener: (channel: ByteChannel) => void): void {
    this.#channelListeners.push(listener);
  }

  pauseAccepting(): void {
    this.#accepting = false;
  }

  resumeAccepting(): void {
    this.#accepting = true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const channel of [...this.#peers.values()]) channel.destroy();
    this.#socket.close();
    await this.#onClosed();
  }

  readonly #onMessage = (datagram: Buffer, from: DatagramPeer): void => {
    if (this.#closed) return;
    const label =
      this.address.transport !== 'unix-dgram'
        ? formatHostPort(from.host, from.port)
        : from.host === ''
          ? '(unbound unix-dgram socket)'
          : from.host;
    if (datagram.byteLength > this.#settings.maxDatagramBytes) {
      this.#dropped++;
      this.#settings.log(
        `${this.address.url}: dropped a datagram of ${datagram.byteLength} bytes from ${label}: ` +
          `over maxDatagramBytes ${this.#settings.maxDatagramBytes}`,
      );
      return;
    }
    const single = this.#settings.channelPerDatagram;
    // One channel per datagram: a fresh key each time, so every datagram is a request of its own.
    const key = single ? `${from.host}\0${from.port}\0${this.#datagramSerial++}` : `${from.host}\0${from.port}`;
    const known = single ? undefined : this.#peers.get(key);
    if (known !== undefined) {
      known.receive(datagram);
      return;
    }
    if (!this.#accepting || this.#channelListeners.length === 0) {
      this.#dropped++;
      return;
    }
    if (from.host === '') {
      this.#dropped++;
      this.#settings.log(
        `${this.address.url}: dropped a datagram of ${datagram.byteLength} bytes from an unbound unix-dgram ` +
          'socket: there is no address to reply to (clients must bind their own path)',
      );
      return;
    }
    if (this.#peers.size >= this.#settings.maxPeers) {
      this.#dropped++;
      // One line per episode: a flood of new peers must not become a flood of log lines.
      if (!this.#peerLimitLogged) {
        this.#peerLimitLogged = true;
        this.#settings.log(
          `${this.address.url}: dropping datagrams from new peers such as ${label}: ${this.#peers.size} ` +
            `${single ? 'datagrams are already waiting to be served' : 'peers already have channels'} ` +
            `(maxDatagramPeers ${this.#settings.maxPeers})`,
        );
      }
      return;
    }
    const transport = this.address.transport;
    const channel = new DatagramChannel({
      socket: this.#socket,
      to: from,
      local: this.address,
      remote: { transport, host: from.host, port: from.port, label },
      settings: this.#settings,
      release: () => {
        if (this.#peers.get(key) === channel) this.#peers.delete(key);
        this.#peerLimitLogged = false;
      },
      hold: this.#hold,
      idleExpiry: true,
      single,
    });
    this.#peers.set(key, channel);
    for (const listener of this.#channelListeners) listener(channel);
    channel.receive(datagram);
  };
}

export async function listenDatagram(
  target: ResolvedTarget & { transport: DatagramTransportKind },
  options: ListenOptions,
): Promise<DatagramListener> {
  const settings = resolveDatagramSettings(target.transport, options);
  if (options.backlog !== undefined) {
    throw new InvalidAddressError(`backlog does not apply to ${target.url}: datagram sockets have no accept queue`);
  }
  if (options.ipv6Only !== undefined) throw new InvalidAddressError(`ipv6Only applies to tcp6 only, not ${target.url}`);
  if (target.transport === 'unix-dgram') return listenUnixDgram(target, options, settings);
  if (options.socketMode !== undefined) {
    throw new InvalidAddressError(`socketMode applies to unix sockets only, not ${target.url}`);
  }
  const socket = dgram.createSocket({
    type: target.transport === 'udp' ? 'udp4' : 'udp6',
    reuseAddr: options.reuseAddress ?? false,
    ...(options.sendBufferSize === undefined ? {} : { sendBufferSize: options.sendBufferSize }),
    ...(options.receiveBufferSize === undefined ? {} : { recvBufferSize: options.receiveBufferSize }),
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      socket.off('listening', onListening);
      socket.close();
      reject(datagramBindError(target.url, err));
    };
    const onListening = () => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ address: target.host, port: target.port });
  });
  const bound = socket.address();
  return new DatagramListener({
    socket: udpSocket(socket),
    address: boundAddress(target.transport, bound.address, bound.port),
    settings,
    bufferSizes: () => ({ send: socket.getSendBufferSize(), receive: socket.getRecvBufferSize() }),
    onClosed: async () => {},
  });
}

function datagramBindError(url: string, err: Error): Error {
  const code = systemErrorCode(err);
  if (code === 'EADDRINUSE') {
    return new AddressInUseError(url, `cannot listen on ${url}: address already in use`, { cause: err });
  }
  if (code === 'EADDRNOTAVAIL') {
    return new InvalidAddressError(`cannot listen on ${url}: the address is not on this machine (${code})`, {
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new InvalidAddressError(`cannot listen on ${url}: permission denied (${code})`, { cause: err });
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new InvalidAddressError(`cannot bind ${url}: the directory does not exist (${code})`, { cause: err });
  }
  return err;
}

/** Binds a unix datagram socket at `path`, emitting the addon's synchronous 'error' as a throw. */
function bindUnixDgram(path: string): UnixDgramSocket {
  const socket = loadUnixDgram().createSocket('unix_dgram');
  let failure: Error | undefined;
  socket.on('error', (err) => {
    failure = err;
  });
  socket.bind(path);
  if (failure !== undefined) {
    socket.close();
    throw failure;
  }
  socket.removeAllListeners();
  return socket;
}

/** Whether anyone is bound at a unix datagram path: connect(2) to a path with no socket behind it is refused. */
function probeUnixDgram(path: string): 'live' | 'stale' {
  const socket = loadUnixDgram().createSocket('unix_dgram');
  let code: string | undefined;
  let failed = false;
  socket.on('error', (err) => {
    failed = true;
    code = systemErrorCode(err) ?? String((err as { errno?: unknown }).errno);
  });
  socket.connect(path);
  socket.close();
  if (!failed) return 'live';
  // The addon reports errno values negated (-111 is ECONNREFUSED on Linux).
  return code === 'ECONNREFUSED' || code === '-111' || code === 'ENOENT' || code === '-2' ? 'stale' : 'live';
}

async function listenUnixDgram(
  target: ResolvedTarget & { transport: 'unix-dgram' },
  options: ListenOptions,
  settings: DatagramSettings,
): Promise<DatagramListener> {
  if (
    options.socketMode !== undefined &&
    (!Number.isInteger(options.socketMode) || options.socketMode < 0 || options.socketMode > 0o777)
  ) {
    throw new InvalidAddressError(`socketMode must be a permission mode 0–0o777, got ${options.socketMode}`);
  }
  let socket: UnixDgramSocket;
  try {
    socket = bindUnixDgram(target.path);
  } catch (err) {
    if (unixErrno(err) !== 'EADDRINUSE') throw datagramBindError(target.url, errnoError(err));
    const existing = await lstatOrUndefined(target.path);
    if (existing !== undefined && !existing.isSocket()) {
      throw new AddressInUseError(
        target.url,
        `cannot listen on ${target.url}: ${target.path} exists and is ${describeFileType(existing)}, not a socket; ` +
          'refusing to replace it',
      );
    }
    if (existing !== undefined && probeUnixDgram(target.path) === 'live') {
      throw new AddressInUseError(
        target.url,
        `cannot listen on ${target.url}: another socket is bound to ${target.path}`,
      );
    }
    // Only the very socket file found stale is removed.
    const again = await lstatOrUndefined(target.path);
    if (existing !== undefined && again !== undefined && again.ino === existing.ino && again.dev === existing.dev) {
      await fs.unlink(target.path).catch(() => undefined);
    }
    try {
      socket = bindUnixDgram(target.path);
    } catch (retryErr) {
      throw datagramBindError(target.url, errnoError(retryErr));
    }
  }
  let identity: Stats;
  try {
    if (options.socketMode !== undefined) await fs.chmod(target.path, options.socketMode);
    identity = await fs.lstat(target.path);
  } catch (err) {
    socket.close();
    throw datagramBindError(target.url, err as Error);
  }
  return new DatagramListener({
    socket: unixDgramSocket(socket, false),
    address: boundAddress('unix-dgram', target.path, 0),
    settings,
    bufferSizes: () => ({ send: -1, receive: -1 }),
    onClosed: () => removeSocketFile(target.path, identity),
  });
}

/** Unlike net, nothing unlinks a unix datagram socket's file on close; only the file this process made is removed. */
async function removeSocketFile(path: string, created: Stats): Promise<void> {
  const now = await lstatOrUndefined(path).catch(() => undefined);
  if (now === undefined || now.ino !== created.ino || now.dev !== created.dev) return;
  await fs.unlink(path).catch(() => undefined);
}

function removeSocketFileSync(path: string, created: Stats): void {
  try {
    const now = lstatSync(path);
    if (now.ino === created.ino && now.dev === created.dev) unlinkSync(path);
  } catch {
    // Already gone, or not ours to remove.
  }
}

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  [-98]: 'EADDRINUSE',
  [-2]: 'ENOENT',
  [-13]: 'EACCES',
  [-20]: 'ENOTDIR',
  [-111]: 'ECONNREFUSED',
  [-1]: 'EPERM',
};

/** The addon's errors carry a negative errno as `code`; name it as Node would. */
function unixErrno(err: unknown): string | undefined {
  const raw = (err as { code?: unknown } | undefined)?.code;
  if (typeof raw === 'number') return ERRNO_NAMES[raw] ?? `errno ${-raw}`;
  return systemErrorCode(err);
}

function errnoError(err: unknown): Error {
  const name = unixErrno(err);
  const error = new Error(`${(err as Error).message} (${name})`, { cause: err });
  if (name !== undefined) (error as Error & { code?: string }).code = name;
  return error;
}

export async function connectDatagram(
  target: ResolvedTarget & { transport: DatagramTransportKind },
  options: ConnectOptions,
): Promise<DatagramChannel> {
  const settings = resolveDatagramSettings(target.transport, options);
  for (const option of ['datagramPeerIdleMs', 'maxDatagramPeers'] as const) {
    if (options[option] !== undefined)
      throw new InvalidAddressError(`${option} is a listener option, not for connect to ${target.url}`);
  }
  if (target.transport === 'unix-dgram') return connectUnixDgram(target, options, settings);
  const socket = dgram.createSocket({
    type: target.transport === 'udp' ? 'udp4' : 'udp6',
    ...(options.sendBufferSize === undefined ? {} : { sendBufferSize: options.sendBufferSize }),
    ...(options.receiveBufferSize === undefined ? {} : { recvBufferSize: options.receiveBufferSize }),
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      socket.close();
      reject(datagramBindError(target.url, err));
    };
    socket.once('error', onError);
    // connect(2) on UDP only fixes the peer: the kernel then drops datagrams
    // from anyone else, and reports ICMP port-unreachable as ECONNREFUSED.
    socket.connect(target.port, target.host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  const local = socket.address();
  const channel: DatagramChannel = new DatagramChannel({
    socket: udpSocket(socket),
    to: undefined,
    local: boundAddress(target.transport, local.address, local.port),
    remote: {
      transport: target.transport,
      host: target.host,
      port: target.port,
      label: formatHostPort(target.host, target.port),
    },
    settings,
    release: () => socket.close(),
    hold: new HeldBytes(MAX_HELD_DATAGRAM_BYTES),
    idleExpiry: false,
    bufferSizes: () => ({ send: socket.getSendBufferSize(), receive: socket.getRecvBufferSize() }),
  });
  wireClient(channel, udpSocketEvents(socket), settings, target.url);
  return channel;
}

interface ClientSocketEvents {
  onMessage(listener: (datagram: Buffer) => void): void;
  onError(listener: (err: Error) => void): void;
}

function udpSocketEvents(socket: dgram.Socket): ClientSocketEvents {
  return {
    onMessage: (listener) => socket.on('message', (data) => listener(data)),
    onError: (listener) => socket.on('error', listener),
  };
}

function wireClient(
  channel: DatagramChannel,
  events: ClientSocketEvents,
  settings: DatagramSettings,
  url: string,
): void {
  events.onMessage((datagram) => {
    if (datagram.byteLength > settings.maxDatagramBytes) {
      settings.log(
        `${channel.local.url}: dropped a datagram of ${datagram.byteLength} bytes from ${url}: ` +
          `over maxDatagramBytes ${settings.maxDatagramBytes}`,
      );
      return;
    }
    channel.receive(datagram);
  });
  events.onError((err) => {
    const code = systemErrorCode(err) ?? unixErrno(err);
    channel.destroy(
      new ConnectionClosedError(
        url,
        code === 'ECONNREFUSED'
          ? `${url} refused a datagram (ECONNREFUSED): nothing is bound there`
          : `datagram socket to ${url} failed: ${code ?? err.message}`,
        code === undefined ? { cause: err } : { cause: err, syscallCode: code },
      ),
    );
  });
}

async function connectUnixDgram(
  target: ResolvedTarget & { transport: 'unix-dgram' },
  options: ConnectOptions,
  settings: DatagramSettings,
): Promise<DatagramChannel> {
  // The server replies to the sender's bound path; an unbound client would
  // never hear back, so the client always binds one.
  const localPath = resolveUnixPath(
    'unix-dgram',
    options.localPath ?? path.join(os.tmpdir(), `sockspec-${process.pid}-${randomUUID().slice(0, 8)}.sock`),
    'bind',
  );
  let socket: UnixDgramSocket;
  try {
    socket = bindUnixDgram(localPath);
  } catch (err) {
    throw datagramBindError(formatLocal(localPath), errnoError(err));
  }
  let identity: Stats;
  try {
    identity = await fs.lstat(localPath);
  } catch (err) {
    socket.close();
    throw datagramBindError(formatLocal(localPath), err as Error);
  }
  const connectFailure = (() => {
    let failure: Error | undefined;
    socket.on('error', (err) => {
      failure = err;
    });
    socket.connect(target.path);
    socket.removeAllListeners();
    return failure;
  })();
  if (connectFailure !== undefined) {
    socket.close();
    await removeSocketFile(localPath, identity);
    const err = errnoError(connectFailure);
    const code = systemErrorCode(err);
    throw new ConnectionClosedError(
      target.url,
      code === 'ECONNREFUSED'
        ? `could not connect to ${target.url}: nothing is bound there (ECONNREFUSED)`
        : code === 'ENOENT'
          ? `could not connect to ${target.url}: no socket file at that path (ENOENT)`
          : `could not connect to ${target.url}: ${err.message}`,
      code === undefined ? { cause: err } : { cause: err, syscallCode: code },
    );
  }
  const wrapped = unixDgramSocket(socket, true);
  const channel = new DatagramChannel({
    socket: wrapped,
    to: undefined,
    local: boundAddress('unix-dgram', localPath, 0),
    remote: { transport: 'unix-dgram', host: target.path, port: 0, label: target.url },
    settings,
    release: () => {
      wrapped.close();
      // Synchronous, so the file is gone by the time anyone hears of the close.
      removeSocketFileSync(localPath, identity);
    },
    hold: new HeldBytes(MAX_HELD_DATAGRAM_BYTES),
    idleExpiry: false,
  });
  wireClient(
    channel,
    {
      onMessage: (listener) => socket.on('message', (data) => listener(data)),
      onError: (listener) => socket.on('error', listener),
    },
    settings,
    target.url,
  );
  return channel;
}

function formatLocal(localPath: string): string {
  return `unixgram://${localPath}`;
}
