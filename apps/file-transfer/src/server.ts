#!/usr/bin/env node
import { runServer } from '@sockspec/app-kit';
import { fileTransferServerProgram } from './server-program.js';

process.exitCode = await runServer(fileTransferServerProgram);
