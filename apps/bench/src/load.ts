import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram.js';

export interface PingPongOptions {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  /** Bytes per message, newline included. */
  readonly messageBytes: number;
  /** Requests before this are not measured (JIT, socket buffers, connection setup). */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Stop measuring after this many replies, whatever the time. */
  readonly maxMessages: number;
  /** Give up on a server that stops answering this long after the measured window. */
  readonly graceMs?: number;
}

export interface PingPongResult {
  readonly messages: number;
  readonly elapsedMs: number;
  readonly messagesPerSecond: number;
  readonly histogram: LatencyHistogram;
  /** Replies whose bytes differed from the request, or extra bytes nobody asked for. */
  readonly wrongReplies: number;
  /** Connections that failed or closed before the run ended, with why. */
  readonly failures: readonly string[];
}

/** A few distinct messages, so a server that answers with a stale line is caught. */
const VARIANTS = 16;

function makeMessages(messageBytes: number): Buffer[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from({ length: VARIANTS }, (_, variant) => {
    const message = Buffer.alloc(messageBytes);
    for (let index = 0; index < messageBytes - 1; index++) {
      message[index] = alphabet.charCodeAt((index + variant * 7) % alphabet.length);
    }
    message[messageBytes - 1] = 0x0a;
    return message;
  });
}

/**
 * Ping-pong load: each connection sends one message, waits for the whole
 * reply, checks it byte by byte, records the round trip and sends the next.
 * Per reply it allocates nothing but what node:net hands it.
 */
export function pingPong(options: PingPongOptions): Promise<PingPongResult> {
  const messages = makeMessages(options.messageBytes);
  const histogram = new LatencyHistogram();
  const failures: string[] = [];
  const sockets: Socket[] = [];
  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const measureUntil = measureFrom + options.durationMs;
  let measured = 0;
  let wrongReplies = 0;
  let lastMeasuredAt = measureFrom;
  let stopping = false;

  return new Promise((resolve) => {
    let open = options.connections;
    const onClosed = (): void => {
      open -= 1;
      if (open > 0) return;
      clearTimeout(watchdog);
      const elapsedMs = Math.max(lastMeasuredAt - measureFrom, 1e-3);
      resolve({
        messages: measured,
        elapsedMs,
        messagesPerSecond: (measured * 1000) / elapsedMs,
        histogram,
        wrongReplies,
        failures,
      });
    };
    const watchdog = setTimeout(
      () => {
        failures.push(`the server stopped answering: run not finished ${options.graceMs ?? 5000} ms after its end`);
        for (const socket of sockets) socket.destroy();
      },
      options.warmupMs + options.durationMs + (options.graceMs ?? 5000),
    );

    for (let connection = 0; connection < options.connections; connection++) {
      let variant = connection % VARIANTS;
      let expected = messages[variant]!;
      let received = 0;
      let sentAt = 0;
      let broken = false;
      const socket = connect({ host: options.host, port: options.port, noDelay: true });
      sockets.push(socket);
      const send = (): void => {
        variant = (variant + 1) % VARIANTS;
        expected = messages[variant]!;
        received = 0;
        sentAt = performance.now();
        socket.write(expected);
      };
      socket.once('connect', send);
      socket.on('data', (chunk: Buffer) => {
        for (let index = 0; index < chunk.length; index++) {
          if (received >= expected.length || chunk[index] !== expected[received]) {
            wrongReplies += 1;
            broken = true;
            failures.push(`connection ${connection}: reply differs from the request at byte ${received}`);
            socket.destroy();
            return;
          }
          received += 1;
        }
        if (received < expected.length) return;
        const now = performance.now();
        if (sentAt >= measureFrom && now < measureUntil && measured < options.maxMessages) {
          histogram.record((now - sentAt) * 1e6);
          measured += 1;
          lastMeasuredAt = now;
        }
        if (stopping || now >= measureUntil || measured >= options.maxMessages) {
          stopping = true;
          if (measured >= options.maxMessages) lastMeasuredAt = now;
          socket.end();
        } else {
          send();
        }
      });
      socket.on('error', (error) => {
        if (stopping || broken) return;
        broken = true;
        failures.push(`connection ${connection}: ${error.message}`);
      });
      socket.on('close', () => {
        if (!stopping && !broken) failures.push(`connection ${connection}: closed by the server`);
        onClosed();
      });
    }
  });
}
