import { fileURLToPath } from 'node:url';
import { Project, QuoteKind } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { addImports, CLIENT_RUNTIME, CODEC_RUNTIME, SERVER_RUNTIME } from '../src/imports.js';

const packages = fileURLToPath(new URL('../../../packages/', import.meta.url));

function sourceFile(text: string) {
  return new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { quoteKind: QuoteKind.Single },
  }).createSourceFile('/file.ts', text);
}

describe('addImports', () => {
  it('imports what a file uses and does not declare, as a type when only types use it', () => {
    const file = sourceFile(
      [
        'export function decodePing(frame: Uint8Array): Ping {',
        '  const reader = new TextReader(frame, DELIMITER, PROTOCOL.name);',
        '  const fail: CodecFailures = codecFailures(PROTOCOL.name);',
        '  return { type: "Ping", previewText: reader.line(undefined), utf8Decode: 1 } as Ping;',
        '}',
        'const DELIMITER = new Uint8Array([10]);',
        'export interface Pinger extends TypedClient<Ping, Pong> { readonly framing: FramingConfig }',
        'export type Encoder = typeof encodePing;',
      ].join('\n'),
    );
    addImports(file, [
      {
        module: '@sockspec/codec',
        names: ['TextReader', 'CodecFailures', 'codecFailures', 'previewText', 'utf8Decode', 'FramingConfig'],
      },
      { module: '@sockspec/client', names: ['TypedClient', 'TextReader'] },
      { module: './codec.js', names: ['encodePing', 'DELIMITER'] },
      { module: './messages.js', names: ['PROTOCOL', 'Ping', 'Pong'] },
    ]);
    expect(file.getImportDeclarations().map((declaration) => declaration.getText())).toEqual([
      "import type { CodecFailures, FramingConfig } from '@sockspec/codec';",
      "import { TextReader, codecFailures } from '@sockspec/codec';",
      "import type { TypedClient } from '@sockspec/client';",
      "import type { encodePing } from './codec.js';",
      "import type { Ping, Pong } from './messages.js';",
      "import { PROTOCOL } from './messages.js';",
    ]);
  });

  it('does not import what a file re-exports', () => {
    const file = sourceFile("export { RemoteError } from '@sockspec/client';\n");
    addImports(file, [CLIENT_RUNTIME]);
    expect(file.getImportDeclarations()).toEqual([]);
  });
});

describe('the runtime names generated code may import', () => {
  it.each([
    ['codec', CODEC_RUNTIME],
    ['server', SERVER_RUNTIME],
    ['client', CLIENT_RUNTIME],
  ])('are all exported by @sockspec/%s', (name, source) => {
    const project = new Project({ skipAddingFilesFromTsConfig: true });
    const index = project.addSourceFileAtPath(`${packages}${name}/src/index.ts`);
    project.resolveSourceFileDependencies();
    const exported = new Set(index.getExportedDeclarations().keys());
    expect([...source.names].filter((runtimeName) => !exported.has(runtimeName))).toEqual([]);
    expect(source.module).toBe(`@sockspec/${name}`);
  });
});
