#!/usr/bin/env node
import { runLoadProgram } from './program.js';

process.exitCode = await runLoadProgram();
