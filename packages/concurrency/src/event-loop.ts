import { Admission, InlineRunner } from './admission.js';
import { checkLimits } from './errors.js';
import type { ConcurrencyModel, ConnectionLimits } from './types.js';

export interface EventLoopOptions extends ConnectionLimits {}

export interface SerialOptions extends Omit<ConnectionLimits, 'maxConnections'> {}

/**
 * The `async` model: every connection is served on the event loop and
 * handler calls run inline. With `maxConnections` it also caps how many
 * connections are served at once.
 */
export function eventLoop(options: EventLoopOptions = {}): ConcurrencyModel {
  return inlineModel('async', new Admission('async', checkLimits('eventLoop', options)));
}

/**
 * The `serial` model: one connection at a time, like a plain TCPServer; the
 * next accepted connection is admitted when the previous one is released
 * (or, with `overflow: 'refuse'`, closed at once).
 */
export function serial(options: SerialOptions = {}): ConcurrencyModel {
  return inlineModel('serial', new Admission('serial', { ...checkLimits('serial', options), maxConnections: 1 }));
}

function inlineModel(name: 'async' | 'serial', admission: Admission): ConcurrencyModel {
  const runner = new InlineRunner();
  return {
    name,
    inline: true,
    admit: (signal) => admission.admit(signal),
    run: (task) => runner.run(task),
    close: () => runner.settle(),
  };
}
