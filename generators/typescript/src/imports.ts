import { Node, type SourceFile, SyntaxKind } from 'ts-morph';

/** A module generated code may import from, and the names it exports. */
export interface ImportSource {
  readonly module: string;
  readonly names: Iterable<string>;
}

/**
 * What generated code may take from the runtime packages: each name is
 * exported by that package's `src/index.ts` (test/imports.test.ts checks).
 * Generated code names a runtime helper and `addImports` finds where it
 * comes from.
 */
export const CODEC_RUNTIME: ImportSource = {
  module: '@sockspec/codec',
  names: [
    'ChecksumMismatchError',
    'CodecFailures',
    'ConstantMismatchError',
    'FieldTooLargeError',
    'FollowingStep',
    'FrameTooLargeError',
    'FramingConfig',
    'InvalidFieldError',
    'InvalidLengthError',
    'InvalidUtf8Error',
    'MAX_TEXT_NESTING',
    'TextReader',
    'TextWriter',
    'TrailingBytesError',
    'TruncatedMessageError',
    'UnknownMessageError',
    'adler32',
    'allocateFrame',
    'bytesEqualAt',
    'checkTextCount',
    'checkTextLength',
    'codecFailures',
    'copyBytes',
    'crc16Ccitt',
    'crc32',
    'equalsIgnoringAsciiCase',
    'formatCtime',
    'formatTextFloat',
    'formatTextInt',
    'getInt64Number',
    'getUint64Number',
    'parseCtime',
    'parseTextBigInt',
    'parseTextInt',
    'parseTextLength',
    'previewText',
    'setInt64Number',
    'sum8',
    'truncateUtf8',
    'utf8ByteLength',
    'utf8Decode',
    'utf8Encode',
    'utf8Frame',
    'utf8Write',
    'uvarintSize',
    'uvarintSize64',
    'writeUvarint',
    'writeUvarint64',
    'xor8',
  ],
};

export const SERVER_RUNTIME: ImportSource = {
  module: '@sockspec/server',
  names: [
    'Connection',
    'GroupLimitError',
    'OutgoingStream',
    'ProtocolServer',
    'ReceivedStream',
    'ServerHooks',
    'ServerOptions',
    'ServerProtocol',
    'TypedConnection',
    'TypedConnections',
    'createProtocolServer',
    'describeError',
    'endOf',
    'feedIncomingStream',
    'mapChunks',
    'openIncomingStream',
    'sendOutgoingStream',
    'settleIncomingStream',
    'typedConnections',
  ],
};

export const CLIENT_RUNTIME: ImportSource = {
  module: '@sockspec/client',
  names: [
    'ClientOptions',
    'ClientProtocol',
    'OutgoingStream',
    'RemoteError',
    'ReplyStream',
    'RequestOptions',
    'TypedClient',
    'WithStream',
    'connectProtocolClient',
    'endOf',
    'mapChunks',
    'typedClient',
  ],
};

/** The names a generated file exports: what the files after it may import from it. */
export function exportsOf(module: string, file: SourceFile): ImportSource {
  return { module, names: [...file.getExportedDeclarations().keys()] };
}

/**
 * Adds the imports a generated file needs, read from its syntax tree once
 * its code is written, so no emitter keeps a list: every identifier the file
 * uses but does not declare is looked up in `sources` (in order; the first
 * that exports it wins), and imported with `import type` when every use is
 * in a type position, else as a value. One type import and one value import
 * per module, names sorted, modules in the order given.
 */
export function addImports(file: SourceFile, sources: readonly ImportSource[]): void {
  const declared = new Set<string>();
  const uses = new Map<string, 'type' | 'value'>();
  const identifiers = file.getDescendantsOfKind(SyntaxKind.Identifier);
  for (const identifier of identifiers) if (isDeclarationName(identifier)) declared.add(identifier.getText());
  for (const identifier of identifiers) {
    const name = identifier.getText();
    if (declared.has(name) || isMemberName(identifier)) continue;
    if (uses.get(name) !== 'value') uses.set(name, isTypePosition(identifier) ? 'type' : 'value');
  }
  const taken = new Set<string>();
  const declarations: { moduleSpecifier: string; isTypeOnly?: boolean; namedImports: string[] }[] = [];
  for (const { module, names } of sources) {
    const types: string[] = [];
    const values: string[] = [];
    for (const name of names) {
      const use = uses.get(name);
      if (use === undefined || taken.has(name)) continue;
      taken.add(name);
      (use === 'type' ? types : values).push(name);
    }
    if (types.length > 0) declarations.push({ moduleSpecifier: module, isTypeOnly: true, namedImports: types.sort() });
    if (values.length > 0) declarations.push({ moduleSpecifier: module, namedImports: values.sort() });
  }
  if (declarations.length > 0) file.insertImportDeclarations(0, declarations);
}

/** The name a declaration introduces (a function, a const, a parameter, an interface, a type parameter). */
function isDeclarationName(identifier: Node): boolean {
  const parent = identifier.getParent();
  if (parent === undefined) return false;
  return (
    (Node.isVariableDeclaration(parent) ||
      Node.isFunctionDeclaration(parent) ||
      Node.isParameterDeclaration(parent) ||
      Node.isInterfaceDeclaration(parent) ||
      Node.isTypeAliasDeclaration(parent) ||
      Node.isClassDeclaration(parent) ||
      Node.isTypeParameterDeclaration(parent) ||
      Node.isBindingElement(parent)) &&
    parent.getNameNode() === identifier
  );
}

/** `x.name`, `{ name: … }`, `{ readonly name: T }`, `name(…) {}` in an object or interface, a re-export: not a use. */
function isMemberName(identifier: Node): boolean {
  const parent = identifier.getParent();
  if (parent === undefined) return false;
  // `export { RemoteError } from '@sockspec/client'` re-exports without importing.
  if (Node.isExportSpecifier(parent) || Node.isImportSpecifier(parent)) return true;
  if (Node.isPropertyAccessExpression(parent) || Node.isQualifiedName(parent)) {
    return (Node.isPropertyAccessExpression(parent) ? parent.getNameNode() : parent.getRight()) === identifier;
  }
  return (
    (Node.isPropertyAssignment(parent) ||
      Node.isPropertySignature(parent) ||
      Node.isMethodSignature(parent) ||
      Node.isMethodDeclaration(parent) ||
      Node.isPropertyDeclaration(parent)) &&
    parent.getNameNode() === identifier
  );
}

/** A use the compiler erases: a type reference, `typeof x` in a type, an interface's `extends`. */
function isTypePosition(identifier: Node): boolean {
  let node: Node = identifier;
  let parent = node.getParent();
  while (parent !== undefined && Node.isQualifiedName(parent)) {
    node = parent;
    parent = node.getParent();
  }
  if (parent === undefined) return false;
  if (Node.isTypeReference(parent) || Node.isTypeQuery(parent)) return true;
  return Node.isExpressionWithTypeArguments(parent) && Node.isInterfaceDeclaration(parent.getParent()?.getParent());
}
