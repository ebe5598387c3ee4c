#!/usr/bin/env node
import { runFuzzProgram } from './program.js';

process.exitCode = await runFuzzProgram(process.argv.slice(2));
