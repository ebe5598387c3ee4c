import { createRequire } from 'node:module';
import { TransportUnavailableError } from './errors.js';

/** The parts of the `unix-dgram` addon's socket this package uses (it ships no types). */
export interface UnixDgramSocket {
  bind(path: string): void;
  connect(path: string): void;
  /** Connected socket: send(buf, callback). */
  send(buf: Buffer, callback: (err?: Error) => void): void;
  /** Unconnected socket: send(buf, offset, length, path, callback). */
  send(buf: Buffer, offset: number, length: number, path: string, callback: (err?: Error) => void): void;
  close(): void;
  on(event: 'message', listener: (data: Buffer, rinfo: { size: number; path?: string | null }) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'writable', listener: () => void): this;
  on(event: 'connect' | 'listening', listener: () => void): this;
  removeAllListeners(): this;
}

interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

const defaultLoad = createRequire(import.meta.url);
let cached: UnixDgramModule | undefined;

/**
 * Loads the addon on first use, so the other transports work on machines
 * where it never built. `load` is the seam tests use to see the failure.
 */
export function loadUnixDgram(load: (id: string) => unknown = defaultLoad): UnixDgramModule {
  if (load === defaultLoad && cached !== undefined) return cached;
  let module: UnixDgramModule;
  try {
    module = load('unix-dgram') as UnixDgramModule;
  } catch (err) {
    throw new TransportUnavailableError(
      'unix-dgram',
      'transport unix-dgram needs the native addon from the npm package "unix-dgram", which could not be loaded ' +
        `(${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}). Install it with ` +
        '"pnpm add unix-dgram" (it compiles with node-gyp: python3, make and a C++ compiler) and allow its build ' +
        'script (pnpm: allowBuilds in pnpm-workspace.yaml).',
      { cause: err },
    );
  }
  if (load === defaultLoad) cached = module;
  return module;
}
