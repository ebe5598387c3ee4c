import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ProgramIO } from '../src/io.js';

export interface FakeIO extends ProgramIO {
  readonly stdin: PassThrough & { isTTY?: boolean };
  readonly signals: EventEmitter;
  out(): string;
  err(): string;
}

/** A ProgramIO over in-memory streams, so runServer and runClient run in-process. */
export function fakeIO(argv: readonly string[], env: Record<string, string> = {}): FakeIO {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  return {
    argv,
    stdin,
    stdout,
    stderr,
    env,
    signals: new EventEmitter(),
    exit: (code) => {
      throw new Error(`exit(${code}) called`);
    },
    out: () => out,
    err: () => err,
  };
}
