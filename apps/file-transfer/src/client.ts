#!/usr/bin/env node
import { runFileTransferClient } from './client-program.js';

process.exitCode = await runFileTransferClient();
