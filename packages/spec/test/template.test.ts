import { describe, expect, it } from 'vitest';
import { parseLineTemplate } from '../src/index.js';

describe('parseLineTemplate', () => {
  it('splits literals and named parts, merging adjacent literals', () => {
    expect(parseLineTemplate('[{time}] {text}')).toEqual({
      parts: [
        { kind: 'literal', text: '[' },
        { kind: 'field', name: 'time' },
        { kind: 'literal', text: '] ' },
        { kind: 'field', name: 'text' },
      ],
      problems: [],
    });
  });

  it('reads {{ and }} as literal braces', () => {
    expect(parseLineTemplate('{{{key}}}={value}').parts).toEqual([
      { kind: 'literal', text: '{' },
      { kind: 'field', name: 'key' },
      { kind: 'literal', text: '}=' },
      { kind: 'field', name: 'value' },
    ]);
    expect(parseLineTemplate('{{}}').parts).toEqual([{ kind: 'literal', text: '{}' }]);
  });

  it('accepts a template with no parts and an empty template', () => {
    expect(parseLineTemplate('PING')).toEqual({ parts: [{ kind: 'literal', text: 'PING' }], problems: [] });
    expect(parseLineTemplate('')).toEqual({ parts: [], problems: [] });
  });

  it('reports adjacent parts as ambiguous', () => {
    expect(parseLineTemplate('{a}{b}').problems.map((p) => p.code)).toEqual(['ambiguous-template-parts']);
    expect(parseLineTemplate('{a} {b}').problems).toEqual([]);
    // A literal brace between two parts separates them.
    expect(parseLineTemplate('{a}{{{b}').problems).toEqual([]);
  });

  it('reports unclosed braces, stray closing braces, bad names and repeated parts', () => {
    expect(parseLineTemplate('say {text').problems.map((p) => p.message)).toEqual([
      "'{' at character 5 is never closed",
    ]);
    expect(parseLineTemplate('a } b').problems.map((p) => p.message)).toEqual([
      "'}' at character 3 has no matching '{'",
    ]);
    expect(parseLineTemplate('{}').problems.map((p) => p.message)).toEqual(["part '{}' is not a valid field name"]);
    expect(parseLineTemplate('{1st}').problems.map((p) => p.code)).toEqual(['invalid-template']);
    expect(parseLineTemplate('{a} {a}').problems.map((p) => p.code)).toEqual(['duplicate-template-part']);
  });
});
