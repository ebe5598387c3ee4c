import { expect } from 'vitest';
import { compileSpec, formatDiagnostic, type ProtocolIR } from '../src/index.js';

/** Compiles a spec that must be valid, failing with its diagnostics when it is not. */
export function compileValid(text: string): ProtocolIR {
  const result = compileSpec(text, 'specs/test.protocol.yaml');
  expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
  expect(result.ir).not.toBeNull();
  return result.ir!;
}

/** The formatted diagnostics of a spec, for specs that must be rejected or warned about. */
export function diagnosticsOf(text: string): string[] {
  return compileSpec(text, 'specs/test.protocol.yaml').diagnostics.map(formatDiagnostic);
}

/** A binary spec around the given framing and messages, so a test shows only what it is about. */
export function binarySpec(parts: {
  framing?: string;
  header?: string;
  types?: string;
  messages: string;
  behavior?: string;
  extra?: string;
}): string {
  return [
    'protocol: test',
    'version: 1.0.0',
    'transports: [tcp]',
    parts.extra ?? '',
    `framing: ${parts.framing ?? '{ kind: length-prefixed, length: { type: u32 }, maxFrameBytes: 65536 }'}`,
    parts.header ? `header:\n${parts.header}` : '',
    parts.types ? `types:\n${parts.types}` : '',
    `messages:\n${parts.messages}`,
    parts.behavior ? `behavior:\n${parts.behavior}` : '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}
