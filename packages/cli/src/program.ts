import { join, relative, resolve } from 'node:path';
import { GeneratorError, generateTypescript, SOCKSPEC_VERSION } from '@sockspec/generator-typescript';
import { protocolJsonSchema } from '@sockspec/spec';
import { Command, CommanderError } from 'commander';
import { applyPlan, generatedFilesUnder, type PlannedFile, planPackage } from './output.js';
import { compileSpecs, countDiagnostics, formatAll, plural } from './specs.js';
import { CliError, displayPath, findWorkspaceRoot } from './workspace.js';

/** Where output goes and where relative paths start; injectable so tests run the CLI in-process. */
export interface CliIo {
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const DRIFT_HINT = 'run `pnpm generate` and commit the result';

interface GenerateOptions {
  readonly out?: string;
  readonly check?: boolean;
  readonly dryRun?: boolean;
}

async function runCheck(io: CliIo, specs: readonly string[]): Promise<number> {
  const root = findWorkspaceRoot(io.cwd);
  const compiled = await compileSpecs(root, io.cwd, specs);
  for (const line of formatAll(compiled)) io.stdout(`${line}\n`);
  const { errors, warnings } = countDiagnostics(compiled);
  io.stdout(`checked ${plural(compiled.length, 'spec')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
  return errors > 0 ? 1 : 0;
}

interface PackagePlan {
  readonly dir: string;
  readonly files: PlannedFile[];
}

async function planGeneration(
  io: CliIo,
  specs: readonly string[],
  options: GenerateOptions,
): Promise<PackagePlan[] | number> {
  const root = findWorkspaceRoot(io.cwd);
  const outDir = options.out === undefined ? join(root, 'packages', 'protocols') : resolve(io.cwd, options.out);
  const compiled = await compileSpecs(root, io.cwd, specs);
  const diagnostics = formatAll(compiled);
  for (const line of diagnostics) io.stderr(`${line}\n`);
  const { errors } = countDiagnostics(compiled);
  if (errors > 0) {
    io.stderr(`generate: ${plural(errors, 'error')} in the specs; nothing was written\n`);
    return 1;
  }
  const plans: PackagePlan[] = [];
  for (const spec of compiled) {
    const ir = spec.ir!;
    const dir = join(outDir, ir.name);
    const tsconfigBase = relative(dir, join(root, 'tsconfig.base.json')).split('\\').join('/');
    let files: ReturnType<typeof generateTypescript>;
    try {
      files = generateTypescript(ir, { tsconfigBase });
    } catch (error) {
      if (error instanceof GeneratorError) throw new CliError(error.message);
      throw error;
    }
    if (plans.some((plan) => plan.dir === dir)) {
      throw new CliError(`two specs declare protocol '${ir.name}'; each needs its own name`);
    }
    plans.push({ dir, files: planPackage(dir, files) });
  }
  // With every spec in view, a package folder no spec produces any more is all orphans.
  if (specs.length === 0) {
    const produced = new Set(plans.map((plan) => plan.dir));
    const stale = new Map<string, string[]>();
    for (const path of generatedFilesUnder(outDir)) {
      const dir = join(outDir, relative(outDir, path).split(/[\\/]/)[0]!);
      if (!produced.has(dir)) stale.set(dir, [...(stale.get(dir) ?? []), path]);
    }
    for (const [dir, paths] of stale) {
      plans.push({ dir, files: paths.map((path) => ({ path, change: 'remove', content: '' })) });
    }
  }
  return plans;
}

async function runGenerate(io: CliIo, specs: readonly string[], options: GenerateOptions): Promise<number> {
  const planned = await planGeneration(io, specs, options);
  if (typeof planned === 'number') return planned;
  const root = findWorkspaceRoot(io.cwd);
  const show = (path: string): string => displayPath(root, path);

  if (options.check) {
    const drift = planned.flatMap((plan) => plan.files.filter((file) => file.change !== 'unchanged'));
    if (drift.length === 0) {
      io.stdout(`generated code is up to date (${plural(planned.length, 'package')})\n`);
      return 0;
    }
    const label = { create: 'missing', update: 'differs', remove: 'orphaned', unchanged: '' } as const;
    io.stderr(`generated code is out of date (${plural(drift.length, 'file')}):\n`);
    for (const file of drift) io.stderr(`  ${label[file.change]}: ${show(file.path)}\n`);
    io.stderr(`hint: ${DRIFT_HINT}\n`);
    return 1;
  }

  if (options.dryRun) {
    for (const plan of planned) {
      for (const file of plan.files) {
        if (file.change === 'unchanged') continue;
        io.stdout(
          `would ${file.change === 'remove' ? 'remove' : file.change === 'create' ? 'create' : 'update'} ${show(file.path)}\n`,
        );
      }
    }
    const changed = planned.reduce(
      (sum, plan) => sum + plan.files.filter((file) => file.change !== 'unchanged').length,
      0,
    );
    io.stdout(`dry run: ${plural(changed, 'file')} would change; nothing was written\n`);
    return 0;
  }

  for (const plan of planned) {
    applyPlan(plan.dir, plan.files);
    const count = (change: PlannedFile['change']): number => plan.files.filter((file) => file.change === change).length;
    const kept = plan.files.length - count('remove');
    const written = count('create') + count('update');
    io.stdout(
      kept === 0
        ? `removed ${show(plan.dir)} (${plural(count('remove'), 'orphaned file')})\n`
        : `wrote ${show(plan.dir)} (${plural(kept, 'file')}: ${written} changed, ${count('remove')} removed)\n`,
    );
  }
  return 0;
}

/** The `sockspec` command line; `exitCode` receives what the finished command returns. */
export function createProgram(io: CliIo, exitCode: (code: number) => void): Command {
  const program = new Command()
    .name('sockspec')
    .description('Declarative protocol specs in, typed socket servers and clients out.')
    .version(SOCKSPEC_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('check')
    .description('Check spec files and print their diagnostics (default: specs/*.protocol.yaml).')
    .argument('[specs...]', 'spec files')
    .action(async (specs: string[]) => exitCode(await runCheck(io, specs)));

  program
    .command('generate')
    .description('Generate a TypeScript package per spec into packages/protocols/<name>.')
    .argument('[specs...]', 'spec files (default: specs/*.protocol.yaml)')
    .option('--out <dir>', 'folder that receives one package per protocol', undefined)
    .option('--check', 'write nothing; fail if committed output differs from what the specs generate')
    .option('--dry-run', 'list what would be written, write nothing')
    .action(async (specs: string[], options: GenerateOptions) => exitCode(await runGenerate(io, specs, options)));

  program
    .command('schema')
    .description('Print the JSON Schema of spec files, for editors.')
    .action(() => {
      io.stdout(`${JSON.stringify(protocolJsonSchema(), null, 2)}\n`);
      exitCode(0);
    });

  return program;
}

/** Runs the CLI on `args` (without node and the script) and resolves with the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = createProgram(io, (result) => {
    code = result;
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      io.stderr(`sockspec: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
