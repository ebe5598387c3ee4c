#!/usr/bin/env node
import { runServer } from '@sockspec/app-kit';
import { webServerProgram } from './server-program.js';

process.exitCode = await runServer(webServerProgram);
