import { boundedInteger } from '@sockspec/app-kit';
import { Argument, Command, CommanderError, Option } from 'commander';
import { formatFuzzReport, fuzzPassed } from './report.js';
import { type FuzzOptions, type FuzzResult, runFuzz } from './run-fuzz.js';
import { FUZZ_TARGETS } from './targets.js';

export interface FuzzIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** `pnpm fuzz [protocol] [--frames N] [--seconds S] …`; resolves with the exit status (0 passed, 1 failed, 2 usage). */
export async function runFuzzProgram(argv: readonly string[], io: FuzzIO = process): Promise<number> {
  const names = [...FUZZ_TARGETS.keys()];
  const command = new Command('sockspec-fuzz')
    .description(
      'Sends mutated valid frames (flips, truncation, extension, wrong lengths, invalid UTF-8, splices) to each shipped server over many loopback connections, probes it with a well-behaved client meanwhile, and reports crashes, hangs, probe latency, RSS and descriptors. Exits 1 if a server crashed, held a connection or failed a probe.',
    )
    .addArgument(new Argument('[protocol]', 'one server to fuzz (default: all)').choices(names))
    .addOption(
      new Option('--frames <n>', 'mutated frames per server')
        .argParser(boundedInteger('frames', 1, 100_000_000))
        .default(100_000),
    )
    .addOption(
      new Option('--seconds <s>', 'stop each server after this long')
        .argParser(boundedInteger('seconds', 1, 86_400))
        .default(60),
    )
    .addOption(
      new Option('--connections <n>', 'fuzzing connections at once')
        .argParser(boundedInteger('connections', 1, 1000))
        .default(32),
    )
    .addOption(
      new Option('--seed <n>', 'PRNG seed, to replay a run').argParser(boundedInteger('a seed', 0, 2 ** 32 - 1)),
    )
    .addOption(
      new Option('--hang-ms <ms>', 'how long a server may hold a connection after the fuzzer ended it')
        .argParser(boundedInteger('milliseconds', 100, 600_000))
        .default(5000),
    )
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  try {
    command.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const [protocol] = command.processedArgs as [string | undefined];
  const flags = command.opts<{ frames: number; seconds: number; connections: number; seed?: number; hangMs: number }>();
  const options: FuzzOptions = {
    frames: flags.frames,
    seconds: flags.seconds,
    connections: flags.connections,
    seed: flags.seed ?? Math.floor(Math.random() * 2 ** 32),
    hangMs: flags.hangMs,
    probeBudgetMs: 100,
  };
  const results: FuzzResult[] = [];
  for (const name of protocol === undefined ? names : [protocol]) {
    io.stderr.write(
      `fuzzing ${name}: up to ${options.frames.toLocaleString('en-US')} frames or ${options.seconds} s, seed ${options.seed}\n`,
    );
    try {
      results.push(await runFuzz(FUZZ_TARGETS.get(name)!, options));
    } catch (error) {
      io.stderr.write(`sockspec-fuzz: ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
  }
  io.stdout.write(`loopback, node ${process.version}, seed ${options.seed}\n\n${formatFuzzReport(results)}`);
  return results.every(fuzzPassed) ? 0 : 1;
}
