/**
 * The published packages, as `npm pack` would ship them: every path an
 * `exports` condition, `types`, `main` or `bin` names is in the tarball (the
 * `development` condition's ./src included), with a LICENSE and the license
 * field. Build output is not assumed to exist (turbo may run this before the
 * builds): a dist/ path must be covered by `files`, every other path must be
 * in the tarball.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const workspace = fileURLToPath(new URL('../../../', import.meta.url));
const PUBLISHED = [
  'packages/cli',
  'packages/client',
  'packages/codec',
  'packages/concurrency',
  'packages/errors',
  'packages/server',
  'packages/spec',
  'packages/streams',
  'packages/transport',
  'generators/templates',
  'generators/typescript',
];

/** Every file path a package.json promises: exports targets (all conditions), types, main, bin. */
function promisedPaths(manifest: Record<string, unknown>): string[] {
  const paths: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') paths.push(value);
    else if (value !== null && typeof value === 'object') for (const inner of Object.values(value)) walk(inner);
  };
  walk(manifest.exports);
  for (const key of ['types', 'main', 'module']) walk(manifest[key]);
  walk(manifest.bin);
  // A subpath pattern (./internal/*) names no single file.
  return [...new Set(paths.filter((path) => !path.includes('*')).map((path) => path.replace(/^\.\//, '')))];
}

describe('published packages', () => {
  it.each(PUBLISHED)(
    '%s ships every file its manifest points at, and its LICENSE',
    (dir) => {
      const manifest = JSON.parse(readFileSync(join(workspace, dir, 'package.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(manifest.private).not.toBe(true);
      expect(manifest.license).toBe('MIT');
      const [pack] = JSON.parse(
        execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
          cwd: join(workspace, dir),
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      ) as [{ files: { path: string }[] }];
      const shipped = new Set(pack.files.map((file) => file.path));
      expect(shipped.has('LICENSE')).toBe(true);
      const files = (manifest.files ?? []) as string[];
      const missing = promisedPaths(manifest).filter((path) =>
        path.startsWith('dist/') ? !files.includes('dist') : !shipped.has(path),
      );
      expect(missing, `${dir} points at files it does not ship`).toEqual([]);
      // Tests stay home.
      expect([...shipped].filter((path) => path.startsWith('test/'))).toEqual([]);
    },
    30_000,
  );
});
