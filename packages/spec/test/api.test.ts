import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileSpec, type Diagnostic, formatDiagnostic, IR_VERSION, loadSpecFile } from '../src/index.js';

describe('formatDiagnostic', () => {
  const base: Diagnostic = {
    code: 'unknown-type',
    severity: 'error',
    file: 'specs/x.protocol.yaml',
    line: 12,
    col: 7,
    message: "unknown type 'u33' in field 'len' of message 'Join'",
    hint: null,
  };

  it('prints file:line:col, severity, code and message', () => {
    expect(formatDiagnostic(base)).toBe(
      "specs/x.protocol.yaml:12:7: error unknown-type: unknown type 'u33' in field 'len' of message 'Join'",
    );
  });

  it('adds the hint on a second, indented line', () => {
    expect(formatDiagnostic({ ...base, hint: "did you mean 'u32'?" })).toBe(
      "specs/x.protocol.yaml:12:7: error unknown-type: unknown type 'u33' in field 'len' of message 'Join'\n  hint: did you mean 'u32'?",
    );
  });
});

describe('loadSpecFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sockspec-spec-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('compiles a file and stores the display path as sourceFile', async () => {
    const path = join(dir, 'ping.protocol.yaml');
    await writeFile(
      path,
      'protocol: ping\nversion: 2.1.0-beta.1\ntransports: [tcp]\nframing: { kind: lines, maxFrameBytes: 64 }\nmessages:\n  Ping: { from: both, line: PING }\n',
    );
    const result = await loadSpecFile(path, { displayPath: 'specs/ping.protocol.yaml' });
    expect(result.diagnostics).toEqual([]);
    expect(result.ir).toMatchObject({
      irVersion: IR_VERSION,
      name: 'ping',
      version: '2.1.0-beta.1',
      description: '',
      sourceFile: 'specs/ping.protocol.yaml',
    });
    expect(result.ir!.messages[0]!.fields).toEqual([]);
  });

  it('reports an unreadable file as a diagnostic, not an exception', async () => {
    const result = await loadSpecFile(join(dir, 'missing.protocol.yaml'), {
      displayPath: 'specs/missing.protocol.yaml',
    });
    expect(result.ir).toBeNull();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      'specs/missing.protocol.yaml:1:1: error read-failed: cannot read the spec file (ENOENT)\n  hint: check the path and its permissions',
    ]);
  });
});

describe('compileSpec', () => {
  it('reports a spec that is not a mapping', () => {
    expect(compileSpec('- a\n- b\n', 'specs/list.protocol.yaml').diagnostics.map(formatDiagnostic)).toEqual([
      'specs/list.protocol.yaml:1:1: error wrong-type: the spec must be a mapping, got a list',
    ]);
    expect(compileSpec('', 'specs/empty.protocol.yaml').diagnostics.map(formatDiagnostic)).toEqual([
      'specs/empty.protocol.yaml:1:1: error wrong-type: the spec must be a mapping, got nothing',
    ]);
  });

  it('lists every missing required key', () => {
    expect(
      compileSpec('description: nothing else\n', 'specs/bare.protocol.yaml').diagnostics.map((d) => d.message),
    ).toEqual([
      "missing required key 'protocol' in the spec",
      "missing required key 'version' in the spec",
      "missing required key 'transports' in the spec",
      "missing required key 'framing' in the spec",
      "missing required key 'messages' in the spec",
    ]);
  });
});
