import { spawn } from 'node:child_process';
import { LatencyHistogram } from './histogram.js';
import type { PingPongOptions, PingPongResult } from './load.js';

/** What apps/bench/c/epoll_load.c prints. */
interface NativeReport {
  readonly messages: number;
  readonly elapsedNs: number;
  readonly wrongReplies: number;
  readonly failures: readonly string[];
  readonly buckets: readonly (readonly [number, number])[];
}

/**
 * The same ping-pong as pingPong(), driven by the C load generator: one
 * epoll loop in its own process, so the load costs the Node servers under
 * test none of their CPU and the client is not the limit. Its histogram
 * uses the same buckets as LatencyHistogram, so quantiles are comparable.
 */
export async function nativePingPong(binary: string, options: PingPongOptions): Promise<PingPongResult> {
  const args = [
    options.host,
    String(options.port),
    String(options.connections),
    String(options.messageBytes),
    String(Math.round(options.warmupMs)),
    String(Math.round(options.durationMs)),
    String(options.maxMessages),
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`the C load generator exited ${code}: ${stderr.trim() || stdout.trim()}`);
  const report = JSON.parse(stdout) as NativeReport;
  const histogram = new LatencyHistogram();
  for (const [index, count] of report.buckets) histogram.addToBucket(index, count);
  const elapsedMs = report.elapsedNs / 1e6;
  return {
    messages: report.messages,
    elapsedMs,
    messagesPerSecond: (report.messages * 1000) / elapsedMs,
    histogram,
    wrongReplies: report.wrongReplies,
    failures: report.failures,
  };
}
