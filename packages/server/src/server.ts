import { type ClusterPrimary, type ConcurrencyModel, eventLoop } from '@sockspec/concurrency';
import {
  type BoundAddress,
  type ByteChannel,
  isDatagramTransport,
  type Listener,
  type ListenOptions,
  listen,
} from '@sockspec/transport';
import { AddressQuota } from './address-quota.js';
import { type ConnectionHost, ServedConnection } from './connection.js';
import { describeError, ServerStateError } from './errors.js';
import { inProcessGroups } from './group-adapter.js';
import { PeerDirectory } from './peers.js';
import { type CheckedMessageRate, checkMessageRate } from './token-bucket.js';
import type { ProtocolServer, ServerHooks, ServerOptions, ServerProtocol, ShutdownOptions } from './types.js';

/** A frame that takes longer than this to arrive is a peer holding the connection open byte by byte. */
const DEFAULT_FRAME_TIMEOUT_MS = 30_000;

/**
 * Unfinished-frame bytes the whole server may hold: 1,000 peers each
 * trickling a 64 KiB frame is 64 MiB, so 256 MiB leaves room for that and
 * stops an attack from taking the machine.
 */
const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

const DEFAULT_DRAIN_MS = 5_000;

/**
 * Builds a server for one protocol. The engine owns sockets, framing,
 * ordering, backpressure, lifecycle and bad input; the protocol object owns
 * bytes <-> messages and what a message does.
 */
export function createProtocolServer<Incoming>(
  protocol: ServerProtocol<Incoming>,
  options: ServerOptions = {},
): ProtocolServer {
  return new ProtocolServerEngine(protocol, options);
}

type Claim<Incoming> = (connection: ServedConnection<Incoming> | null) => void;

class ProtocolServerEngine<Incoming> implements ProtocolServer, ConnectionHost<Incoming> {
  readonly protocol: ServerProtocol<Incoming>;
  readonly model: ConcurrencyModel;
  readonly hooks: ServerHooks;
  readonly idleTimeoutMs: number | null;
  readonly frameTimeoutMs: number | null;
  readonly messageRate: CheckedMessageRate | null;
  readonly maxBufferedBytes: number;
  #bufferedBytes = 0;
  readonly log: (line: string) => void;
  draining = false;
  readonly peers: PeerDirectory;

  readonly #options: ServerOptions;
  readonly #connections = new Set<ServedConnection<Incoming>>();
  readonly #perAddress: AddressQuota | null;
  #nextId = 1;
  #listening: Promise<BoundAddress> | null = null;
  #listener: Listener | null = null;
  /** Under `processes` in the primary: the workers' shared address (the primary itself binds nothing). */
  #sharedAddress: BoundAddress | null = null;
  #shutdown: Promise<void> | null = null;
  #stopped: Promise<void>;
  #resolveStopped!: () => void;
  /** handleOne() calls waiting for their connection, oldest first. */
  #claims: Claim<Incoming>[] = [];

  constructor(protocol: ServerProtocol<Incoming>, options: ServerOptions) {
    this.protocol = protocol;
    this.#options = options;
    this.model = options.concurrency ?? eventLoop();
    this.hooks = options.hooks ?? {};
    this.idleTimeoutMs = options.idleTimeoutMs === undefined ? protocol.idleTimeoutMs : options.idleTimeoutMs;
    this.frameTimeoutMs = options.frameTimeoutMs === undefined ? DEFAULT_FRAME_TIMEOUT_MS : options.frameTimeoutMs;
    this.messageRate = options.messageRate === undefined ? null : checkMessageRate(options.messageRate);
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    if (!Number.isInteger(this.maxBufferedBytes) || this.maxBufferedBytes < 1) {
      throw new RangeError(`maxBufferedBytes must be a positive integer, got ${String(options.maxBufferedBytes)}`);
    }
    this.log = options.log ?? ((line) => void process.stderr.write(`${line}\n`));
    this.#perAddress =
      options.maxConnectionsPerAddress === undefined
        ? null
        : new AddressQuota(options.maxConnectionsPerAddress, (line) => this.log(`${protocol.name}: ${line}`));
    const groups = options.groups ?? inProcessGroups();
    if (protocol.usesGroups === true && this.model.remote !== undefined) {
      // Worker threads hold the handlers but not the connections' group memberships.
      throw new ServerStateError(
        `${protocol.name}: its spec declares groups and broadcasts, which the '${this.model.name}' model cannot carry between its worker threads; use 'processes' with a shared group adapter (--groups redis://…), or 'async' or 'serial'`,
      );
    }
    if (protocol.usesGroups === true && this.model.cluster !== undefined && !groups.shared) {
      throw new ServerStateError(
        `${protocol.name}: its spec declares groups and broadcasts, which reach only the connections of one process with ${groups.kind} groups, so the '${this.model.name}' model cannot run it; share the groups (--groups redis://host:port) or use 'async' or 'serial'`,
      );
    }
    this.peers = new PeerDirectory({
      protocol: protocol.name,
      log: this.log,
      adapter: groups,
      ...(options.maxGroupsPerConnection === undefined
        ? {}
        : { maxGroupsPerConnection: options.maxGroupsPerConnection }),
      ...(options.maxBroadcastBacklogBytes === undefined
        ? {}
        : { maxBroadcastBacklogBytes: options.maxBroadcastBacklogBytes }),
    });
    this.#stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
  }

