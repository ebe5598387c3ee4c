#!/usr/bin/env node
import { runCoverageFuzz } from './coverage-fuzz.js';
import { runFuzzProgram } from './program.js';

const argv = process.argv.slice(2);
// `pnpm fuzz coverage …`: the generated decoders in process, coverage-guided; anything else fuzzes the servers.
process.exitCode =
  argv[0] === 'coverage' ? await runCoverageFuzz(argv.slice(1), process.stdout) : await runFuzzProgram(argv);
