import { eventLoop, serial } from './event-loop.js';
import { type ProcessesOptions, processes } from './processes.js';
import { type ThreadsOptions, threads } from './threads.js';
import type { ConcurrencyModel, ConcurrencyModelName, ConnectionLimits } from './types.js';

/** Names of the models this package builds. */
export type BuiltinConcurrencyName = ConcurrencyModelName;

/** Options for any model by name; each model reads the ones that apply to it. */
export interface ResolveConcurrencyOptions extends ConnectionLimits {
  /** threads: pool size; processes: worker processes. */
  readonly workers?: number;
  /** threads: the handler module (required for threads). */
  readonly module?: string | URL;
  /** processes: see ProcessesOptions. */
  readonly processes?: Omit<ProcessesOptions, 'workers' | keyof ConnectionLimits>;
}

/**
 * Turns a model name (as given on a command line) plus options, or a ready
 * model, into a model.
 */
export function resolveConcurrency(
  model: BuiltinConcurrencyName | ConcurrencyModel,
  options: ResolveConcurrencyOptions = {},
): ConcurrencyModel {
  if (typeof model !== 'string') return model;
  const limits: ConnectionLimits = {
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.overflow === undefined ? {} : { overflow: options.overflow }),
    ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
    ...(options.queueTimeoutMs === undefined ? {} : { queueTimeoutMs: options.queueTimeoutMs }),
  };
  switch (model) {
    case 'async':
      return eventLoop(limits);
    case 'serial':
      if (options.maxConnections !== undefined && options.maxConnections !== 1) {
        throw new RangeError(
          `resolveConcurrency: serial serves one connection at a time; maxConnections ${options.maxConnections} does not apply`,
        );
      }
      {
        const { maxConnections: _one, ...serialLimits } = limits;
        return serial(serialLimits);
      }
    case 'threads': {
      const module = options.module;
      if (module === undefined) {
        throw new TypeError(
          "resolveConcurrency: 'threads' needs options.module, the module a worker loads the protocol from",
        );
      }
      const threadOptions: ThreadsOptions = {
        ...limits,
        module,
        ...(options.workers === undefined ? {} : { size: options.workers }),
      };
      return threads(threadOptions);
    }
    case 'processes':
      return processes({
        ...options.processes,
        ...limits,
        ...(options.workers === undefined ? {} : { workers: options.workers }),
      });
    default:
      throw new TypeError(
        `resolveConcurrency: expected 'serial', 'async', 'threads' or 'processes' (or a ConcurrencyModel), got '${String(model)}'`,
      );
  }
}
