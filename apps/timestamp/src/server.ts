#!/usr/bin/env node
import { runServer } from '@sockspec/app-kit';
import { timestampServerProgram } from './programs.js';

process.exitCode = await runServer(timestampServerProgram);