  get address(): BoundAddress | null {
    return this.#listener?.address ?? this.#sharedAddress;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  listen(): Promise<BoundAddress> {
    if (this.#listening !== null) {
      return Promise.reject(
        new ServerStateError(`${this.protocol.name}: listen() was already called; a server listens once`),
      );
    }
    if (this.#shutdown !== null) {
      return Promise.reject(new ServerStateError(`${this.protocol.name}: listen() called after shutdown()`));
    }
    this.#listening = this.#bind();
    return this.#listening;
  }

  async serveForever(): Promise<void> {
    if (this.#shutdown === null) {
      await this.#ensureListening();
      this.#listener?.resumeAccepting();
    }
    await this.#stopped;
  }

  async handleOne(): Promise<void> {
    if (this.#shutdown !== null) {
      throw new ServerStateError(`${this.protocol.name}: handleOne() called after shutdown()`);
    }
    if (this.model.cluster?.role === 'primary') {
      throw new ServerStateError(
        `${this.protocol.name}: handleOne() is not available under the processes model: the primary serves no connection itself, its workers do`,
      );
    }
    // Claim before binding so not even the first accepted connection can slip past.
    const claimed = new Promise<ServedConnection<Incoming> | null>((resolve) => this.#claims.push(resolve));
    await this.#ensureListening();
    this.#listener?.resumeAccepting();
    const connection = await claimed;
    if (connection !== null) await connection.finished;
  }

  shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#shutdown ??= this.#runShutdown(options.drainMs ?? DEFAULT_DRAIN_MS);
    return this.#shutdown;
  }

  holdBuffered(delta: number): boolean {
    this.#bufferedBytes += delta;
    return this.#bufferedBytes <= this.maxBufferedBytes;
  }

  forget(connection: ServedConnection<Incoming>): void {
    this.#connections.delete(connection);
    this.peers.remove(connection);
  }

  async #ensureListening(): Promise<void> {
    await (this.#listening ?? this.listen());
  }

