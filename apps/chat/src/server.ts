#!/usr/bin/env node
import { runServer } from '@sockspec/app-kit';
import { chatServerProgram } from './server-program.js';

process.exitCode = await runServer(chatServerProgram);
