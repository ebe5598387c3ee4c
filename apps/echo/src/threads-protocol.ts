// What a `--concurrency threads` worker imports: the protocol is rebuilt in the worker, since closures cannot cross
// threads. The prefix travels in this module's URL (`?prefix=`), which programs.ts sets from --prefix.
import { rawEchoProtocol } from './raw-echo-protocol.js';

export const protocol = rawEchoProtocol(new URL(import.meta.url).searchParams.get('prefix') ?? '');
