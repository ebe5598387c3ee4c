import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { protocolJsonSchema, protocolSpecSchema } from '../src/index.js';

const schemaFile = fileURLToPath(new URL('../schema/protocol.schema.json', import.meta.url));
const workspace = fileURLToPath(new URL('../../../', import.meta.url));
const update = process.env.UPDATE === '1';

function readSpec(name: string): unknown {
  return parse(readFileSync(`${workspace}specs/${name}.protocol.yaml`, 'utf8'));
}

describe('JSON Schema export', () => {
  it('matches the committed schema/protocol.schema.json (UPDATE=1 rewrites it)', () => {
    const text = `${JSON.stringify(protocolJsonSchema(), null, 2)}\n`;
    if (update) writeFileSync(schemaFile, text);
    expect(existsSync(schemaFile), 'missing schema file; run the tests with UPDATE=1').toBe(true);
    expect(readFileSync(schemaFile, 'utf8')).toBe(text);
  });

  it('is a valid draft 2020-12 schema that accepts the reference specs', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
    for (const name of ['echo', 'timestamp']) {
      expect(validate(readSpec(name)), JSON.stringify(validate.errors)).toBe(true);
      expect(Value.Check(protocolSpecSchema, readSpec(name))).toBe(true);
    }
  });

  it('rejects what the TypeBox schema rejects', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const validate = ajv.compile(protocolJsonSchema());
    const bad = [
      { ...(readSpec('echo') as object), protocol: 'Echo' },
      { ...(readSpec('echo') as object), framing: { kind: 'lines' } },
      { ...(readSpec('echo') as object), transports: ['tcp', 'tcp'] },
      { ...(readSpec('echo') as object), extra: 1 },
      { ...(readSpec('echo') as object), types: { Nick: { type: 'string', items: { nope: 1 } } } },
    ];
    for (const spec of bad) {
      expect(validate(spec)).toBe(false);
      expect(Value.Check(protocolSpecSchema, spec)).toBe(false);
    }
  });

  it('carries no TypeBox-only or sockspec-only keywords', () => {
    const text = JSON.stringify(protocolJsonSchema());
    expect(text).not.toContain('"diagnostic"');
    expect(text).toContain('"$ref":"#/$defs/TypeDefinition"');
  });
});
