import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { boundAddress, type ResolvedTarget, resolveTarget, tcpPeer } from './address.js';
import { type ChannelSettings, resolveChannelSettings, SocketChannel } from './channel.js';
import { listenDatagram } from './datagram.js';
import { watchDescriptors } from './descriptor-watch.js';
import { AddressInUseError, InvalidAddressError, systemErrorCode } from './errors.js';
import { listenError } from './listen-error.js';
import { transportLogOf } from './log.js';
import { checkOptionsFor, DEFAULT_HANDSHAKE_TIMEOUT_MS, NET_REUSE_PORT_SUPPORTED } from './options.js';
import { tlsServerOptions } from './tls.js';
import type { BoundAddress, ByteChannel, Listener, ListenOptions, PeerAddress, StreamTransportKind } from './types.js';
import { describeFileType, lstatOrUndefined } from './unix-file.js';
import { listenWebSocket } from './websocket.js';

export const DEFAULT_BACKLOG = 511;

/** How long the stale-socket probe waits for a listener that may be too busy to accept. */
const UNIX_PROBE_TIMEOUT_MS = 1000;

/**
 * Binds a stream listener. The returned promise settles once the address is
 * bound (port 0 resolved to the real port, unix socket file created and
 * chmod-ed), so `listener.address.url` is ready to print.
 *
 * Unix paths: an existing socket file nobody listens on (connect refused) is
 * a leftover from a crashed process and is replaced; a socket someone listens
 * on, or any path that is not a socket, is refused with
 * SOCKSPEC_ADDRESS_IN_USE and left untouched.
 */
export async function listen(
  options: ListenOptions & { readonly transport: StreamTransportKind | 'tls' },
): Promise<SocketListener>;
export async function listen(options: ListenOptions): Promise<Listener>;
export async function listen(options: ListenOptions): Promise<Listener> {
  const target = resolveTarget(options, 'listen');
  checkOptionsFor(target.transport, options);
  if (target.transport === 'udp' || target.transport === 'udp6' || target.transport === 'unix-dgram') {
    return listenDatagram(target, options);
  }
  const settings = resolveChannelSettings(options);
  const backlog = options.backlog ?? DEFAULT_BACKLOG;
  if (!Number.isInteger(backlog) || backlog < 1 || backlog > 65535) {
    throw new InvalidAddressError(`backlog for ${target.url} must be an integer 1–65535, got ${backlog}`);
  }
  if (options.socketMode !== undefined) {
    if (target.transport !== 'unix') {
      throw new InvalidAddressError(`socketMode applies to unix sockets only, not ${target.url}`);
    }
    if (!Number.isInteger(options.socketMode) || options.socketMode < 0 || options.socketMode > 0o777) {
      throw new InvalidAddressError(`socketMode must be a permission mode 0–0o777, got ${options.socketMode}`);
    }
  }
  if (options.ipv6Only !== undefined && target.transport !== 'tcp6') {
    throw new InvalidAddressError(`ipv6Only applies to tcp6 only, not ${target.url}`);
  }
  if (target.transport === 'websocket') return listenWebSocket(target, options, settings, backlog);

  if (target.transport !== 'unix') {
    const secure = target.transport === 'tls' ? await tlsServerOptions(options.tls, target.url) : undefined;
    const bindOptions = {
      backlog,
      ipv6Only: options.ipv6Only ?? false,
      reusePort: options.reuseAddress === true && NET_REUSE_PORT_SUPPORTED,
      secure:
        secure === undefined
          ? undefined
          : { ...secure, handshakeTimeout: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS },
    };
    const server = await bind(target, bindOptions).catch((err: unknown) => {
      throw listenError(target.url, err);
    });
    const bound = server.address() as net.AddressInfo;
    const address = boundAddress(target.transport, bound.address, bound.port);
    const log = transportLogOf(options);
    const listener = new SocketListener(server, address, settings, backlog, undefined, log);
    if (secure !== undefined) {
      // Half-open is wanted once the handshake is done (a peer may end its side and still read the reply), but
      // not before it: a peer that sends FIN mid-handshake would otherwise keep its descriptor for good.
      server.prependListener('secureConnection', (socket: tls.TLSSocket) => {
        socket.allowHalfOpen = true;
      });
      server.on('tlsClientError', (err: Error & { code?: string }, socket: net.Socket) => {
        const peer = tcpPeer('tls', socket).label;
        // Node leaves the socket open once a 'tlsClientError' listener exists, timeouts included.
        socket.destroy();
        // A peer that closes before the handshake (a port scan, a health check) is not worth a line each.
        if (err.code === 'ECONNRESET') return;
        log(`${address.url}: TLS handshake with ${peer} failed: ${err.message}`);
      });
    }
    return listener;
  }

  const server = await bindUnix(target, backlog);
  let identity: Stats;
  try {
    if (options.socketMode !== undefined) await fs.chmod(target.path, options.socketMode);
    identity = await fs.lstat(target.path);
  } catch (err) {
    server.close();
    throw listenError(target.url, err);
  }
  const address = boundAddress('unix', target.path, 0);
  return new SocketListener(server, address, settings, backlog, identity, transportLogOf(options));
}

