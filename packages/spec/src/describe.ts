import type { SpecPath } from './source.js';

/**
 * Says where a spec path is in the spec's own words, for messages:
 * `['messages', 'Join', 'fields', 'nick', 'maxBytes']` becomes
 * `'maxBytes' of field 'nick' of message 'Join'`.
 */
export function describePath(path: SpecPath): string {
  const [section, name, ...rest] = path;
  if (section === undefined) return 'the spec';
  if (name === undefined) return `'${section}'`;
  switch (section) {
    case 'transports':
      return `transports[${name}]`;
    case 'framing':
      return `'${[name, ...rest].join('.')}' of framing`;
    case 'header':
      return withField('header field', [name, ...rest], '');
    case 'types':
      return nested(`type '${name}'`, rest);
    case 'messages':
      return nested(`message '${name}'`, rest);
    case 'behavior':
      return describeBehavior(String(name), rest);
    default:
      return `'${path.join('.')}'`;
  }
}

function nested(owner: string, rest: readonly (string | number)[]): string {
  if (rest.length === 0) return owner;
  if (rest[0] === 'fields' && rest.length >= 2) return withField('field', rest.slice(1), ` of ${owner}`);
  return `'${rest.join('.')}' of ${owner}`;
}

/** Follows nested `fields`/`items` so a struct member reads as `field 'pos.x'`. */
function withField(noun: string, rest: readonly (string | number)[], suffix: string): string {
  let name = String(rest[0]);
  let i = 1;
  while (i < rest.length) {
    if (rest[i] === 'fields' && i + 1 < rest.length) {
      name += `.${rest[i + 1]}`;
      i += 2;
    } else if (rest[i] === 'items') {
      name += '[]';
      i += 1;
    } else {
      break;
    }
  }
  const field = `${noun} '${name}'${suffix}`;
  const remaining = rest.slice(i);
  return remaining.length === 0 ? field : `'${remaining.join('.')}' of ${field}`;
}

function describeBehavior(key: string, rest: readonly (string | number)[]): string {
  const owner =
    key === 'greeting' ? 'the greeting' : key === 'idleTimeoutMs' ? "'idleTimeoutMs'" : `behavior of '${key}'`;
  if (rest.length === 0) return owner;
  const valueIndex = rest.indexOf('values');
  if (valueIndex >= 0 && valueIndex + 1 < rest.length) {
    const what =
      key === 'greeting'
        ? 'the greeting'
        : rest[0] === 'broadcast'
          ? `the broadcast on '${key}'`
          : `the reply to '${key}'`;
    return `value '${rest[valueIndex + 1]}' of ${what}`;
  }
  return `'${rest.join('.')}' of ${owner}`;
}

/** A short description of a YAML value for "got …" in messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

/** "a string", "an integer", … for "got a string" in type mismatch messages. */
export function describeValueKind(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `the string ${describeValue(value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}
