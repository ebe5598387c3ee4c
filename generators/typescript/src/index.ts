export {
  defineGenerator,
  type GeneratedFile,
  type Generator,
  type GeneratorContext,
  GeneratorError,
  type GeneratorErrorCode,
  GeneratorOptionError,
  UnsupportedFeatureError,
} from './define.js';
export {
  generateTypescript,
  packageName,
  RUNTIME_PACKAGES,
  SOCKSPEC_VERSION,
  type TypescriptGeneratorOptions,
  typescriptGenerator,
} from './generator.js';
export {
  fixedSize,
  type LayoutRow,
  layoutRows,
  MAX_NESTING_DEPTH,
  messageSlots,
  nestingDepth,
  type Slot,
  wireType,
} from './layout.js';
export { CTIME_PATTERN, escapeRegExp, templatePattern } from './text-parts.js';
