import { Kind, type TSchema } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { describePath, describeValue, describeValueKind } from './describe.js';
import { didYouMean, listNames } from './diagnostics.js';
import type { Reporter } from './report.js';
import { diagnosticOptions, protocolSpecSchema, TypeDefinition } from './schema.js';
import type { SpecPath } from './source.js';

/**
 * Paths whose data failed the shape check. Semantic checks skip anything at,
 * under or above such a path, so one typo is reported once rather than as a
 * chain of follow-on errors.
 */
export class BrokenPaths {
  readonly #paths: string[][] = [];

  add(path: SpecPath): void {
    this.#paths.push(path.map(String));
  }

  /** True when nothing at, inside or around `path` failed the shape check. */
  ok(path: SpecPath): boolean {
    const p = path.map(String);
    return !this.#paths.some((b) => {
      const n = Math.min(b.length, p.length);
      for (let i = 0; i < n; i++) if (b[i] !== p[i]) return false;
      return true;
    });
  }
}

/**
 * Checks the data against the meta-schema with TypeBox's Value.Errors and
 * turns each error into a diagnostic in spec words. Unions are explained by
 * hand: TypeBox reports only "expected union value", so we pick the variant
 * the author evidently meant (by value type, or by `kind`) and explain that.
 */
export function checkShape(
  data: unknown,
  report: Reporter,
  broken: BrokenPaths,
  behaviorKeyIsKnown: (key: string) => boolean,
): void {
  const issues = new ShapeExplainer(report, broken, behaviorKeyIsKnown);
  issues.explain(protocolSpecSchema, data, []);
}

class ShapeExplainer {
  readonly #report: Reporter;
  readonly #broken: BrokenPaths;
  /** Records whose bad keys were already reported (TypeBox stops at the first one; we list all). */
  readonly #recordsReported = new Set<string>();

  readonly #behaviorKeyIsKnown: (key: string) => boolean;

  constructor(report: Reporter, broken: BrokenPaths, behaviorKeyIsKnown: (key: string) => boolean) {
    this.#report = report;
    this.#broken = broken;
    this.#behaviorKeyIsKnown = behaviorKeyIsKnown;
  }

  explain(schema: TSchema, value: unknown, base: SpecPath): void {
    for (const error of Value.Errors(schema, value)) {
      this.#explainError(error, base, value);
    }
  }

