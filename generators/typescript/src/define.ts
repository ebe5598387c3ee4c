import type { ProtocolIR } from '@sockspec/spec';

/** One file of a generated package, relative to the package folder, with `/` separators. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

export interface GeneratorContext<Options> {
  readonly ir: ProtocolIR;
  readonly options: Options;
  /** Written into every header; the version of sockspec doing the generating. */
  readonly sockspecVersion: string;
}

/**
 * A generator turns one protocol IR into in-memory files. Writing them is a
 * separate step, so `--check` and `--dry-run` need nothing from the generator.
 */
export interface Generator<Options> {
  readonly name: string;
  /** Validates raw options (from a config file or the command line); throws GeneratorOptionError. */
  parseOptions(raw: Readonly<Record<string, unknown>>): Options;
  generate(context: GeneratorContext<Options>): GeneratedFile[];
}

export function defineGenerator<Options>(generator: Generator<Options>): Generator<Options> {
  return generator;
}

export type GeneratorErrorCode = 'SOCKSPEC_GENERATOR_OPTION' | 'SOCKSPEC_GENERATOR_UNSUPPORTED';

/**
 * A generator cannot do what it was asked. These are build-time errors about
 * the spec or the options, not runtime wire errors, so they live here rather
 * than in @sockspec/errors.
 */
export class GeneratorError extends Error {
  readonly code: GeneratorErrorCode;

  constructor(code: GeneratorErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An unknown option, or a known one with a value of the wrong shape. */
export class GeneratorOptionError extends GeneratorError {
  constructor(generator: string, message: string) {
    super('SOCKSPEC_GENERATOR_OPTION', `generator ${generator}: ${message}`);
  }
}

/** The spec uses something this generator cannot emit code for yet. */
export class UnsupportedFeatureError extends GeneratorError {
  readonly sourceFile: string;

  constructor(sourceFile: string, where: string, what: string) {
    super(
      'SOCKSPEC_GENERATOR_UNSUPPORTED',
      `${sourceFile}: ${where}: ${what} is not supported by the TypeScript generator`,
    );
    this.sourceFile = sourceFile;
  }
}
