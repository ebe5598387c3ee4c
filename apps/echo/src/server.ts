#!/usr/bin/env node
import { runServer } from '@sockspec/app-kit';
import { echoServerProgram } from './programs.js';

process.exitCode = await runServer(echoServerProgram);