  #error(code: string, path: SpecPath, message: string, hint: string | null = null, anchor: 'key' | 'value' = 'value') {
    this.#broken.add(path);
    this.#report.error(code, path, message, hint, anchor);
  }

  #explainError(error: ValueError, base: SpecPath, root: unknown): void {
    const relative = parsePointer(error.path);
    const path = [...base, ...relative];
    if (path[0] === 'behavior' && path.length > 1 && !this.#behaviorKeyIsKnown(String(path[1]))) {
      this.#broken.add(path.slice(0, 2));
      return;
    }
    const schema = error.schema;
    const options = diagnosticOptions(schema);
    const where = describePath(path);
    switch (error.type) {
      case ValueErrorType.Union:
        this.#explainUnion(schema, error.value, path);
        return;
      case ValueErrorType.ObjectAdditionalProperties: {
        const parentPath = path.slice(0, -1);
        const key = String(path[path.length - 1]);
        if (schema[Kind] === 'Record') {
          this.#explainRecordKeys(schema, valueAt(root, relative.slice(0, -1)), parentPath);
          return;
        }
        const allowed = Object.keys((schema as { properties?: object }).properties ?? {});
        // An unknown key breaks only itself: the known keys next to it are still checked.
        this.#report.error(
          'unknown-key',
          path,
          `unknown key '${key}' in ${describePath(parentPath)}`,
          didYouMean(key, allowed) ?? `allowed keys: ${allowed.join(', ')}`,
          'key',
        );
        return;
      }
      case ValueErrorType.ObjectRequiredProperty: {
        const key = String(path[path.length - 1]);
        const parentPath = path.slice(0, -1);
        this.#error(
          'missing-key',
          parentPath,
          `missing required key '${key}' in ${describePath(parentPath)}`,
          `add '${key}:' with ${expectedOf(schema)}`,
        );
        return;
      }
      case ValueErrorType.ObjectMinProperties:
      case ValueErrorType.ObjectMaxProperties:
        this.#error(
          options.code ?? 'invalid-value',
          path,
          `${where} must have ${options.expected ?? 'a different number of keys'}`,
          null,
        );
        return;
      case ValueErrorType.StringPattern:
        this.#error(
          options.code ?? 'invalid-value',
          path,
          `${where} is ${describeValue(error.value)}, which is not ${options.expected ?? `matching /${String(schema.pattern)}/`}`,
        );
        return;
      case ValueErrorType.StringMinLength:
      case ValueErrorType.ArrayMinItems:
        this.#error(
          options.code ?? 'invalid-value',
          path,
          `${where} must not be empty`,
          options.expected ? `give ${options.expected}` : null,
        );
        return;
      case ValueErrorType.NumberMinimum:
      case ValueErrorType.NumberMaximum:
      case ValueErrorType.NumberExclusiveMinimum:
      case ValueErrorType.NumberExclusiveMaximum:
      case ValueErrorType.IntegerMinimum:
      case ValueErrorType.IntegerMaximum:
      case ValueErrorType.IntegerExclusiveMinimum:
      case ValueErrorType.IntegerExclusiveMaximum:
        this.#error(
          options.code ?? 'value-out-of-range',
          path,
          `${where} must be ${options.expected ?? expectedOf(schema)}, got ${describeValue(error.value)}`,
        );
        return;
      case ValueErrorType.ArrayUniqueItems: {
        const items = Array.isArray(error.value) ? error.value : [];
        const seen = new Set<string>();
        for (let i = 0; i < items.length; i++) {
          const k = JSON.stringify(items[i]);
          if (seen.has(k)) {
            this.#error(
              options.uniqueCode ?? 'duplicate-item',
              [...path, i],
              `${where} lists ${describeValue(items[i])} more than once`,
              'remove the repeated entry',
            );
          }
          seen.add(k);
        }
        return;
      }
      default:
        if (isTypeMismatch(error.type)) {
          // TypeBox also checks a missing required key's schema against undefined; missing-key already said it.
          if (error.value === undefined) return;
          this.#error(
            'wrong-type',
            path,
            `${where} must be ${expectedOf(schema)}, got ${describeValueKind(error.value)}`,
            hintForMismatch(schema, error.value, path),
          );
          return;
        }
        this.#error('invalid-value', path, `${where}: ${error.message}`);
    }
  }

  #explainRecordKeys(schema: TSchema, value: unknown, path: SpecPath): void {
    const key = path.join('\u0000');
    if (this.#recordsReported.has(key)) return;
    this.#recordsReported.add(key);
    if (value === null || typeof value !== 'object') return;
    const options = diagnosticOptions(schema);
    const pattern = Object.keys((schema as { patternProperties?: object }).patternProperties ?? {})[0] ?? '';
    const regex = new RegExp(pattern);
    for (const name of Object.keys(value)) {
      if (regex.test(name)) continue;
      this.#error(
        options.keyCode ?? 'invalid-key',
        [...path, name],
        `${options.keyNoun ?? 'key'} '${name}' in ${describePath(path)} is not ${options.keyExpected ?? `matching /${pattern}/`}`,
        null,
        'key',
      );
    }
  }

  #explainUnion(schema: TSchema, value: unknown, path: SpecPath): void {
    // A missing required key is reported by missing-key; TypeBox also visits its schema with undefined.
    if (value === undefined) return;
    const options = diagnosticOptions(schema);
    const variants = ((schema as { anyOf?: TSchema[] }).anyOf ?? []).map(deref);
    const type = jsonType(value);
    const accepting = variants.filter((v) => accepts(v, type));
    const where = describePath(path);
    if (accepting.length === 0) {
      this.#error(
        'wrong-type',
        path,
        `${where} must be ${expectedOf(schema)}, got ${describeValueKind(value)}`,
        hintForMismatch(schema, value, path),
      );
      return;
    }
    if (accepting.every((v) => v[Kind] === 'Literal')) {
      const names = variants.filter((v) => v[Kind] === 'Literal').map((v) => String(v.const));
      this.#error(
        options.code ?? 'invalid-value',
        path,
        `${where} is ${describeValue(value)}, expected ${expectedOf(schema)}`,
        typeof value === 'string' ? didYouMean(value, names) : null,
      );
      return;
    }
    const objects = accepting.filter((v) => v[Kind] === 'Object');
    if (objects.length > 1 && value !== null && typeof value === 'object') {
      const tag = discriminatorKey(objects);
      if (tag !== null) {
        const tags = objects.map((o) => String((o.properties as Record<string, TSchema>)[tag]!.const));
        const actual = (value as Record<string, unknown>)[tag];
        const chosen = objects.find((o) => (o.properties as Record<string, TSchema>)[tag]!.const === actual);
        if (actual === undefined) {
          this.#error(
            'missing-key',
            path,
            `missing required key '${tag}' in ${where}`,
            `add '${tag}:' with one of ${tags.join(', ')}`,
          );
        } else if (chosen === undefined) {
          this.#error(
            'invalid-value',
            [...path, tag],
            `${describePath([...path, tag])} is ${describeValue(actual)}, expected one of ${listNames(tags, 'or')}`,
            typeof actual === 'string' ? didYouMean(actual, tags) : null,
          );
        } else {
          this.explain(chosen, value, path);
        }
        return;
      }
    }
    const chosen = accepting.find((v) => v[Kind] !== 'Literal') ?? accepting[0]!;
    this.explain(chosen, value, path);
  }
}