  async #bind(): Promise<BoundAddress> {
    const cluster = this.model.cluster;
    if (cluster?.role === 'primary') return this.#startWorkers(cluster);
    // Before the first connection: a Redis that cannot be reached fails listen() with one clear error.
    await this.peers.start();
    const options = listenOptions(this.#options, this.model.name, this.protocol.framing.maxFrameBytes);
    // A cluster worker listens where the primary said, so every worker (and
    // every replacement of a crashed one) shares the same port.
    const listener = await listen(
      cluster?.role === 'worker' && cluster.port !== undefined && options.transport !== 'unix'
        ? { ...options, port: cluster.port }
        : options,
    );
    this.#listener = listener;
    listener.onChannel((channel) => this.#accept(channel));
    if (this.#shutdown !== null) {
      await listener.close();
    } else if (cluster?.role === 'worker') {
      cluster.ready(listener.address, (drainMs) => this.shutdown({ drainMs }));
    }
    return listener.address;
  }

  async #startWorkers(cluster: ClusterPrimary): Promise<BoundAddress> {
    const options = listenOptions(this.#options, this.model.name, this.protocol.framing.maxFrameBytes);
    let port = options.port ?? 0;
    if (options.transport !== 'unix' && port === 0) {
      // Port 0 must mean ONE port for all workers, including replacements of
      // crashed ones, so the primary picks it up front: bind an ephemeral
      // port, read it, free it, hand it to every worker.
      const probe = await listen(options);
      port = probe.address.port;
      await probe.close();
    }
    // The workers report the engine's own BoundAddress; the model only carries it.
    const address = (await cluster.start(port, this.log)) as BoundAddress;
    this.#sharedAddress = address;
    return address;
  }

  #accept(channel: ByteChannel): void {
    if (this.draining) {
      channel.destroy();
      return;
    }
    let release: (() => void) | null = null;
    if (this.#perAddress !== null) {
      release = this.#perAddress.take(channel.remote);
      if (release === null) {
        channel.destroy();
        return;
      }
    }
    const connection = new ServedConnection(this, channel, this.#nextId++);
    if (release !== null) connection.onClose(release);
    this.#connections.add(connection);
    const claim = this.#claims.shift();
    if (claim !== undefined) {
      // handle_request semantics: this connection is the one; accept no
      // other until another handleOne() or serveForever() asks for more.
      if (this.#claims.length === 0) this.#listener?.pauseAccepting();
      claim(connection);
    }
    void connection.start();
  }

  async #runShutdown(drainMs: number): Promise<void> {
    this.draining = true;
    if (this.#listening !== null) {
      try {
        await this.#listening;
      } catch {
        // listen() failed and its caller got that error; nothing is bound to release.
      }
    }
    const cluster = this.model.cluster;
    if (cluster?.role === 'primary') {
      // Each worker drains its own connections within drainMs; the primary waits for them all.
      if (this.#sharedAddress !== null) await cluster.stop(drainMs);
      this.#resolveStopped();
      return;
    }
    const listenerClosed = this.#listener?.close();
    for (const claim of this.#claims.splice(0)) claim(null);
    for (const connection of this.#connections) connection.beginShutdown();
    const cutOff = setTimeout(() => {
      for (const connection of this.#connections) connection.cutOff(drainMs);
    }, drainMs);
    try {
      await Promise.all([listenerClosed, ...[...this.#connections].map((connection) => connection.finished)]);
    } finally {
      clearTimeout(cutOff);
    }
    // The model is not closed here: the default event loop holds nothing to
    // free (and close() would wait for a handler that drainMs cut off), and
    // a model passed in belongs to the caller, who may share it. The group
    // adapter is: its heartbeat would keep this server's name alive.
    try {
      await this.peers.adapter.close();
    } catch (error) {
      this.log(`${this.protocol.name}: closing ${this.peers.adapter.kind} groups: ${describeError(error)}`);
    }
    this.#resolveStopped();
  }
}

function listenOptions(options: ServerOptions, model: string, maxFrameBytes: number): ListenOptions {
  // Everything that is not the engine's own is a socket option for the
  // transport, so options the transport adds later pass straight through.
  const {
    concurrency: _model,
    hooks: _hooks,
    idleTimeoutMs: _idle,
    frameTimeoutMs: _frame,
    log: _log,
    maxGroupsPerConnection: _groups,
    maxConnectionsPerAddress: _perAddress,
    messageRate: _rate,
    maxBufferedBytes: _buffered,
    maxBroadcastBacklogBytes: _backlog,
    groups: _adapter,
    transport,
    ...socket
  } = options;
  const kind = transport ?? 'tcp';
  // socketserver.UDPServer semantics: under serial each datagram is one
  // request, served and released, so one peer cannot hold the only slot
  // until its channel idles out (datagramPeerIdleMs, 60 s).
  const perDatagram = model === 'serial' && isDatagramTransport(kind) && socket.datagramChannels === undefined;
  // A websocket message is one write of the peer, so it carries at most a frame: a bigger one is refused (1009)
  // before it is buffered, instead of the transport's 16 MiB default.
  const websocket =
    kind === 'websocket' && socket.websocket?.maxMessageBytes === undefined
      ? { websocket: { ...socket.websocket, maxMessageBytes: maxFrameBytes } }
      : {};
  return {
    ...socket,
    ...websocket,
    ...(perDatagram ? { datagramChannels: 'datagram' as const } : {}),
    transport: kind,
    // Request/response protocols: a small reply must not wait for Nagle.
    noDelay: socket.noDelay ?? true,
  };
}
