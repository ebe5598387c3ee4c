#!/usr/bin/env node
import { runChatClient } from './client-program.js';

process.exitCode = await runChatClient();
