import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, run, scratchWorkspace, sockspec } from './scratch-workspace.js';

/**
 * Every spec that `sockspec check` accepts must generate a package that
 * type-checks. Each fixture here is one that once passed check and then
 * failed in generate or tsc; all of them generate into one scratch project
 * and compile in one tsc run (a run per package costs seconds each).
 */
const FIXTURES = fileURLToPath(new URL('./fixtures/accepted/', import.meta.url));
const specs = Object.fromEntries(
  readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.protocol.yaml'))
    .sort()
    .map((name) => [name, readFileSync(join(FIXTURES, name), 'utf8')]),
);
const names = Object.keys(specs).map((file) => file.replace('.protocol.yaml', ''));

let scratch: ReturnType<typeof scratchWorkspace>;
beforeAll(() => {
  scratch = scratchWorkspace(specs);
});
afterAll(() => scratch?.remove());

describe('specs check accepts', () => {
  it('pass check, generate, and compile with tsc, together', () => {
    expect(sockspec(['check'], scratch.dir)).toBe(`checked ${names.length} specs: 0 errors, 0 warnings\n`);
    const written = sockspec(['generate'], scratch.dir);
    for (const name of names) expect(written).toContain(`wrote packages/protocols/${name} `);
    writeFileSync(
      join(scratch.dir, 'tsconfig.json'),
      JSON.stringify({
        extends: './tsconfig.base.json',
        compilerOptions: { noEmit: true, customConditions: ['development'], preserveSymlinks: true },
        include: names.map((name) => `packages/protocols/${name}/src/**/*.ts`),
      }),
    );
    run(join(BIN, 'tsc'), ['-p', 'tsconfig.json'], scratch.dir);
  }, 120_000);

  it('round-trips a string ended by 0xFF, which UTF-8 never uses', async () => {
    const pkg = join(scratch.dir, 'packages', 'protocols', 'high-terminator');
    run(
      join(BIN, 'tsc'),
      ['-p', 'tsconfig.build.json', '--customConditions', 'development', '--preserveSymlinks'],
      pkg,
    );
    const codec = (await import(pathToFileURL(join(pkg, 'dist', 'codec.js')).href)) as {
      encodeName(message: { name: string; tail: number }): Uint8Array;
      decodeClientMessage(frame: Uint8Array): unknown;
    };
    const frame = codec.encodeName({ name: 'Grüße ✓', tail: 7 });
    const body = Buffer.from(frame.subarray(3));
    expect(body.equals(Buffer.concat([Buffer.from('Grüße ✓'), Buffer.from([0xff, 7])]))).toBe(true);
    expect(codec.decodeClientMessage(frame)).toEqual({ type: 'Name', name: 'Grüße ✓', tail: 7 });
  }, 120_000);
});
