import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateTypescript } from '../src/index.js';
import { FIXTURE_CASES, GOLDEN_CASES, goldenOf } from './cases.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const GOLDEN = join(HERE, 'golden');
const UPDATE = process.env.UPDATE === '1';

function listFiles(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

// Tests in a file run in order: the compile step reads what the golden step wrote under UPDATE=1.
describe('golden output', () => {
  for (const ir of GOLDEN_CASES) {
    const { dir, options } = goldenOf(ir);
    it(`${ir.name} matches ${relative(join(HERE, '..', '..', '..'), dir)} (UPDATE=1 rewrites it)`, () => {
      const files = generateTypescript(ir, options);
      const produced = new Set(files.map((file) => join(dir, file.path)));
      // Build output and installed dependencies of a workspace package are not generator output.
      const orphans = listFiles(dir).filter(
        (path) => !produced.has(path) && !/[\\/](dist|node_modules)[\\/]|\.tsbuildinfo$|\.turbo/.test(path),
      );
      if (UPDATE) {
        for (const orphan of orphans) rmSync(orphan);
        for (const file of files) {
          mkdirSync(dirname(join(dir, file.path)), { recursive: true });
          writeFileSync(join(dir, file.path), file.content);
        }
        return;
      }
      expect(
        orphans.map((path) => relative(dir, path)),
        'orphan golden files',
      ).toEqual([]);
      for (const file of files) {
        expect(readOrNull(join(dir, file.path)) ?? `<missing ${file.path}>`, `${ir.name}/${file.path}`).toBe(
          file.content,
        );
      }
    });
  }

  it('has no golden folder without a case', () => {
    const folders = readdirSync(GOLDEN, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    const known = new Set(FIXTURE_CASES.map((ir) => ir.name));
    const stray = folders.map((entry) => entry.name).filter((name) => !known.has(name));
    if (UPDATE) {
      for (const name of stray) rmSync(join(GOLDEN, name), { recursive: true });
      return;
    }
    expect(stray).toEqual([]);
  });

  it('type-checks every golden package with tsc under the strict base config', () => {
    const tsc = join(HERE, '..', 'node_modules', '.bin', 'tsc');
    const result = spawnSync(tsc, ['-p', join(HERE, 'tsconfig.golden.json')], { encoding: 'utf8', timeout: 60_000 });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  // Every case already met its committed golden once above, in this process; a second run of the two richest
  // catches state one generation leaves to the next. All nine twice took 16 s alone and passed 20 s under CI load.
  it('generates byte-for-byte the same output twice', { timeout: 60_000 }, () => {
    const richest = GOLDEN_CASES.filter((each) => each.name === 'gallery' || each.name === 'kv');
    expect(richest).toHaveLength(2);
    for (const ir of richest) {
      const { options } = goldenOf(ir);
      expect(generateTypescript(ir, options)).toEqual(generateTypescript(ir, options));
    }
  });
});