function deref(schema: TSchema): TSchema {
  return schema[Kind] === 'This' || (schema[Kind] === 'Ref' && schema.$ref === TypeDefinition.$id)
    ? TypeDefinition
    : schema;
}

type JsonType = 'null' | 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';

function jsonType(value: unknown): JsonType {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

function accepts(schema: TSchema, type: JsonType): boolean {
  switch (schema[Kind]) {
    case 'String':
      return type === 'string';
    case 'Integer':
      return type === 'integer';
    case 'Number':
      return type === 'integer' || type === 'number';
    case 'Boolean':
      return type === 'boolean';
    case 'Array':
      return type === 'array';
    case 'Object':
    case 'Record':
    case 'This':
      return type === 'object';
    case 'Literal':
      return jsonType(schema.const) === type || (typeof schema.const === 'number' && type === 'number');
    case 'Union':
      return ((schema.anyOf as TSchema[]) ?? []).some((v) => accepts(deref(v), type));
    default:
      return true;
  }
}

function discriminatorKey(objects: readonly TSchema[]): string | null {
  const first = objects[0]?.properties as Record<string, TSchema> | undefined;
  if (first === undefined) return null;
  for (const key of Object.keys(first)) {
    if (objects.every((o) => (o.properties as Record<string, TSchema>)[key]?.[Kind] === 'Literal')) return key;
  }
  return null;
}

/** "an integer from 1 to 255", "one of 'big' or 'little'", "a mapping", … */
export function expectedOf(schema: TSchema): string {
  const options = diagnosticOptions(schema);
  switch (schema[Kind]) {
    case 'String':
      return 'a string';
    case 'Integer':
    case 'Number': {
      const noun = schema[Kind] === 'Integer' ? 'an integer' : 'a number';
      const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
      if (minimum !== undefined && maximum !== undefined) return `${noun} from ${minimum} to ${maximum}`;
      if (minimum !== undefined) return `${noun} of at least ${minimum}`;
      if (maximum !== undefined) return `${noun} of at most ${maximum}`;
      return noun;
    }
    case 'Boolean':
      return 'true or false';
    case 'Array':
      return 'a list';
    case 'Object':
    case 'Record':
    case 'This':
      return 'a mapping';
    case 'Literal':
      return `'${String(schema.const)}'`;
    case 'Union': {
      const variants = ((schema.anyOf as TSchema[]) ?? []).map(deref);
      const literalNames = variants.filter((v) => v[Kind] === 'Literal').map((v) => String(v.const));
      const others = variants.filter((v) => v[Kind] !== 'Literal').map(expectedOf);
      const parts = [...(literalNames.length > 0 ? [`one of ${listNames(literalNames, 'or')}`] : []), ...others];
      if (parts.length === 2 && parts[0] === 'a string' && parts[1] === 'a mapping') {
        return 'a type name or a type definition mapping';
      }
      return [...new Set(parts)].join(' or ');
    }
    default:
      return options.expected ?? 'a valid value';
  }
}

function hintForMismatch(schema: TSchema, value: unknown, path: SpecPath): string | null {
  if ((schema[Kind] === 'String' || schema[Kind] === 'Union') && typeof value === 'number') {
    return `quote it to make it text: '${value}'`;
  }
  if (value === null && path.length > 0) return 'give a value after the colon';
  return null;
}

function isTypeMismatch(type: ValueErrorType): boolean {
  return (
    type === ValueErrorType.Object ||
    type === ValueErrorType.Array ||
    type === ValueErrorType.String ||
    type === ValueErrorType.Integer ||
    type === ValueErrorType.Number ||
    type === ValueErrorType.Boolean ||
    type === ValueErrorType.Literal ||
    type === ValueErrorType.Null
  );
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node)
      ? node[Number(segment)]
      : Object.hasOwn(node, segment)
        ? (node as Record<string, unknown>)[segment]
        : undefined;
  }
  return node;
}
