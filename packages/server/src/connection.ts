import { createFrameDecoder, type FrameDecoder, framingForTransport } from '@sockspec/codec';
import {
  type ConcurrencyModel,
  type ReleaseConnection,
  RemoteInputError,
  type RemoteSession,
} from '@sockspec/concurrency';
import { SockspecError } from '@sockspec/errors';
import { type ByteChannel, isDatagramTransport, type PeerAddress } from '@sockspec/transport';
import { DrainTimeoutError, describeError } from './errors.js';
import type { PeerDirectory } from './peers.js';
import { type CheckedMessageRate, TokenBucket } from './token-bucket.js';
import type { Connection, ServerHooks, ServerProtocol } from './types.js';

/**
 * How long a closed connection may wait for the peer to finish its side
 * before the socket is destroyed. A peer that never reads our last bytes or
 * never closes would otherwise pin the socket forever.
 */
const CLOSE_LINGER_MS = 5_000;

/** What a connection needs from the server that owns it. */
export interface ConnectionHost<Incoming> {
  readonly protocol: ServerProtocol<Incoming>;
  readonly model: ConcurrencyModel;
  readonly hooks: ServerHooks;
  readonly idleTimeoutMs: number | null;
  /** Longest a partial frame may be held since the last complete one; null: no limit. */
  readonly frameTimeoutMs: number | null;
  /** Messages a connection may send; past it, reading waits (TCP pushes back on the peer). null: no limit. */
  readonly messageRate: CheckedMessageRate | null;
  readonly log: (line: string) => void;
  /** True once shutdown has begun: finish the message in flight, then close. */
  readonly draining: boolean;
  readonly peers: PeerDirectory;
  /**
   * Adds `delta` to the bytes of unfinished frames held across the server;
   * returns false when the total is past maxBufferedBytes.
   */
  holdBuffered(delta: number): boolean;
  readonly maxBufferedBytes: number;
  forget(connection: ServedConnection<Incoming>): void;
}

/**
 * waiting: accepted, waiting for the concurrency model to admit it.
 * starting: setup hook and greeting running.
 * open: reading and dispatching messages.
 * closing: our side ended, waiting for the channel to close.
 * closed: channel closed, slot released.
 */
type Phase = 'waiting' | 'starting' | 'open' | 'closing' | 'closed';

export class ServedConnection<Incoming> implements Connection {
  readonly id: number;
  readonly remote: PeerAddress;
  /** Made on first use: most connections of most protocols never keep state, and an empty Map is 150 bytes. */
  #state: Map<string, unknown> | null = null;
  /** Resolves after the channel closed and the finish hook ran. */
  readonly finished: Promise<void>;

  readonly #host: ConnectionHost<Incoming>;
  readonly #channel: ByteChannel;
  readonly #decoder: FrameDecoder;
  #phase: Phase = 'waiting';
  // Frames cut from the stream but not yet dispatched. Reading stops as soon
  // as a chunk arrives while a dispatch is pending, so this holds the frames
  // of about one chunk, never an unbounded backlog.
  #frames: Uint8Array[] = [];
  #frameHead = 0;
  /** A framing error seen while cutting frames; reported once the frames before it are handled. */
  #inputError: unknown;
  #peerEnded = false;
  #pumping = false;
  /** A chunk arrived while a dispatch was pending: hold further input until the queue is worked off. */
  #backlogged = false;
  #dispatching = false;
  #writeBlocked = false;
  #writableWaiters: Array<() => void> = [];
  #paused = false;
  #closeError: Error | undefined;
  #release: ReleaseConnection | null = null;
  /** Under a model that runs handlers elsewhere (`threads`): where this connection's frames go. */
  #session: RemoteSession | null = null;
  /** Set once the setup hook is about to run: only then does finish run too. */
  #startup: Promise<void> | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #lastInputAt = 0;
  #frameTimer: NodeJS.Timeout | null = null;
  readonly #rate: TokenBucket | null;
  /** The decoder's bufferedBytes as last told to the server (holdBuffered). */
  #bufferedCounted = 0;
  #throttleLogged = false;
  /** When the last frame was complete (or the connection opened): a partial frame is timed from here. */
  #lastFrameAt = Date.now();
  #lingerTimer: NodeJS.Timeout | null = null;
  /**
   * Aborted when the peer leaves while the connection waits for a slot, so
   * the place goes to the next; dropped once admitted (an AbortController is
   * about a kilobyte, and 10,000 idle connections need none).
   */
  #leftWhileWaiting: AbortController | null = new AbortController();
  /** Bytes read while waiting for a slot; reading stops at one frame's worth (the rest stays in the kernel). */
  #readWhileWaiting = 0;
  #resolveFinished!: () => void;
  #closeListeners: Array<() => void> = [];

