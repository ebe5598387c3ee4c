import { generatedNames, messageTypeNames } from '@sockspec/spec';
import { describe, expect, it } from 'vitest';
import { generateTypescript } from '../src/index.js';
import { GOLDEN_CASES, goldenOf } from './cases.js';

/**
 * Message and type names are PascalCase, so any PascalCase name a generated
 * module imports or declares could meet one. `check` refuses the names in
 * `generatedNames` (reserved-name); this test makes the list complete: a new
 * import or declaration the generator starts to write fails here until it
 * is reserved, instead of failing in tsc for the user who picks that name.
 */
const PASCAL = /^[A-Z][A-Za-z0-9]*$/;
const IMPORT = /^import (?:type )?\{ ([^}]+) \} from '([^']+)';$/gm;
const DECLARATION = /^(?:export )?(?:declare )?(?:const|let|function|class|interface|type|enum) ([A-Za-z_$][\w$]*)/gm;

describe('names the generated code uses', () => {
  for (const ir of GOLDEN_CASES) {
    it(`${ir.name}: every PascalCase name it imports or declares is reserved or comes from the spec`, () => {
      const fromSpec = new Set<string>([
        ...ir.messages.flatMap((message) => messageTypeNames(message)),
        ...ir.messages.flatMap((message) => message.fields.map((field) => field.type.typeName ?? '')),
        ...ir.header.map((field) => field.type.typeName ?? ''),
      ]);
      const visit = (type: (typeof ir.header)[number]['type']): void => {
        if (type.typeName !== undefined) fromSpec.add(type.typeName);
        if (type.kind === 'struct') for (const field of type.fields) visit(field.type);
        if (type.kind === 'array') visit(type.element);
        if (type.kind === 'optional') visit(type.value);
      };
      for (const message of ir.messages) for (const field of message.fields) visit(field.type);
      const reserved = generatedNames(ir.name);
      const unreserved = new Set<string>();
      for (const file of generateTypescript(ir, goldenOf(ir).options)) {
        if (!file.path.endsWith('.ts')) continue;
        const names = [
          ...[...file.content.matchAll(IMPORT)]
            .filter((match) => match[2] !== './messages.js')
            .flatMap((match) => match[1]!.split(',').map((name) => name.trim().split(' as ').pop()!)),
          ...[...file.content.matchAll(DECLARATION)].map((match) => match[1]!),
        ];
        for (const name of names) {
          if (PASCAL.test(name) && !reserved.has(name) && !fromSpec.has(name)) unreserved.add(`${file.path}: ${name}`);
        }
      }
      expect([...unreserved].sort()).toEqual([]);
    });
  }
});
