#!/usr/bin/env node
import { runServer } from '@sockspec/app-kit';
import { greetingServerProgram } from './programs.js';

process.exitCode = await runServer(greetingServerProgram);
