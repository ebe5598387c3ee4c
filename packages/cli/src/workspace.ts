import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Thrown for mistakes a user can fix; the CLI prints the message, never a stack. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The nearest folder at or above `start` holding pnpm-workspace.yaml. */
export function findWorkspaceRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new CliError(
        `no pnpm-workspace.yaml in ${resolve(start)} or any folder above it; run sockspec inside the workspace`,
      );
    }
    dir = parent;
  }
}

/** `a/b/c` relative to the root, with `/` on every platform: how paths appear in output and headers. */
export function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel === '' ? '.' : rel).split(sep).join('/');
}