interface BindOptions {
  readonly backlog: number;
  readonly ipv6Only: boolean;
  readonly reusePort: boolean;
  /** Set for tls: the server then hands out sockets once their handshake is done. */
  readonly secure: tls.TlsOptions | undefined;
}

function bind(target: ResolvedTarget, options: BindOptions): Promise<net.Server> {
  // pauseOnConnect: an accepted socket does not read until its channel gets an
  // onData listener, so nothing the peer sends early is lost or buffered twice.
  // Not for tls: the handshake has to read. A TLSSocket without a data
  // listener is not flowing, so its decrypted bytes wait just the same.
  const server =
    options.secure === undefined
      ? net.createServer({ allowHalfOpen: true, pauseOnConnect: true })
      : tls.createServer({ ...options.secure, allowHalfOpen: false });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    const { backlog } = options;
    if (target.transport === 'unix' || target.transport === 'unix-dgram') {
      server.listen({ path: target.path, backlog });
    } else if (target.transport === 'tcp6') {
      server.listen({ host: target.host, port: target.port, backlog, ipv6Only: options.ipv6Only });
    } else {
      // reusePort is only set where Node honours it (NET_REUSE_PORT_SUPPORTED);
      // @types/node 20 does not know the field yet.
      const listenOptions: net.ListenOptions & { reusePort?: boolean } = {
        host: target.host,
        port: target.port,
        backlog,
      };
      if (options.reusePort) listenOptions.reusePort = true;
      server.listen(listenOptions);
    }
  });
}

async function bindUnix(
  target: ResolvedTarget & { transport: 'unix' | 'unix-dgram' },
  backlog: number,
): Promise<net.Server> {
  try {
    return await bind(target, { backlog, ipv6Only: false, reusePort: false, secure: undefined });
  } catch (err) {
    if (systemErrorCode(err) !== 'EADDRINUSE') throw listenError(target.url, err);
  }
  const existing = await lstatOrUndefined(target.path);
  if (existing !== undefined) {
    if (!existing.isSocket()) {
      throw new AddressInUseError(
        target.url,
        `cannot listen on ${target.url}: ${target.path} exists and is ${describeFileType(existing)}, not a socket; ` +
          'refusing to replace it',
      );
    }
    const state = await probeUnixSocket(target.path);
    if (state === 'live') {
      throw new AddressInUseError(
        target.url,
        `cannot listen on ${target.url}: another process is listening on ${target.path}`,
      );
    }
    // Re-check right before unlinking: only the very socket file found stale
    // is removed, never something created at the path in the meantime.
    const again = await lstatOrUndefined(target.path);
    if (again !== undefined && again.ino === existing.ino && again.dev === existing.dev) {
      await fs.unlink(target.path).catch((err: unknown) => {
        if (systemErrorCode(err) !== 'ENOENT') throw listenError(target.url, err);
      });
    }
  }
  try {
    return await bind(target, { backlog, ipv6Only: false, reusePort: false, secure: undefined });
  } catch (err) {
    throw listenError(target.url, err);
  }
}

/** Connects to a unix socket to learn whether anyone is behind it. */
function probeUnixSocket(path: string): Promise<'live' | 'stale'> {
  return new Promise((resolve) => {
    const socket = net.connect({ path });
    const finish = (state: 'live' | 'stale') => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    // A listener whose accept queue is full does not answer; that is still a
    // live listener, so a timeout counts as in use.
    const timer = setTimeout(() => finish('live'), UNIX_PROBE_TIMEOUT_MS);
    socket.once('connect', () => finish('live'));
    socket.once('error', (err) => {
      const code = systemErrorCode(err);
      // Anything other than "refused" / "gone" (EACCES, …) means we cannot tell,
      // and a file we cannot tell about is never deleted.
      finish(code === 'ECONNREFUSED' || code === 'ENOENT' ? 'stale' : 'live');
    });
  });
}

/**
 * A bound listener. Node's net.Server accepts continuously and offers no way
 * to stop accept(2) without closing the listening socket (which would give up
 * the port or socket path). So pauseAccepting() does not refuse connections:
 * the kernel and Node still complete and accept them, exactly as a full
 * backlog would hold them, and this listener keeps them — not reading, not
 * handed to onChannel — until resumeAccepting(). At most `backlog` such
 * connections are held; beyond that new ones are closed at once, as a full
 * kernel backlog would stop taking them. Connections that arrive before the
 * first onChannel listener is registered are held the same way.
 */