  constructor(host: ConnectionHost<Incoming>, channel: ByteChannel, id: number) {
    this.#host = host;
    this.#channel = channel;
    this.id = id;
    this.remote = channel.remote;
    this.#rate = host.messageRate === null ? null : new TokenBucket(host.messageRate, performance.now());
    // On a datagram transport each datagram is one frame, lines included.
    const datagram = isDatagramTransport(channel.remote.transport);
    this.#decoder = createFrameDecoder(framingForTransport(host.protocol.framing, { datagram }), { sender: 'client' });
    this.finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
    // While it waits for a slot it reads at most one frame's worth, only to
    // notice a peer that leaves; nothing is handled until it is admitted and greeted.
    this.#setPaused(true);
    channel.onData((chunk) => this.#onData(chunk));
    channel.onDrain(() => this.#onDrain());
    channel.onEnd(() => this.#onEnd());
    channel.onClose((error) => void this.#onClose(error));
  }

  get state(): Map<string, unknown> {
    this.#state ??= new Map();
    return this.#state;
  }

  get closed(): boolean {
    return this.#phase === 'closing' || this.#phase === 'closed';
  }

  get peers(): PeerDirectory {
    return this.#host.peers;
  }

  log(text: string): void {
    this.#logLine(text);
  }

  onClose(listener: () => void): void {
    if (this.#phase === 'closed') queueMicrotask(listener);
    else this.#closeListeners.push(listener);
  }

  send(frame: Uint8Array): void {
    // Handlers may still hold a connection that has gone away (a broadcast
    // list, a timer); sending to it is a no-op rather than an error.
    if (this.closed) return;
    if (!this.#channel.write(frame) && !this.#writeBlocked) {
      this.#writeBlocked = true;
      this.#updateFlow();
    }
  }

  get pendingWriteBytes(): number {
    return this.#channel.pendingWriteBytes;
  }

  writable(): Promise<void> {
    if (!this.#writeBlocked || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#writableWaiters.push(resolve));
  }

  close(): void {
    if (this.#phase === 'closing' || this.#phase === 'closed') return;
    if (this.#phase === 'waiting') this.#leftWhileWaiting?.abort();
    this.#phase = 'closing';
    // A closing connection is no longer anyone's peer: no broadcasts, not in any group.
    this.#host.peers.remove(this);
    this.#clearIdle();
    this.#frames = [];
    this.#frameHead = 0;
    this.#wakeWriters();
    this.#channel.end();
    this.#lingerTimer = setTimeout(() => this.#channel.destroy(), CLOSE_LINGER_MS);
    this.#lingerTimer.unref();
    this.#updateFlow();
  }

  /** Admits, runs setup and the greeting, then starts reading. Never rejects. */
  async start(): Promise<void> {
    const host = this.#host;
    let release: ReleaseConnection;
    this.#updateFlow();
    try {
      release = await host.model.admit(this.#leftWhileWaiting?.signal);
    } catch (error) {
      if (this.#leftWhileWaiting?.signal.aborted === true) {
        // The peer left before its turn; there is no one to tell.
        this.#channel.destroy();
        return;
      }
      this.#fail('admission failed', error);
      return;
    }
    this.#leftWhileWaiting = null;
    if (this.#phase !== 'waiting') {
      release();
      return;
    }
    this.#release = release;
    if (host.draining) {
      this.close();
      return;
    }
    if (host.model.remote !== undefined) {
      try {
        const connection = this;
        this.#session = host.model.remote.open(this.id, this.remote, {
          send: (frame) => this.send(frame),
          close: () => this.close(),
          writable: () => this.writable(),
          get pendingWriteBytes() {
            return connection.pendingWriteBytes;
          },
          fail: (error) => this.#fail('worker failed', error),
        });
      } catch (error) {
        this.#fail('admission failed', error);
        return;
      }
    }
    this.#phase = 'starting';
    this.#startup = this.#runStartup();
    await this.#startup;
    if (this.#phase !== 'starting') return;
    this.#phase = 'open';
    // Only now can broadcasts reach it: a connection still queued for a slot is not served yet.
    host.peers.add(this);
    if (host.draining) {
      this.close();
      return;
    }
    this.#armIdle();
    this.#updateFlow();
    void this.#pump();
  }

  /** Shutdown began: close now if no handler is running, else after it returns. */
  beginShutdown(): void {
    if (this.#phase === 'waiting' || (this.#phase === 'open' && !this.#dispatching)) this.close();
  }

  /** Shutdown's drain time ran out. */
  cutOff(drainMs: number): void {
    if (this.#phase === 'closed') return;
    const error = new DrainTimeoutError(
      `${this.#host.protocol.name}: connection ${this.remote.label} was still open ${drainMs} ms after shutdown began`,
    );
    this.#closeError ??= error;
    this.#logLine(`still open ${drainMs} ms after shutdown began (drainMs); destroying connection`);
    this.#channel.destroy();
  }

  async #runStartup(): Promise<void> {
    const { hooks, protocol, model } = this.#host;
    try {
      await hooks.setup?.(this);
      if (this.#phase === 'starting' && protocol.onConnect !== undefined) {
        const session = this.#session;
        if (session !== null) {
          await session.connect();
        } else {
          const onConnect = protocol.onConnect.bind(protocol);
          await model.run(() => onConnect(this));
        }
      }
    } catch (error) {
      this.#fail('setup failed', error);
    }
  }

  #onData(chunk: Uint8Array): void {
    // After close we keep reading only to see the peer's end; its bytes are dropped.
    if (this.#phase === 'closing' || this.#phase === 'closed' || this.#inputError !== undefined) return;
    this.#lastInputAt = Date.now();
    if (this.#phase === 'waiting') this.#readWhileWaiting += chunk.length;
    try {
      this.#decoder.push(chunk, this.#queueFrame);
    } catch (error) {
      this.#inputError = error;
      this.#updateFlow();
    }
    if (!this.#accountBuffered()) {
      this.#logLine(
        `the server holds more than maxBufferedBytes ${this.#host.maxBufferedBytes} of unfinished frames across its connections; closing this one, which holds ${this.#decoder.bufferedBytes}`,
      );
      this.close();
      return;
    }
    if (this.#frameTimer === null && this.#decoder.bufferedBytes > 0) this.#scheduleFrameDeadline();
    if (this.#pumping) {
      // Most dispatches finish within the same turn, so reading is not paused
      // up front (that would cost a pause/resume per chunk); only once a chunk
      // arrives while a dispatch is still pending does reading stop, which
      // bounds what is queued to that one chunk.
      this.#backlogged = true;
      this.#updateFlow();
    } else if (this.#phase === 'open') {
      void this.#pump();
    } else if (this.#phase === 'waiting') {
      this.#updateFlow();
    }
  }

  /** One timer while a frame is partly in, re-armed for the time left rather than reset per frame. */
  #scheduleFrameDeadline(): void {
    const limit = this.#host.frameTimeoutMs;
    if (limit === null) return;
    const left = Math.max(0, limit - (Date.now() - this.#lastFrameAt));
    this.#frameTimer = setTimeout(() => this.#onFrameDeadline(limit), left);
    this.#frameTimer.unref();
  }

  #onFrameDeadline(limit: number): void {
    this.#frameTimer = null;
    if (this.#phase !== 'open' || this.#decoder.bufferedBytes === 0) return;
    const waited = Date.now() - this.#lastFrameAt;
    if (waited < limit) {
      this.#scheduleFrameDeadline();
      return;
    }
    this.#logLine(
      `a frame has been arriving for ${waited} ms (${this.#decoder.bufferedBytes} bytes held, frameTimeoutMs ${limit}); closing connection`,
    );
    this.close();
  }

  readonly #queueFrame = (frame: Uint8Array): void => {
    this.#lastFrameAt = Date.now();
    this.#frames.push(frame);
  };

  #onEnd(): void {
    this.#peerEnded = true;
    if (this.#phase === 'open') void this.#pump();
    // A peer that ended its input before its turn, having sent no whole
    // request and with no greeting to wait for, can never be answered: its
    // place in the queue goes to the next connection.
    if (
      this.#phase === 'waiting' &&
      this.#frames.length === this.#frameHead &&
      this.#host.protocol.onConnect === undefined
    ) {
      this.#leftWhileWaiting?.abort();
    }
  }

  #onDrain(): void {
    if (!this.#writeBlocked) return;
    this.#writeBlocked = false;
    this.#wakeWriters();
    this.#updateFlow();
  }

  /**
   * Dispatches queued frames one at a time, in order, so a later message
   * never overtakes an earlier one whose handler is still running. Waits
   * for the peer to read when its write queue is full. Never rejects.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    const { protocol, model } = this.#host;
    try {
      while (this.#phase === 'open') {
        if (this.#writeBlocked) {
          await this.writable();
          continue;
        }
        const frame = this.#nextFrame();
        if (frame === undefined) break;
        // A rate on every message is taken before decoding; one on some types, once the type is known.
        const everyMessage = this.#tokenWait(null);
        if (everyMessage !== null && !(await everyMessage)) return;
        const session = this.#session;
        if (session !== null) {
          // The worker decodes; a rate on some message types needs the type here, before the frame goes.
          const typed = this.#tokenWait(() => frameType(protocol, frame));
          if (typed !== null && !(await typed)) return;
          // The worker decodes and dispatches; its bad-input errors come back
          // as RemoteInputError so they are handled like local ones.
          this.#dispatching = true;
          try {
            await session.dispatch(frame);
          } catch (error) {
            if (error instanceof RemoteInputError) this.#rejectInput(error);
            else this.#fail('handler failed', error);
            return;
          } finally {
            this.#endDispatch();
          }
          if (this.#host.draining) {
            this.close();
            return;
          }
          continue;
        }
        let message: Incoming;
        try {
          message = protocol.decode(frame);
        } catch (error) {
          this.#rejectInput(error);
          return;
        }
        const typed = this.#tokenWait(() => messageType(message));
        if (typed !== null && !(await typed)) return;
        this.#dispatching = true;
        try {
          if (model.inline === true) {
            // A synchronous handler's reply is sent before the next frame is looked at, with no await between.
            const result = protocol.dispatch(message, this);
            if (result !== undefined) await model.run(() => result);
          } else {
            await model.run(() => protocol.dispatch(message, this));
          }
        } catch (error) {
          if (!this.#answerFailure(error, message)) {
            this.#fail('handler failed', error);
            return;
          }
        } finally {
          this.#endDispatch();
        }
        if (this.#host.draining) {
          this.close();
          return;
        }
      }
      if (this.#phase !== 'open') return;
      if (this.#inputError !== undefined) {
        this.#rejectInput(this.#inputError);
      } else if (this.#peerEnded) {
        this.#endOfInput();
      }
    } finally {
      this.#pumping = false;
      this.#backlogged = false;
      this.#updateFlow();
    }
  }

  /**
   * The wait the message rate asks of one message, or null when it asks
   * none. `type` null: before decoding, where only a rate on every message
   * applies; otherwise a rate on some types applies when `type()` is one.
   */
  #tokenWait(type: (() => string) | null): Promise<boolean> | null {
    const bucket = this.#rate;
    if (bucket === null) return null;
    const rated = this.#host.messageRate!.messages;
    if (type === null ? rated !== null : rated === null || !rated.has(type())) return null;
    return this.#waitForToken(bucket);
  }

  /**
   * Waits until the message rate lets one more message through. Meanwhile
   * #pumping stays true, so the next chunk pauses reading: a flooding peer is
   * slowed by TCP, and nothing it sent is lost. False if the connection
   * closed while waiting.
   */
  async #waitForToken(bucket: TokenBucket): Promise<boolean> {
    for (;;) {
      const waitMs = bucket.take(performance.now());
      if (waitMs === 0) return true;
      if (!this.#throttleLogged) {
        this.#throttleLogged = true;
        const { perSecond, burst } = this.#host.messageRate!;
        this.#logLine(`sends faster than messageRate ${perSecond}/s (burst ${burst}); reading slows to that rate`);
      }
      await new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
      if (this.#phase !== 'open') return false;
    }
  }

  #endDispatch(): void {
    this.#dispatching = false;
    // Idle time counts from the end of the last handler, not from its request:
    // a peer waiting on a slow handler (or a worker starting up) is not idle.
    if (this.#host.idleTimeoutMs !== null) this.#lastInputAt = Date.now();
  }

  #nextFrame(): Uint8Array | undefined {
    const frame = this.#frames[this.#frameHead];
    if (frame === undefined) {
      if (this.#frameHead > 0) {
        this.#frames = [];
        this.#frameHead = 0;
      }
      return undefined;
    }
    this.#frames[this.#frameHead] = EMPTY;
    this.#frameHead += 1;
    return frame;
  }

  /** The peer finished sending and every message it sent was handled. */
  #endOfInput(): void {
    try {
      this.#decoder.end();
    } catch (error) {
      this.#rejectInput(error);
      return;
    }
    this.close();
  }

  /**
   * Bad bytes from the peer: one log line, the protocol's error frame if it
   * has one, then close. A framing error leaves the stream position
   * unknown, so nothing after it can be trusted; a well-framed message that
   * does not decode also closes the connection — one rule for all bad input
   * is simpler to reason about than resynchronising on a hostile stream.
   */
  #rejectInput(error: unknown): void {
    if (this.closed) return;
    this.#logLine(`${describeError(error)}; closing connection`);
    const { protocol } = this.#host;
    if (protocol.errorFrame !== undefined && error instanceof SockspecError) {
      try {
        const frame = protocol.errorFrame(error);
        if (frame !== null) this.send(frame);
      } catch (frameError) {
        this.#logLine(`errorFrame failed: ${describeError(frameError)}`);
      }
    }
    this.#closeError ??= toError(error);
    this.close();
  }

  /** A handler threw and the protocol has an error message for it: log, answer, keep serving. */
  #answerFailure(error: unknown, message: Incoming): boolean {
    let frame: Uint8Array | null;
    try {
      frame = this.#host.protocol.failureFrame?.(error, message) ?? null;
    } catch (frameError) {
      // An error frame that cannot be encoded must not escape the read loop (it would take the process down).
      this.#logLine(`failureFrame failed: ${describeError(frameError)}`);
      return false;
    }
    if (frame === null) return false;
    this.#logLine(`handler failed: ${describeError(error)}; answered with an error message`);
    this.send(frame);
    return true;
  }

  /** A hook or handler threw: one log line, then close this connection only. */
  #fail(what: string, error: unknown): void {
    if (this.#phase === 'closed') return;
    this.#logLine(`${what}: ${describeError(error)}; closing connection`);
    this.#closeError ??= toError(error);
    this.close();
  }

  #logLine(text: string): void {
    const { log, protocol } = this.#host;
    try {
      log(`${protocol.name}: ${this.remote.label}: ${text}`);
    } catch {
      // A broken log sink must not take the connection (or the process) down.
    }
  }

  #updateFlow(): void {
    const phase = this.#phase;
    const wantRead =
      phase === 'closing' ||
      (phase === 'waiting' &&
        !this.#peerEnded &&
        this.#inputError === undefined &&
        this.#readWhileWaiting < this.#host.protocol.framing.maxFrameBytes) ||
      (phase === 'open' && !this.#backlogged && !this.#writeBlocked && this.#inputError === undefined);
    this.#setPaused(!wantRead);
  }

  #setPaused(paused: boolean): void {
    if (paused === this.#paused || this.#channel.closed) return;
    this.#paused = paused;
    if (paused) this.#channel.pause();
    else this.#channel.resume();
  }

  #wakeWriters(): void {
    const waiters = this.#writableWaiters;
    if (waiters.length === 0) return;
    this.#writableWaiters = [];
    for (const wake of waiters) wake();
  }

  #armIdle(): void {
    const idleMs = this.#host.idleTimeoutMs;
    if (idleMs === null) return;
    this.#lastInputAt = Date.now();
    this.#scheduleIdle(idleMs);
  }

  // One timer per connection, re-armed for the remaining time when it fires
  // early, rather than reset on every chunk: reads stay free of timer work.
  #scheduleIdle(delayMs: number): void {
    this.#idleTimer = setTimeout(() => this.#onIdleTimer(), delayMs);
    this.#idleTimer.unref();
  }

  #onIdleTimer(): void {
    this.#idleTimer = null;
    const idleMs = this.#host.idleTimeoutMs;
    if (idleMs === null || this.#phase !== 'open') return;
    // A peer waiting on a slow handler is not idle.
    if (this.#dispatching) {
      this.#scheduleIdle(idleMs);
      return;
    }
    const quietFor = Date.now() - this.#lastInputAt;
    if (quietFor < idleMs) {
      this.#scheduleIdle(idleMs - quietFor);
      return;
    }
    this.#logLine(`idle for ${idleMs} ms; closing connection`);
    this.close();
  }

  #clearIdle(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  /** Tells the server how many unfinished-frame bytes this connection holds now; false past the server's ceiling. */
  #accountBuffered(): boolean {
    const now = this.#phase === 'closed' ? 0 : this.#decoder.bufferedBytes;
    const delta = now - this.#bufferedCounted;
    this.#bufferedCounted = now;
    // Only a connection that added bytes is refused: one whose frame just completed is not to blame.
    return this.#host.holdBuffered(delta) || delta <= 0;
  }

