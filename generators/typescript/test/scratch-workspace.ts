import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { RUNTIME_PACKAGES } from '../src/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(ROOT, 'node_modules', '.bin');
const CLI = join(ROOT, 'packages', 'cli', 'src', 'bin.ts');

/** Runs a command to completion; a non-zero exit fails the test with its output. */
export function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout}${result.stderr}`;
  expect(result.status, `${command} ${args.join(' ')}\n${output}`).toBe(0);
  return output;
}

/** Runs the sockspec CLI from source in `cwd`. */
export function sockspec(args: readonly string[], cwd: string): string {
  return run(join(BIN, 'tsx'), ['--conditions=development', CLI, ...args], cwd);
}

/**
 * A project outside this repo, as a user would have one: specs/ with the
 * given files, and node_modules linking what `pnpm install` would (the
 * runtime packages a generated package peers on, and node's types).
 * Returns its folder; `remove()` deletes it.
 */
export function scratchWorkspace(specs: Record<string, string>): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sockspec-scratch-'));
  copyFileSync(join(ROOT, 'tsconfig.base.json'), join(dir, 'tsconfig.base.json'));
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), 'packages:\n  - packages/protocols/*\n');
  mkdirSync(join(dir, 'specs'));
  for (const [name, text] of Object.entries(specs)) writeFileSync(join(dir, 'specs', name), text);
  mkdirSync(join(dir, 'node_modules', '@sockspec'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  for (const name of RUNTIME_PACKAGES) {
    const short = name.slice('@sockspec/'.length);
    symlinkSync(join(ROOT, 'packages', short), join(dir, 'node_modules', '@sockspec', short), 'dir');
  }
  symlinkSync(
    realpathSync(join(ROOT, 'generators', 'typescript', 'node_modules', '@types', 'node')),
    join(dir, 'node_modules', '@types', 'node'),
    'dir',
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Builds a generated package to dist/ against the runtime sources (the `development` condition), as a user's build would. */
export function buildPackage(pkg: string): void {
  run(join(BIN, 'tsc'), ['-p', 'tsconfig.build.json', '--customConditions', 'development', '--preserveSymlinks'], pkg);
}
