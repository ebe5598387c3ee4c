import { Admission, InlineRunner } from './admission.js';
import { checkLimits } from './errors.js';
import type { ConcurrencyModel, ConnectionLimits, OverflowPolicy } from './types.js';

export interface EventLoopOptions extends ConnectionLimits {}

export interface SerialOptions {
  /** What happens to a connection accepted while another is served. Default `queue`. */
  readonly overflow?: OverflowPolicy;
}

/**
 * The `async` model: every connection is served on the event loop and
 * handler calls run inline. With `maxConnections` it also caps how many
 * connections are served at once.
 */
export function eventLoop(options: EventLoopOptions = {}): ConcurrencyModel {
  const { maxConnections, overflow } = checkLimits('eventLoop', options);
  return inlineModel('async', new Admission('async', maxConnections, overflow));
}

/**
 * The `serial` model: one connection at a time, like a plain TCPServer; the
 * next accepted connection is admitted when the previous one is released
 * (or, with `overflow: 'refuse'`, closed at once).
 */
export function serial(options: SerialOptions = {}): ConcurrencyModel {
  const { overflow } = checkLimits('serial', options);
  return inlineModel('serial', new Admission('serial', 1, overflow));
}

function inlineModel(name: 'async' | 'serial', admission: Admission): ConcurrencyModel {
  const runner = new InlineRunner();
  return {
    name,
    admit: () => admission.admit(),
    run: (task) => runner.run(task),
    close: () => runner.settle(),
  };
}
