#!/usr/bin/env node
import { errorMessage, parseProgramArgs, processIO, writeLine } from '@sockspec/app-kit';
import { collectGreeting, greetingClientProgram } from './programs.js';

const CONNECT_TIMEOUT_MS = 10_000;

const io = processIO();
const parsed = parseProgramArgs(greetingClientProgram, 'connect', io, (command) => command);
if (typeof parsed === 'number') {
  process.exitCode = parsed;
} else {
  try {
    await writeLine(io.stdout, await collectGreeting({ ...parsed.endpoint, connectTimeoutMs: CONNECT_TIMEOUT_MS }));
  } catch (error) {
    io.stderr.write(`${greetingClientProgram.name}: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  }
}
