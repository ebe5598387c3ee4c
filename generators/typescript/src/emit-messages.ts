import { type FieldIR, switchCaseTypeName, type TypeIR } from '@sockspec/spec';
import {
  type OptionalKind,
  type PropertySignatureStructure,
  type SourceFile,
  StructureKind,
  VariableDeclarationKind,
} from 'ts-morph';
import { hasDefaults, hasSwitches, type MessageModel, type ProtocolModel, tsType } from './model.js';
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

  for (const message of model.messages) {
    if (hasSwitches(message)) {
      emitSwitchedMessage(file, message);
      continue;
    }
    file.addInterface({
      name: message.fieldsName,
      isExported: true,
      docs: [`The fields of a ${message.name} message.`],
      properties: message.fields.map(fieldProperty),
    });
    file.addInterface({
      name: message.name,
      isExported: true,
      // A decoded message always has every field, defaults included: only the caller's fields may leave them out.
      extends: [hasDefaults(message) ? `Required<${message.fieldsName}>` : message.fieldsName],
      docs: [messageDocs(message)],
      properties: [{ name: 'type', isReadonly: true, type: quote(message.name) }],
    });
  }
  if (model.messages.some(hasSwitches)) {
    file.addTypeAlias({
      name: 'OmitFromCases',
      isExported: true,
      typeParameters: ['T', 'K extends PropertyKey'],
      docs: [
        'Omit for a message typed as a union of cases: leaves `K` out of each case (Omit would keep only what all cases share).',
      ],
      type: 'T extends unknown ? Omit<T, K> : never',
    });
  }

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

function fieldProperty(field: FieldIR): OptionalKind<PropertySignatureStructure> {
  return {
    name: propertyKey(field.name),
    isReadonly: true,
    // A field with a default may be left out (the encoder writes the default), and so may one present `when` another says so.
    hasQuestionToken: field.default !== undefined || (field.type.kind === 'optional' && field.type.when !== undefined),
    type: tsType(field.type),
    ...(field.description === '' ? {} : { docs: [field.description] }),
  };
}

function messageDocs(message: MessageModel): string {
  return `${message.ir.description === '' ? message.name : message.ir.description}\n\nSent by: ${direction(message.ir.from)}.`;
}

/** A case value as a TypeScript literal type of the switch field's type. */
function literalType(value: string | number | boolean, type: TypeIR): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' && (type.kind === 'int' || type.kind === 'varint') && type.bits === 64)
    return `${value}n`;
  return String(value);
}

/**
 * A message with `switch:` fields is a union, one member per case, so
 * `if (reply.status === 'ok') reply.value` narrows: the fields every case has
 * (`…Common`), one interface per case holding the switch field's value and
 * the case's fields, and `…Fields` as their intersection. `…AnyCase` is every
 * field with each case's optional: how the encoder reads either case.
 */
function emitSwitchedMessage(file: SourceFile, message: MessageModel): void {
  const switches = message.ir.switches ?? [];
  const caseFields = new Set(switches.flatMap((s) => s.cases.flatMap((c) => c.fields)));
  const chosenBy = new Set(switches.map((s) => s.on));
  const byName = new Map(message.fields.map((field) => [field.name, field]));
  const commonName = `${message.name}Common`;
  file.addInterface({
    name: commonName,
    isExported: true,
    docs: [
      `The fields of a ${message.name} message, whichever case ${switches.map((s) => `its ${s.name}`).join(' and ')} takes.`,
    ],
    properties: message.fields
      .filter((field) => !caseFields.has(field.name) && !chosenBy.has(field.name))
      .map(fieldProperty),
  });
  const unions: string[] = [];
  for (const switchIR of switches) {
    const on = byName.get(switchIR.on)!;
    const named = switchIR.cases.flatMap((c) => c.values ?? []);
    const names: string[] = [];
    for (const caseIR of switchIR.cases) {
      const name = switchCaseTypeName(message.name, switchIR, caseIR);
      names.push(name);
      const values = caseIR.values;
      file.addInterface({
        name,
        isExported: true,
        docs: [
          values === null
            ? `${message.name}'s ${switchIR.name} when ${switchIR.on} is none of ${named.map((v) => JSON.stringify(v)).join(', ')}.`
            : `${message.name}'s ${switchIR.name} when ${switchIR.on} is ${values.map((v) => JSON.stringify(v)).join(' or ')}.`,
        ],
        properties: [
          {
            name: propertyKey(on.name),
            isReadonly: true,
            type:
              values === null
                ? `Exclude<${tsType(on.type)}, ${named.map((v) => literalType(v, on.type)).join(' | ')}>`
                : values.map((v) => literalType(v, on.type)).join(' | '),
            ...(on.description === '' ? {} : { docs: [on.description] }),
          },
          ...caseIR.fields.map((fieldName) => {
            const field = byName.get(fieldName)!;
            // The case decides that the field is there: in its case it is a plain value.
            const type = field.type.kind === 'optional' ? field.type.value : field.type;
            return { ...fieldProperty({ ...field, type }), hasQuestionToken: false };
          }),
        ],
      });
    }
    unions.push(names.length === 1 ? names[0]! : `(${names.join(' | ')})`);
  }
  file.addTypeAlias({
    name: message.fieldsName,
    isExported: true,
    docs: [`The fields of a ${message.name} message: the common ones and one case of each switch.`],
    type: [commonName, ...unions].join(' & '),
  });
  file.addInterface({
    name: `${message.name}AnyCase`,
    isExported: true,
    docs: [
      `Every field a ${message.name} can have, each case's optional: how the encoder reads a message of any case.`,
    ],
    properties: message.fields.map(fieldProperty),
  });
  file.addTypeAlias({
    name: message.name,
    isExported: true,
    docs: [messageDocs(message)],
    type: `{ readonly type: ${quote(message.name)} } & ${hasDefaults(message) ? `Required<${message.fieldsName}>` : message.fieldsName}`,
  });
}

function union(names: readonly string[]): string {
  return names.length === 0 ? 'never' : names.join(' | ');
}

function direction(from: 'client' | 'server' | 'both'): string {
  return from === 'both' ? 'client and server' : from;
}
