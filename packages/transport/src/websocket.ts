import http from 'node:http';
import type net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { boundAddress, type ResolvedTarget, tcpLocal, tcpPeer } from './address.js';
import type { ChannelSettings } from './channel.js';
import { connectError, DEFAULT_CONNECT_TIMEOUT_MS } from './connect-error.js';
import { watchDescriptors } from './descriptor-watch.js';
import {
  ConnectionClosedError,
  ConnectTimeoutError,
  InvalidAddressError,
  ReadTimeoutError,
  systemErrorCode,
  WebSocketProtocolError,
  WriteQueueFullError,
} from './errors.js';
import { listenError } from './listen-error.js';
import { transportLogOf } from './log.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, positiveInteger } from './options.js';
import type { BoundAddress, ByteChannel, ConnectOptions, Listener, ListenOptions, PeerAddress } from './types.js';

export const DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES = 16 * 1024 * 1024;
/** ws's own ceiling for a message it will assemble; a larger maxMessageBytes would be a lie. */
const MAX_WEBSOCKET_MESSAGE_BYTES = 2 ** 31 - 1;

type WebSocketTarget = ResolvedTarget & { transport: 'websocket' };

/** An Origin as browsers send it, for comparing: lowercase, no trailing slash. */
function normalOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/** Whether `text` is an origin as websocket.allowOrigins takes it: scheme://host[:port], nothing after. */
export function isOrigin(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/\s]+\/?$/i.test(text);
}

function allowedOrigins(options: ListenOptions): ReadonlySet<string> | null {
  const list = options.websocket?.allowOrigins;
  if (list === undefined) return null;
  for (const origin of list) {
    if (!isOrigin(origin)) {
      throw new InvalidAddressError(
        `websocket.allowOrigins: ${JSON.stringify(origin)} is not an origin; write it as scheme://host[:port], e.g. https://chat.example`,
      );
    }
  }
  return new Set(list.map(normalOrigin));
}

function maxMessageBytesOf(options: ListenOptions | ConnectOptions): number {
  return positiveInteger(
    'websocket.maxMessageBytes',
    options.websocket?.maxMessageBytes ?? DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES,
    MAX_WEBSOCKET_MESSAGE_BYTES,
  );
}

/**
 * A ByteChannel over one websocket connection. Every write() is one binary
 * message, so a protocol frame written whole travels as one websocket frame
 * and a browser client sees frame boundaries; incoming binary messages are
 * delivered as chunks (the protocol's decoder reassembles as over TCP). A
 * text message, or one over maxMessageBytes (refused by ws before it is
 * buffered), closes the connection with one log line. A close frame from the
 * peer shows up as onEnd just before onClose: websocket has no half-close.
 */
export class WebSocketChannel implements ByteChannel {
  readonly remote: PeerAddress;
  readonly local: BoundAddress;

  readonly #ws: WebSocket;
  readonly #settings: ChannelSettings;
  readonly #log: (line: string) => void;
  #held: Buffer[] = [];
  #needDrain = false;
  /** Sends whose callback has not run yet. */
  #inFlight = 0;
  #ended = false;
  #closed = false;
  #closeError: Error | undefined;
  #closeEmitted = false;
  #paused = false;
  #reading = false;
  #readTimer: NodeJS.Timeout | undefined;

  readonly #dataListeners: ((chunk: Uint8Array) => void)[] = [];
  readonly #drainListeners: (() => void)[] = [];
  readonly #endListeners: (() => void)[] = [];
  readonly #closeListeners: ((error?: Error) => void)[] = [];

