import { readFile } from 'node:fs/promises';
import { compileSpec, type StringTypeIR } from '@sockspec/spec';
import { describe, expect, it } from 'vitest';
import { checkString, NICK, ROOM, type StringLimit, TEXT } from '../src/limits.js';
import { MEMBERS_PAGE, ROOMS_PAGE } from '../src/server-program.js';

const specPath = new URL('../../../specs/chat.protocol.yaml', import.meta.url);

async function compiled() {
  const { ir, diagnostics } = compileSpec(await readFile(specPath, 'utf8'), 'specs/chat.protocol.yaml');
  expect(diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
  return ir!;
}

async function specStrings(): Promise<Map<string, StringTypeIR>> {
  const ir = await compiled();
  const strings = new Map<string, StringTypeIR>();
  for (const message of ir!.messages) {
    for (const field of message.fields) {
      if (field.type.kind === 'string' && field.type.typeName !== undefined)
        strings.set(field.type.typeName, field.type);
    }
  }
  return strings;
}

describe('the client-side limits', () => {
  it.each<[string, StringLimit]>([
    ['Nick', NICK],
    ['Room', ROOM],
    ['Text', TEXT],
  ])('match the spec type %s', async (typeName, limit) => {
    const type = (await specStrings()).get(typeName);
    expect(type).toBeDefined();
    expect(limit.maxBytes).toBe(type!.maxBytes);
    expect(limit.patternSource ?? null).toBe(type!.pattern);
    if (type!.pattern !== null) expect(limit.pattern!.source).toBe(type!.pattern);
  });

  it("page Members and Rooms by what one reply can list (the spec's maxCount)", async () => {
    const ir = await compiled();
    const maxCount = (message: string, field: string): number | undefined => {
      const type = ir.messages
        .find((entry) => entry.name === message)
        ?.fields.find((entry) => entry.name === field)?.type;
      return type?.kind === 'array' ? type.maxCount : undefined;
    };
    expect(MEMBERS_PAGE).toBe(maxCount('Members', 'nicks'));
    expect(ROOMS_PAGE).toBe(maxCount('Rooms', 'rooms'));
  });

  it('explains what is wrong, in bytes as the wire counts them', () => {
    expect(checkString('alice', NICK)).toBeUndefined();
    expect(checkString('', NICK)).toBe('nick must not be empty');
    expect(checkString('\u00e9'.repeat(17), NICK)).toBe(
      'nick is 34 bytes of UTF-8; the chat protocol allows at most 32',
    );
    expect(checkString('', TEXT)).toBeUndefined();
    expect(checkString(`${'a'.repeat(50)}!`, ROOM)).toBe(
      `room '${'a'.repeat(40)}…' must be letters, digits, '_' or '-' (pattern ^[A-Za-z0-9_-]+$)`,
    );
  });
});
