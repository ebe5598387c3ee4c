#!/usr/bin/env node
import { runClient } from '@sockspec/app-kit';
import { echoClientProgram } from './programs.js';

process.exitCode = await runClient(echoClientProgram);
