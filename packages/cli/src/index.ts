export {
  applyPlan,
  type FileChange,
  GENERATED_MARKER,
  generatedFilesUnder,
  type PlannedFile,
  planPackage,
} from './output.js';
export { type CliIo, createProgram, DRIFT_HINT, runCli } from './program.js';
export { type CompiledSpec, compileSpecs, defaultSpecs } from './specs.js';
export { CliError, displayPath, findWorkspaceRoot } from './workspace.js';
