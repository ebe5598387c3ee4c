import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpecFile } from '../src/index.js';

const workspace = fileURLToPath(new URL('../../../', import.meta.url));
const golden = fileURLToPath(new URL('./golden/', import.meta.url));
const update = process.env.UPDATE === '1';

// The generators are built against this IR; a change here must be a deliberate golden update (UPDATE=1).
const referenceSpecs = ['echo', 'timestamp'];

describe('reference specs', () => {
  for (const name of referenceSpecs) {
    it(`${name} compiles with no diagnostics to the golden IR`, async () => {
      const displayPath = `specs/${name}.protocol.yaml`;
      const result = await loadSpecFile(`${workspace}${displayPath}`, { displayPath });
      expect(result.diagnostics).toEqual([]);
      expect(result.ir).not.toBeNull();
      expect(result.ir!.sourceFile).toBe(displayPath);
      const text = `${JSON.stringify(result.ir, null, 2)}\n`;
      const file = `${golden}${name}.ir.json`;
      if (update) writeFileSync(file, text);
      expect(existsSync(file), `missing ${file}; run the tests with UPDATE=1`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('keeps no golden file without a reference spec', () => {
    const files = readdirSync(golden).filter((f) => f.endsWith('.ir.json'));
    expect(files.sort()).toEqual(referenceSpecs.map((n) => `${n}.ir.json`).sort());
  });

  it('every shipped spec opens with the yaml-language-server $schema line, so an editor checks it as it is typed', () => {
    const specs = readdirSync(`${workspace}specs`).filter((file) => file.endsWith('.protocol.yaml'));
    expect(specs.length).toBeGreaterThanOrEqual(9);
    for (const file of specs) {
      const first = readFileSync(`${workspace}specs/${file}`, 'utf8').split('\n', 1)[0];
      expect(first, file).toBe('# yaml-language-server: $schema=../packages/spec/schema/protocol.schema.json');
    }
  });

  it('IR is plain JSON data (round-trips unchanged)', async () => {
    for (const name of referenceSpecs) {
      const { ir } = await loadSpecFile(`${workspace}specs/${name}.protocol.yaml`);
      expect(JSON.parse(JSON.stringify(ir))).toEqual(ir);
    }
  });
});
