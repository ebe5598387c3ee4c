#!/usr/bin/env node
import { runClient } from '@sockspec/app-kit';
import { lineEchoClientProgram } from './line-programs.js';

process.exitCode = await runClient(lineEchoClientProgram);
