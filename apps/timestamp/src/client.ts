#!/usr/bin/env node
import { runClient } from '@sockspec/app-kit';
import { timestampClientProgram } from './programs.js';

process.exitCode = await runClient(timestampClientProgram);
