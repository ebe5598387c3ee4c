import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ProgramIO } from '@sockspec/app-kit';

/** A ProgramIO over in-memory streams, so the load program runs in-process. */
export function fakeIO(argv: readonly string[]): ProgramIO & { out(): string; err(): string } {
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
    stdin: new PassThrough(),
    stdout,
    stderr,
    env: {},
    signals: new EventEmitter(),
    exit: (code) => {
      throw new Error(`exit(${code}) called`);
    },
    out: () => out,
    err: () => err,
  };
}
