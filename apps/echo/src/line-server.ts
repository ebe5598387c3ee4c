#!/usr/bin/env node
import { runServer } from '@sockspec/app-kit';
import { lineEchoServerProgram } from './line-programs.js';

process.exitCode = await runServer(lineEchoServerProgram);
