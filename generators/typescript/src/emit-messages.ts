import { type SourceFile, StructureKind, VariableDeclarationKind } from 'ts-morph';
import type { ProtocolModel } from './model.js';
import { tsType } from './model.js';
import { pascalCase, propertyKey, quote } from './names.js';

export function emitMessages(file: SourceFile, model: ProtocolModel): void {
  const { ir } = model;

  file.addTypeAliases(
    model.namedTypes
      .filter(({ type }) => type.kind !== 'struct')
      .map(({ name, type }) => ({ name: pascalCase(name), isExported: true, type: tsType(type, false) })),
  );
  file.addInterfaces(
    model.namedTypes.flatMap(({ name, type }) =>
      type.kind === 'struct'
        ? [
            {
              name: pascalCase(name),
              isExported: true,
              properties: type.fields.map((field) => ({
                name: propertyKey(field.name),
                isReadonly: true,
                type: tsType(field.type),
                ...(field.description === '' ? {} : { docs: [field.description] }),
              })),
            },
          ]
        : [],
    ),
  );

  file.addInterfaces(
    model.messages.flatMap((message) => [
      {
        name: message.fieldsName,
        isExported: true,
        docs: [`The fields of a ${message.name} message.`],
        properties: message.fields.map((field) => ({
          name: propertyKey(field.name),
          isReadonly: true,
          // A field with a default may be left out (the encoder writes the default), and so may one present `when` another says so.
          hasQuestionToken:
            field.default !== undefined || (field.type.kind === 'optional' && field.type.when !== undefined),
          type: tsType(field.type),
          ...(field.description === '' ? {} : { docs: [field.description] }),
        })),
      },
      {
        name: message.name,
        isExported: true,
        // A decoded message always has every field, defaults included: only the caller's fields may leave them out.
        extends: [
          message.fields.some((field) => field.default !== undefined)
            ? `Required<${message.fieldsName}>`
            : message.fieldsName,
        ],
        docs: [
          `${message.ir.description === '' ? message.name : message.ir.description}\n\nSent by: ${direction(message.ir.from)}.`,
        ],
        properties: [{ name: 'type', isReadonly: true, type: quote(message.name) }],
      },
    ]),
  );

  file.addTypeAliases([
    {
      name: 'ClientMessage',
      isExported: true,
      docs: ['Every message a client sends.'],
      type: union(model.clientMessages.map((message) => message.name)),
    },
    {
      name: 'ServerMessage',
      isExported: true,
      docs: ['Every message a server sends.'],
      type: union(model.serverMessages.map((message) => message.name)),
    },
  ]);

  file.addVariableStatement({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['The protocol this package implements, as named and versioned by its spec.'],
    declarations: [
      {
        name: 'PROTOCOL',
        type: `{ readonly name: ${quote(ir.name)}; readonly version: ${quote(ir.version)} }`,
        initializer: `{ name: ${quote(ir.name)}, version: ${quote(ir.version)} }`,
      },
    ],
  });
}

function union(names: readonly string[]): string {
  return names.length === 0 ? 'never' : names.join(' | ');
}

function direction(from: 'client' | 'server' | 'both'): string {
  return from === 'both' ? 'client and server' : from;
}
