/**
 * `pnpm fuzz coverage [--seconds S] [--seed X] [protocol...]`: coverage-guided
 * fuzzing of the generated decoders, in process. Each input goes through the
 * protocol's frame decoder and its generated decode, for both directions;
 * V8's precise block coverage (node:inspector, no native addon) says which
 * blocks of the generated codec and of @sockspec/codec it ran, and an input
 * that reaches a block no earlier input reached joins the corpus the
 * mutations start from. Seeds are the spec's test vectors. A decoder may only
 * ever fail with a typed SockspecError: anything else is a finding, printed
 * with the input as hex, and the run exits 1.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createFrameDecoder, type FramingConfig } from '@sockspec/codec';
import { isSockspecError } from '@sockspec/errors';
import { createRandom, mutate, type Random } from './mutate.js';

export const COVERAGE_PROTOCOLS = [
  'echo',
  'raw-echo',
  'timestamp',
  'greeting',
  'chat',
  'file-transfer',
  'http',
  'memcached',
  'mqtt',
  'redis',
] as const;
export type CoverageProtocol = (typeof COVERAGE_PROTOCOLS)[number];

export interface CodecModule {
  readonly framing: FramingConfig;
  decodeClientMessage(frame: Uint8Array): unknown;
  decodeServerMessage(frame: Uint8Array): unknown;
}

/** Loaded on demand, one generated package per protocol. */
const CODECS: Readonly<Record<CoverageProtocol, () => Promise<CodecModule>>> = {
  echo: () => import('@sockspec/protocol-echo'),
  'raw-echo': () => import('@sockspec/protocol-raw-echo'),
  timestamp: () => import('@sockspec/protocol-timestamp'),
  greeting: () => import('@sockspec/protocol-greeting'),
  chat: () => import('@sockspec/protocol-chat'),
  'file-transfer': () => import('@sockspec/protocol-file-transfer'),
  http: () => import('@sockspec/protocol-http'),
  memcached: () => import('@sockspec/protocol-memcached'),
  mqtt: () => import('@sockspec/protocol-mqtt'),
  redis: () => import('@sockspec/protocol-redis'),
};

export interface CoverageResult {
  readonly protocol: CoverageProtocol;
  readonly executions: number;
  readonly seeds: number;
  readonly corpus: number;
  /** Blocks of the codec code the seeds alone reach, and all inputs together. */
  readonly seedBlocks: number;
  readonly blocks: number;
  /** Typed errors by code: the decoders refusing what they must refuse. */
  readonly refusals: ReadonlyMap<string, number>;
  /** Inputs that made a decoder throw something other than a SockspecError. */
  readonly findings: readonly { readonly input: string; readonly error: string }[];
}

const specsDir = new URL('../../../specs/', import.meta.url);

/** The valid wires of `specs/<protocol>.vectors.json`, as bytes. */
function seedsOf(protocol: CoverageProtocol): Uint8Array[] {
  const vectors = JSON.parse(readFileSync(new URL(`${protocol}.vectors.json`, specsDir), 'utf8')) as {
    messages: Record<string, { valid: { wire: string }[]; invalid: { wire: string }[] }>;
  };
  return Object.values(vectors.messages).flatMap((message) =>
    [...message.valid, ...message.invalid].map((vector) => Uint8Array.from(Buffer.from(vector.wire, 'hex'))),
  );
}

/** The code whose blocks count: the generated packages and the codec runtime. */
const COUNTED = /\/packages\/(protocols\/[^/]+|codec)\/(src|dist)\//;

class BlockCoverage {
  readonly #session = new Session();
  readonly seen = new Set<string>();

  async start(): Promise<void> {
    this.#session.connect();
    await this.#session.post('Profiler.enable');
    await this.#session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  /** Blocks run since the last call (taking coverage resets the counters); adds them, returns how many were new. */
  async collect(): Promise<number> {
    const { result } = await this.#session.post('Profiler.takePreciseCoverage');
    let fresh = 0;
    for (const script of result) {
      if (!COUNTED.test(script.url)) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count === 0) continue;
          const key = `${script.url}:${range.startOffset}:${range.endOffset}`;
          if (this.seen.has(key)) continue;
          this.seen.add(key);
          fresh += 1;
        }
      }
    }
    return fresh;
  }

  async stop(): Promise<void> {
    await this.#session.post('Profiler.stopPreciseCoverage');
    this.#session.disconnect();
  }
}

