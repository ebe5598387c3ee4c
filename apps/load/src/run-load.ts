import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from '@sockspec/bench';
import type { ClientOptions } from '@sockspec/client';
import { isSockspecError } from '@sockspec/errors';
import type { LoadProtocol, LoadSession } from './protocols.js';

const CLOSE_TIMEOUT_MS = 1000;

export interface LoadOptions {
  readonly protocol: LoadProtocol;
  /** Where to connect: transport, host/port or path, plus timeouts. */
  readonly client: ClientOptions;
  readonly connections: number;
  readonly messagesPerConnection: number;
  /** Connects in progress at once; the rest wait for one of them to finish. */
  readonly connectConcurrency: number;
  /**
   * Cap on the whole run: no request starts after it and every connection is
   * closed, each given at most a second to close.
   */
  readonly seconds: number;
  /** Per request and per connect. */
  readonly timeoutMs: number;
}

export interface LoadResult {
  readonly connected: number;
  readonly messages: number;
  readonly elapsedMs: number;
  readonly messagesPerSecond: number;
  readonly histogram: LatencyHistogram;
  /** The slowest round trip, exact (the histogram keeps buckets). */
  readonly maxNs: number;
  readonly wrongReplies: number;
  /** One line per connection that failed: could not connect, wrong reply, closed by the server, timed out. */
  readonly failures: readonly string[];
  /** True when the --seconds cap ended the run before every message was sent. */
  readonly cappedByTime: boolean;
}

/**
 * Opens `connections` connections at once (at most `connectConcurrency`
 * connecting at a time: connects do not block, so this bounds only the
 * SYN burst and descriptor churn), then each connection sends its messages
 * one after another and checks every reply. Never throws for a server's
 * misbehaviour: it is counted in the result.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const histogram = new LatencyHistogram();
  const failures: string[] = [];
  const sessions = new Set<LoadSession>();
  let connected = 0;
  let messages = 0;
  let maxNs = 0;
  let wrongReplies = 0;
  let cappedByTime = false;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;

  let nextConnection = 0;

  let timedOut!: () => void;
  const capReached = new Promise<void>((resolve) => {
    timedOut = resolve;
  });
  const cap = setTimeout(() => {
    cappedByTime = true;
    timedOut();
    // Requests in flight end with a closed-connection error, which is the cap's doing, not the server's.
    for (const session of sessions) void session.close().catch(() => undefined);
  }, options.seconds * 1000);

  /** Connects, calls `connectFinished` (frees the connect slot), then runs the connection's messages. */
  async function drive(connection: number, connectFinished: () => void): Promise<void> {
    let session: LoadSession;
    try {
      session = await options.protocol.connect(
        {
          // On loopback a server closes its side at once; waiting longer would let teardown outlast --seconds.
          closeTimeoutMs: CLOSE_TIMEOUT_MS,
          ...options.client,
          connectTimeoutMs: options.timeoutMs,
          requestTimeoutMs: options.timeoutMs,
        },
        connection,
      );
    } catch (error) {
      if (!cappedByTime) failures.push(`connection ${connection}: cannot connect: ${describe(error)}`);
      return;
    } finally {
      connectFinished();
    }
    if (cappedByTime) {
      await session.close().catch(() => undefined);
      return;
    }
    connected += 1;
    sessions.add(session);
    try {
      for (let index = 0; index < options.messagesPerConnection; index++) {
        if (cappedByTime || performance.now() >= deadline) {
          cappedByTime = true;
          break;
        }
        const sentAt = performance.now();
        await session.request(index, options.timeoutMs);
        const ns = (performance.now() - sentAt) * 1e6;
        histogram.record(ns);
        if (ns > maxNs) maxNs = ns;
        messages += 1;
      }
    } catch (error) {
      if (isSockspecError(error, 'SOCKSPEC_WRONG_REPLY')) {
        wrongReplies += 1;
        failures.push(`connection ${connection}: ${describe(error)}`);
      } else if (!cappedByTime) {
        failures.push(`connection ${connection}: ${describe(error)}`);
      }
    } finally {
      sessions.delete(session);
      await session.close().catch(() => undefined);
    }
  }

  // connectConcurrency connectors each start one connection, wait for its connect to finish, start the next.
  const connectors = Array.from({ length: Math.min(options.connectConcurrency, options.connections) }, async () => {
    const running: Promise<void>[] = [];
    while (nextConnection < options.connections && !cappedByTime) {
      const connection = nextConnection++;
      let connectFinished!: () => void;
      const slotFree = new Promise<void>((resolve) => {
        connectFinished = resolve;
      });
      running.push(drive(connection, connectFinished));
      await Promise.race([slotFree, capReached]);
    }
    await Promise.all(running);
  });

  await Promise.all(connectors);
  clearTimeout(cap);
  const elapsedMs = Math.max(performance.now() - started, 1e-3);
  return {
    connected,
    messages,
    elapsedMs,
    messagesPerSecond: (messages * 1000) / elapsedMs,
    histogram,
    maxNs,
    wrongReplies,
    failures,
    cappedByTime,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