  constructor(
    ws: WebSocket,
    socket: net.Socket,
    local: BoundAddress,
    remote: PeerAddress,
    settings: ChannelSettings,
    log: (line: string) => void,
  ) {
    this.#ws = ws;
    this.#settings = settings;
    this.#log = log;
    this.local = local;
    this.remote = remote;
    socket.setNoDelay(settings.noDelay);
    if (settings.keepAlive !== false) socket.setKeepAlive(true, settings.keepAlive === true ? 0 : settings.keepAlive);
    // Not reading until someone listens, as on the other transports.
    ws.pause();
    ws.on('message', this.#onMessage);
    ws.on('error', this.#onError);
    ws.on('close', this.#onClose);
    if (settings.readTimeoutMs > 0) {
      const timeoutMs = settings.readTimeoutMs;
      this.#readTimer = setTimeout(
        () => this.destroy(new ReadTimeoutError(this.remote.label, this.local.url, timeoutMs)),
        timeoutMs,
      );
      this.#readTimer.unref();
    }
  }

  get pendingWriteBytes(): number {
    return this.#ws.bufferedAmount;
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) return false;
    if (this.#ended) {
      throw new ConnectionClosedError(
        this.local.url,
        `write() after end() on the channel to ${this.remote.label}: the websocket is closing`,
      );
    }
    const pending = this.#ws.bufferedAmount + chunk.byteLength;
    if (pending > this.#settings.maxWriteQueueBytes) {
      this.destroy(new WriteQueueFullError(this.remote.label, this.#settings.maxWriteQueueBytes, pending));
      return false;
    }
    this.#inFlight += 1;
    this.#ws.send(chunk, { binary: true }, this.#afterSend);
    if (pending < this.#settings.writeHighWaterMark) return true;
    this.#needDrain = true;
    return false;
  }

  pause(): void {
    this.#paused = true;
    this.#ws.pause();
  }

  resume(): void {
    this.#paused = false;
    if (!this.#reading) return;
    this.#releaseHeld();
    if (!this.#paused) this.#ws.resume();
  }

  end(): void {
    if (this.#closed || this.#ended) return;
    this.#ended = true;
    // close() queues the close frame behind every message already sent. The
    // closing handshake needs the peer's close frame read, so a channel
    // nobody reads from must read now (and drop what it gets).
    this.#ws.close(1000);
    if (!this.#reading || this.#paused) {
      this.#paused = false;
      this.#ws.resume();
    }
  }

  destroy(error?: Error): void {
    if (this.#closed) return;
    if (error !== undefined && this.#closeError === undefined) this.#closeError = error;
    this.#closed = true;
    this.#ws.terminate();
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.#dataListeners.push(listener);
    if (this.#reading) return;
    this.#reading = true;
    if (this.#paused) return;
    this.#releaseHeld();
    this.#ws.resume();
  }

  onDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
  }

  onEnd(listener: () => void): void {
    this.#endListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    if (!this.#closeEmitted) {
      this.#closeListeners.push(listener);
      return;
    }
    const error = this.#closeError;
    queueMicrotask(() => (error === undefined ? listener() : listener(error)));
  }

  #releaseHeld(): void {
    while (this.#held.length > 0 && !this.#paused && !this.#closed) {
      const chunk = this.#held.shift()!;
      for (const listener of this.#dataListeners) listener(chunk);
    }
  }

  readonly #afterSend = (err?: Error | null): void => {
    this.#inFlight -= 1;
    // ws reports success as null, not undefined.
    if ((err !== undefined && err !== null) || !this.#needDrain || this.#closed) return;
    // bufferedAmount can still count the message whose callback this is; once
    // every send has called back, all of it went to the socket, so a single
    // message above the high-water mark cannot leave drain waiting forever.
    if (this.#inFlight > 0 && this.#ws.bufferedAmount >= this.#settings.writeHighWaterMark) return;
    this.#needDrain = false;
    for (const listener of this.#drainListeners) listener();
  };

  readonly #onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (this.#closed) return;
    this.#readTimer?.refresh();
    if (!isBinary) {
      const error = new WebSocketProtocolError(
        `${this.local.url}: ${this.remote.label} sent a text message; this transport carries binary messages only`,
      );
      this.#log(`${error.message}; closing the connection (1003)`);
      this.#closeError = error;
      this.#ended = true;
      this.#ws.close(1003, 'binary messages only');
      return;
    }
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (this.#ended && !this.#reading) return;
    // ws emits messages it already parsed even while paused; hold those until reading resumes.
    if (this.#held.length > 0 || this.#paused || !this.#reading) {
      this.#held.push(chunk);
      return;
    }
    for (const listener of this.#dataListeners) listener(chunk);
  };

  readonly #onError = (err: Error): void => {
    if (this.#closeError !== undefined) return;
    const code = systemErrorCode(err);
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      const error = new WebSocketProtocolError(
        `${this.local.url}: ${this.remote.label} sent a message over websocket.maxMessageBytes; ` +
          'closing the connection (1009) before buffering it',
      );
      this.#log(error.message);
      this.#closeError = error;
      return;
    }
    this.#closeError = new ConnectionClosedError(
      this.local.url,
      `websocket connection with ${this.remote.label} on ${this.local.url} failed: ${code ?? err.message}`,
      code === undefined ? { cause: err } : { cause: err, syscallCode: code },
    );
  };

  readonly #onClose = (code: number): void => {
    this.#closed = true;
    clearTimeout(this.#readTimer);
    this.#held = [];
    // 1005/1000/1001 are orderly closes the peer asked for: the websocket form of FIN.
    if (this.#closeError === undefined && (code === 1000 || code === 1001 || code === 1005)) {
      for (const listener of this.#endListeners) listener();
    }
    this.#closeEmitted = true;
    const error = this.#closeError;
    for (const listener of this.#closeListeners.splice(0)) {
      if (error === undefined) listener();
      else listener(error);
    }
  };
}

/**
 * A websocket endpoint on its own HTTP server. Upgrades on any other path
 * are refused by ws (400); plain HTTP requests get 426 Upgrade Required.
 * pauseAccepting()/resumeAccepting() and connections before the first
 * onChannel listener behave as on the stream listener: held, not read, at
 * most `backlog` of them.
 */
export class WebSocketListener implements Listener {
  readonly address: BoundAddress;

  readonly #http: http.Server;
  readonly #wss: WebSocketServer;
  readonly #holdLimit: number;
  readonly #channelListeners: ((channel: ByteChannel) => void)[] = [];
  #held: WebSocketChannel[] = [];
  #accepting = true;
  #closed = false;
  readonly #unwatchDescriptors: () => void;

  constructor(
    server: http.Server,
    wss: WebSocketServer,
    address: BoundAddress,
    settings: ChannelSettings,
    holdLimit: number,
    log: (line: string) => void,
  ) {
    this.#http = server;
    this.#wss = wss;
    this.address = address;
    this.#holdLimit = holdLimit;
    this.#unwatchDescriptors = watchDescriptors(address.url, log);
    wss.on('connection', (ws: WebSocket, request: http.IncomingMessage) => {
      const socket = request.socket;
      const channel = new WebSocketChannel(ws, socket, this.address, tcpPeer('websocket', socket), settings, log);
      if (this.#closed) {
        channel.destroy();
        return;
      }
      if (this.#accepting && this.#channelListeners.length > 0 && this.#held.length === 0) {
        this.#deliver(channel);
        return;
      }
      if (this.#held.length >= this.#holdLimit) {
        channel.destroy();
        return;
      }
      channel.onClose(() => {
        const index = this.#held.indexOf(channel);
        if (index !== -1) this.#held.splice(index, 1);
      });
      this.#held.push(channel);
    });
  }

  onChannel(listener: (channel: ByteChannel) => void): void {
    this.#channelListeners.push(listener);
    this.#release();
  }

  pauseAccepting(): void {
    this.#accepting = false;
  }

  resumeAccepting(): void {
    if (this.#closed) return;
    this.#accepting = true;
    this.#release();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatchDescriptors();
    for (const channel of this.#held.splice(0)) channel.destroy();
    // Stop taking upgrades and free the port at once; accepted websockets stay open.
    this.#wss.close();
    this.#http.close();
  }

  #release(): void {
    process.nextTick(() => {
      while (this.#accepting && !this.#closed && this.#channelListeners.length > 0) {
        const channel = this.#held.shift();
        if (channel === undefined) break;
        this.#deliver(channel);
      }
    });
  }

  #deliver(channel: WebSocketChannel): void {
    for (const listener of this.#channelListeners) listener(channel);
  }
}

/**
 * Closes a connection that has not become a websocket `ms` after it was
 * accepted: silent, dripping its request headers, or sending plain HTTP.
 * Node's own headersTimeout is only checked every 30 s
 * (connectionsCheckingInterval) and does not cover a kept-alive socket.
 */
function closeUnupgradedAfter(server: http.Server, wss: WebSocketServer, ms: number): void {
  const deadlines = new WeakMap<net.Socket, NodeJS.Timeout>();
  server.on('connection', (socket: net.Socket) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    deadlines.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  wss.on('connection', (_ws: WebSocket, request: http.IncomingMessage) => {
    clearTimeout(deadlines.get(request.socket));
    deadlines.delete(request.socket);
  });
}

export async function listenWebSocket(
  target: WebSocketTarget,
  options: ListenOptions,
  settings: ChannelSettings,
  backlog: number,
): Promise<WebSocketListener> {
  const maxPayload = maxMessageBytesOf(options);
  const server = http.createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    response.end(`this is a websocket endpoint: connect with ws://…${target.wsPath}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(listenError(target.url, err));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: target.host, port: target.port, backlog });
  });
  const log = transportLogOf(options);
  const allowed = allowedOrigins(options);
  const wss = new WebSocketServer({
    server,
    path: target.wsPath,
    maxPayload,
    perMessageDeflate: false,
    ...(allowed === null
      ? {}
      : {
          verifyClient: (
            info: { origin: string; req: http.IncomingMessage },
            done: (ok: boolean, code?: number, message?: string) => void,
          ) => {
            // A request without Origin does not come from a browser page, which is what the list guards against.
            const origin = info.req.headers.origin;
            if (origin === undefined || allowed.has(normalOrigin(origin))) {
              done(true);
              return;
            }
            log(
              `${target.url}: refused a websocket upgrade from ${info.req.socket.remoteAddress ?? '?'}:${info.req.socket.remotePort ?? '?'}: origin ${JSON.stringify(origin)} is not in allowOrigins`,
            );
            done(false, 403, 'origin not allowed');
          },
        }),
  });
  closeUnupgradedAfter(server, wss, options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
  const bound = server.address() as net.AddressInfo;
  const address = boundAddress('websocket', bound.address, bound.port, target.wsPath);
  return new WebSocketListener(server, wss, address, settings, backlog, log);
}

export function connectWebSocket(
  target: WebSocketTarget,
  options: ConnectOptions,
  settings: ChannelSettings,
  timeoutMs: number = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<ByteChannel> {
  if (options.websocket?.allowOrigins !== undefined) {
    return Promise.reject(
      new InvalidAddressError('websocket.allowOrigins applies to listeners: a client does not check origins'),
    );
  }
  const maxPayload = maxMessageBytesOf(options);
  const log = transportLogOf(options);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target.url, { maxPayload, perMessageDeflate: false, family: target.family });
    let socket: net.Socket | undefined;
    const timer = setTimeout(() => {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      reject(new ConnectTimeoutError(target.url, timeoutMs));
    }, timeoutMs);
    ws.once('upgrade', (response: http.IncomingMessage) => {
      socket = response.socket as net.Socket;
    });
    ws.once('unexpected-response', (_request: http.ClientRequest, response: http.IncomingMessage) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      response.resume();
      ws.terminate();
      reject(
        new ConnectionClosedError(
          target.url,
          `could not connect to ${target.url}: the server answered HTTP ${response.statusCode} instead of ` +
            'switching to websocket (wrong path, or not a websocket endpoint)',
        ),
      );
    });
    ws.once('error', (err: Error) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      reject(connectError(target.url, err));
    });
    ws.once('open', () => {
      clearTimeout(timer);
      ws.removeAllListeners();
      if (socket === undefined) {
        ws.terminate();
        reject(new InvalidAddressError(`websocket to ${target.url} opened without a socket`));
        return;
      }
      const remote = tcpPeer('websocket', socket);
      resolve(new WebSocketChannel(ws, socket, tcpLocal('websocket', socket, target.wsPath), remote, settings, log));
    });
  });
}
