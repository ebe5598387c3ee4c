export * from './ir.js';
export { type CompileResult, compileSpec, loadSpecFile } from './compile.js';
export { type Diagnostic, formatDiagnostic, type Severity } from './diagnostics.js';
export { parseLineTemplate, type ParsedTemplate, type TemplateProblem } from './template.js';
export {
  BUILTIN_TYPE_NAMES,
  type ProtocolSpec,
  protocolJsonSchema,
  protocolSpecSchema,
  TRANSPORT_KINDS,
} from './schema.js';
