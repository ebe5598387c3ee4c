import type { LinePartIR } from './ir.js';
import { FIELD_NAME_PATTERN } from './schema.js';

export interface TemplateProblem {
  readonly code: 'invalid-template' | 'ambiguous-template-parts' | 'duplicate-template-part';
  readonly message: string;
  readonly hint: string | null;
}

export interface ParsedTemplate {
  readonly parts: LinePartIR[];
  readonly problems: TemplateProblem[];
}

const PART_NAME = new RegExp(FIELD_NAME_PATTERN);

/**
 * Parses a line template such as `[{time}] {text}`: `{name}` is a field,
 * `{{` and `}}` are literal braces, everything else is literal text.
 * Adjacent literals are merged, so parts alternate where they can.
 */
export function parseLineTemplate(source: string): ParsedTemplate {
  const parts: LinePartIR[] = [];
  const problems: TemplateProblem[] = [];
  let literal = '';
  const flushLiteral = () => {
    if (literal !== '') parts.push({ kind: 'literal', text: literal });
    literal = '';
  };
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '{' && source[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && source[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '{') {
      const end = source.indexOf('}', i + 1);
      if (end < 0) {
        problems.push({
          code: 'invalid-template',
          message: `'{' at character ${i + 1} is never closed`,
          hint: "close the part with '}', or write '{{' for a literal brace",
        });
        break;
      }
      const name = source.slice(i + 1, end);
      if (!PART_NAME.test(name)) {
        problems.push({
          code: 'invalid-template',
          message: `part '{${name}}' is not a valid field name`,
          hint: "part names are camelCase field names such as '{text}'; write '{{' and '}}' for literal braces",
        });
      } else {
        const previous = parts[parts.length - 1];
        if (literal === '' && previous?.kind === 'field') {
          problems.push({
            code: 'ambiguous-template-parts',
            message: `parts '{${previous.name}}' and '{${name}}' follow each other with no text between them, so where one ends is ambiguous`,
            hint: 'put literal text (such as a space) between the two parts',
          });
        }
        if (parts.some((p) => p.kind === 'field' && p.name === name)) {
          problems.push({
            code: 'duplicate-template-part',
            message: `part '{${name}}' appears more than once`,
            hint: 'each field appears once in a line; rename one of them',
          });
        }
        flushLiteral();
        parts.push({ kind: 'field', name });
      }
      i = end + 1;
    } else if (ch === '}') {
      problems.push({
        code: 'invalid-template',
        message: `'}' at character ${i + 1} has no matching '{'`,
        hint: "write '}}' for a literal brace",
      });
      i += 1;
    } else {
      literal += ch;
      i += 1;
    }
  }
  flushLiteral();
  return { parts, problems };
}
