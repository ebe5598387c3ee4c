export { type CompileResult, compileSpec, loadSpecFile } from './compile.js';
export { type Diagnostic, formatDiagnostic, type Severity } from './diagnostics.js';
export { generatedNames, messageTypeNames, switchCaseTypeName } from './generated-names.js';
export * from './ir.js';
export {
  BUILTIN_TYPE_NAMES,
  type ProtocolSpec,
  protocolJsonSchema,
  protocolSpecSchema,
  TRANSPORT_KINDS,
} from './schema.js';
export { endsItsLayout } from './switch-fields.js';
export { type ParsedTemplate, parseLineTemplate, type TemplateProblem } from './template.js';
export { fixedSize, MAX_NESTING_DEPTH, nestingDepth } from './types.js';
