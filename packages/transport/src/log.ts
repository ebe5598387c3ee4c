import type { SocketOptions } from './types.js';

/** Where transport events that close nothing (a dropped datagram) are told; standard error unless the caller says. */
export function transportLogOf(options: SocketOptions): (line: string) => void {
  return options.transportLog ?? ((line) => process.stderr.write(`${line}\n`));
}