/** Feeds `input` to both directions' frame decoder and decode; returns a finding, or null. */
export function exercise(codec: CodecModule, input: Uint8Array, refusals: Map<string, number>): string | null {
  for (const [sender, decode] of [
    ['client', codec.decodeClientMessage],
    ['server', codec.decodeServerMessage],
  ] as const) {
    try {
      const decoder = createFrameDecoder(codec.framing, { sender });
      decoder.push(input, (frame) => void decode(frame));
    } catch (error) {
      if (!isSockspecError(error)) return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      refusals.set(error.code, (refusals.get(error.code) ?? 0) + 1);
    }
  }
  return null;
}

export async function fuzzCoverage(
  protocol: CoverageProtocol,
  seconds: number,
  random: Random,
): Promise<CoverageResult> {
  const codec = await CODECS[protocol]();
  const seeds = seedsOf(protocol);
  const corpus = [...seeds];
  const refusals = new Map<string, number>();
  const findings: { input: string; error: string }[] = [];
  const coverage = new BlockCoverage();
  await coverage.start();
  try {
    for (const seed of seeds) {
      const finding = exercise(codec, seed, refusals);
      if (finding !== null) findings.push({ input: Buffer.from(seed).toString('hex'), error: finding });
    }
    await coverage.collect();
    const seedBlocks = coverage.seen.size;
    const deadline = performance.now() + seconds * 1000;
    let executions = seeds.length;
    while (performance.now() < deadline && findings.length < 10) {
      const parent = corpus[Math.floor(random() * corpus.length)] ?? new Uint8Array(0);
      const input = mutate(random, parent, corpus);
      executions += 1;
      const finding = exercise(codec, input, refusals);
      if (finding !== null) findings.push({ input: Buffer.from(input).toString('hex'), error: finding });
      if ((await coverage.collect()) > 0) corpus.push(input);
    }
    return {
      protocol,
      executions,
      seeds: seeds.length,
      corpus: corpus.length,
      seedBlocks,
      blocks: coverage.seen.size,
      refusals,
      findings,
    };
  } finally {
    await coverage.stop();
  }
}

export function formatCoverageResults(results: readonly CoverageResult[]): string {
  const lines = ['protocol       executions  seeds  corpus  blocks (seeds → all)  findings  refusals'];
  for (const result of results) {
    const refusals = [...result.refusals].sort((a, b) => b[1] - a[1]).slice(0, 3);
    lines.push(
      [
        result.protocol.padEnd(14),
        result.executions.toLocaleString('en-US').padStart(10),
        String(result.seeds).padStart(6),
        String(result.corpus).padStart(7),
        `${result.seedBlocks} → ${result.blocks}`.padStart(21),
        String(result.findings.length).padStart(9),
        ` ${refusals.map(([code, count]) => `${code.replace('SOCKSPEC_', '')} ${count}`).join(', ')}`,
      ].join(' '),
    );
  }
  for (const result of results) {
    for (const finding of result.findings)
      lines.push(`finding in ${result.protocol}: ${finding.error} on input ${finding.input}`);
  }
  return lines.join('\n');
}

/** `coverage [--seconds S] [--seed X] [protocol...]`; returns the exit status. */
export async function runCoverageFuzz(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  let seconds = 3;
  let seed = 424242;
  const chosen: CoverageProtocol[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    const value = Number(argv[index + 1]);
    if (arg === '--seconds' && value > 0 && value <= 3600) {
      seconds = value;
      index += 1;
    } else if (arg === '--seed' && Number.isInteger(value)) {
      seed = value;
      index += 1;
    } else if ((COVERAGE_PROTOCOLS as readonly string[]).includes(arg)) {
      chosen.push(arg as CoverageProtocol);
    } else {
      out.write(
        `fuzz coverage: unknown or invalid argument '${arg}'; use --seconds S (up to 3600), --seed N and protocols from ${COVERAGE_PROTOCOLS.join(', ')}\n`,
      );
      return 2;
    }
  }
  const random = createRandom(seed);
  const results: CoverageResult[] = [];
  for (const protocol of chosen.length > 0 ? chosen : COVERAGE_PROTOCOLS) {
    results.push(await fuzzCoverage(protocol, seconds, random));
  }
  out.write(
    `coverage-guided fuzzing of the generated decoders, ${seconds} s per protocol, seed ${seed}, node ${process.version}\n\n`,
  );
  out.write(`${formatCoverageResults(results)}\n`);
  return results.some((result) => result.findings.length > 0) ? 1 : 0;
}
