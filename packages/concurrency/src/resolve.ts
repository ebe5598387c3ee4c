import { eventLoop, serial } from './event-loop.js';
import type { ConcurrencyModel } from './types.js';

/** Names of the models this package can build without further options. */
export type BuiltinConcurrencyName = 'async' | 'serial';

/**
 * Turns a model name (as given on a command line) or a ready model into a
 * model. `threads` and `processes` need options of their own, so they are
 * passed as models rather than names.
 */
export function resolveConcurrency(model: BuiltinConcurrencyName | ConcurrencyModel): ConcurrencyModel {
  if (typeof model !== 'string') return model;
  switch (model) {
    case 'async':
      return eventLoop();
    case 'serial':
      return serial();
    default:
      throw new TypeError(
        `resolveConcurrency: expected 'async' or 'serial' (or a ConcurrencyModel), got '${String(model)}'`,
      );
  }
}
