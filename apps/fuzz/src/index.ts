export { concat, createRandom, cut, MUTATIONS, type Mutation, mutate } from './mutate.js';
export { runFuzzProgram } from './program.js';
export { formatFuzzReport, fuzzPassed } from './report.js';
export { type FuzzOptions, type FuzzResult, processFigures, runFuzz } from './run-fuzz.js';
export { FUZZ_TARGETS, type FuzzTarget } from './targets.js';