  async #onClose(error: Error | undefined): Promise<void> {
    if (this.#phase === 'waiting') this.#leftWhileWaiting?.abort();
    this.#phase = 'closed';
    this.#accountBuffered();
    this.#clearIdle();
    if (this.#frameTimer !== null) clearTimeout(this.#frameTimer);
    this.#frameTimer = null;
    if (this.#lingerTimer !== null) clearTimeout(this.#lingerTimer);
    this.#frames = [];
    this.#frameHead = 0;
    this.#wakeWriters();
    if (error !== undefined) this.#closeError ??= error;
    this.#session?.end();
    this.#host.forget(this);
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    for (const listener of listeners) {
      try {
        listener();
      } catch (listenerError) {
        this.#logLine(`close listener failed: ${describeError(listenerError)}`);
      }
    }
    if (this.#startup !== null) {
      // finish never overtakes setup: state that setup created is still there.
      await this.#startup;
      try {
        const closeError = this.#closeError;
        await (closeError === undefined
          ? this.#host.hooks.finish?.(this)
          : this.#host.hooks.finish?.(this, closeError));
      } catch (finishError) {
        this.#logLine(`finish hook failed: ${describeError(finishError)}`);
      }
    }
    // The slot is freed only after finish, so under `serial` one
    // connection's finish never overlaps the next one's setup.
    this.#release?.();
    this.#release = null;
    this.#resolveFinished();
  }
}

const EMPTY = new Uint8Array(0);

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The `type` of a decoded message; '' when it has none. */
function messageType(message: unknown): string {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : '';
}

/** The type of the message a frame holds, decoded here only to learn it; '' when it does not decode (its error is reported where it is handled). */
function frameType<Incoming>(protocol: { decode(frame: Uint8Array): Incoming }, frame: Uint8Array): string {
  try {
    return messageType(protocol.decode(frame));
  } catch {
    return '';
  }
}