export class SocketListener implements Listener {
  readonly address: BoundAddress;

  readonly #server: net.Server;
  readonly #settings: ChannelSettings;
  readonly #holdLimit: number;
  readonly #socketFile: Stats | undefined;
  readonly #channelListeners: ((channel: ByteChannel) => void)[] = [];
  readonly #errorListeners: ((error: Error) => void)[] = [];
  #held: net.Socket[] = [];
  #accepting = true;
  #releaseScheduled = false;
  #closed = false;
  #unixPeerSeq = 0;
  readonly #unwatchDescriptors: () => void;

  constructor(
    server: net.Server,
    address: BoundAddress,
    settings: ChannelSettings,
    holdLimit: number,
    socketFile: Stats | undefined,
    log: (line: string) => void,
  ) {
    this.#server = server;
    this.address = address;
    this.#settings = settings;
    this.#holdLimit = holdLimit;
    this.#socketFile = socketFile;
    // A tls.Server's 'connection' is the raw TCP socket; the channel wants
    // the TLSSocket once its handshake is done.
    server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', this.#onConnection);
    server.on('error', this.#onServerError);
    this.#unwatchDescriptors = watchDescriptors(address.url, log);
  }

  /** Connections accepted by the OS but not yet handed to onChannel (paused, or no listener yet). */
  get heldConnections(): number {
    return this.#held.length;
  }

  get accepting(): boolean {
    return this.#accepting && !this.#closed;
  }

  onChannel(listener: (channel: ByteChannel) => void): void {
    this.#channelListeners.push(listener);
    this.#scheduleRelease();
  }

  /** Errors from accept(2) after the listener is up (e.g. EMFILE). The listener keeps running. */
  onError(listener: (error: Error) => void): void {
    this.#errorListeners.push(listener);
  }

  pauseAccepting(): void {
    this.#accepting = false;
  }

  resumeAccepting(): void {
    if (this.#closed) return;
    this.#accepting = true;
    this.#scheduleRelease();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatchDescriptors();
    // Held sockets were never handed out, so nobody else will close them.
    const held = this.#held;
    this.#held = [];
    for (const socket of held) socket.destroy();
    // net.Server#close closes the listening handle at once (the port or path
    // is free when it returns); its callback would wait for every accepted
    // connection to end, which is not what close() promises.
    this.#server.close();
    if (this.#socketFile !== undefined) await this.#removeSocketFile(this.#socketFile);
  }

  async #removeSocketFile(created: Stats): Promise<void> {
    // libuv already unlinks the path when the pipe handle closes; this covers
    // platforms that do not, and only ever removes the file this listener made.
    const path = this.address.host;
    const now = await lstatOrUndefined(path).catch(() => undefined);
    if (now === undefined || now.ino !== created.ino || now.dev !== created.dev) return;
    await fs.unlink(path).catch(() => undefined);
  }

  readonly #onConnection = (socket: net.Socket): void => {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (this.#accepting && this.#channelListeners.length > 0 && this.#held.length === 0) {
      this.#deliver(socket);
      return;
    }
    if (this.#held.length >= this.#holdLimit) {
      socket.destroy();
      return;
    }
    socket.on('error', ignoreHeldSocketError);
    socket.once('close', () => {
      const index = this.#held.indexOf(socket);
      if (index !== -1) this.#held.splice(index, 1);
    });
    this.#held.push(socket);
  };

  #scheduleRelease(): void {
    if (this.#releaseScheduled || this.#held.length === 0) return;
    this.#releaseScheduled = true;
    // Deferred so that onChannel()/resumeAccepting() never call back into the
    // caller before it returns.
    process.nextTick(() => {
      this.#releaseScheduled = false;
      while (this.#accepting && !this.#closed && this.#channelListeners.length > 0) {
        const socket = this.#held.shift();
        if (socket === undefined) break;
        socket.off('error', ignoreHeldSocketError);
        this.#deliver(socket);
      }
    });
  }

  #deliver(socket: net.Socket): void {
    const channel = new SocketChannel(socket, this.address, this.#peerOf(socket), this.#settings);
    for (const listener of this.#channelListeners) listener(channel);
  }

  #peerOf(socket: net.Socket): PeerAddress {
    const transport = this.address.transport;
    if (transport !== 'unix') return tcpPeer(transport, socket);
    // Unix clients are normally unnamed; a sequence number tells them apart in logs.
    this.#unixPeerSeq++;
    return { transport, host: this.address.host, port: 0, label: `${this.address.url}#${this.#unixPeerSeq}` };
  }

  readonly #onServerError = (err: Error): void => {
    for (const listener of this.#errorListeners) listener(err);
  };
}

function ignoreHeldSocketError(): void {
  // A held socket is not reading; an error here only precedes its 'close',
  // which removes it from the hold queue.
}
